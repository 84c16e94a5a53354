/**
 * The demo page: pick a config (resolved by the demo server, or a JSON file
 * from `densekit print-config --json`) and a `.safetensors` file, drop an
 * image, and see the prediction drawn with its timing. `window.densekitDemo`
 * exposes the same steps to the browser test and the in-browser benchmark.
 */
import {
  availableBackends,
  blendLabelMap,
  createPredictor,
  decodeImage,
  initBackend,
  tf,
  toRgb,
  type BrowserBackend,
  type PredictionResult,
  type Predictor,
  type RgbPixels,
} from '../src/browser.js';

/** A config as the page receives it: the server's `{config, classNames}` or a bare resolved config. */
interface ConfigPayload {
  config: Record<string, unknown>;
  classNames: string[] | null;
}

/** What {@link run} reports (plain data, so the browser test can compare it with Node's). */
export interface DemoRunResult {
  backend: string;
  width: number;
  height: number;
  /** Milliseconds: image decoding, model build + weight loading, first predict, second predict. */
  timings: { decodeMs: number; loadMs: number; firstPredictMs: number; predictMs: number };
  result: PredictionResult;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const WASM_PATHS = '/wasm/';

function parseConfig(text: string, name: string): ConfigPayload {
  const body = text.replace(/^\s*\/\/.*\n/, ''); // print-config's comment line
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new Error(`${name}: not JSON (${(err as Error).message}); use \`densekit print-config --config F --json\``);
  }
  const obj = json as Record<string, unknown>;
  if (typeof obj.config === 'object' && obj.config !== null && !('model' in obj)) {
    return { config: obj.config as Record<string, unknown>, classNames: (obj.classNames as string[] | null) ?? null };
  }
  return { config: obj, classNames: null };
}

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

let current: { key: string; predictor: Predictor; backend: string } | null = null;

/** Builds (or reuses) the predictor for this config, weights and backend. */
async function predictorFor(payload: ConfigPayload, weights: ArrayBuffer | null, key: string, backend: BrowserBackend): Promise<{ predictor: Predictor; ms: number }> {
  if (current !== null && current.key === key && current.backend === backend) return { predictor: current.predictor, ms: 0 };
  current?.predictor.dispose();
  current = null;
  await initBackend(backend, { wasmPaths: WASM_PATHS });
  const t0 = performance.now();
  const { predictor } = createPredictor(payload.config, {
    weights: weights ?? undefined,
    weightsName: key,
    classNames: payload.classNames ?? undefined,
  });
  const ms = performance.now() - t0;
  current = { key, predictor, backend };
  return { predictor, ms };
}

async function timedPredict(predictor: Predictor, pixels: RgbPixels): Promise<{ result: PredictionResult; ms: number }> {
  const t0 = performance.now();
  const result = await predictor.predict(pixels);
  return { result, ms: performance.now() - t0 };
}

/** Runs config + weights + image (all URLs) on a backend; predicts twice (the second is the steady-state timing). */
async function run(configUrl: string, weightsUrl: string | null, imageUrl: string, backend: BrowserBackend): Promise<DemoRunResult> {
  const payload = parseConfig(await (await fetchOk(configUrl)).text(), configUrl);
  const weights = weightsUrl === null ? null : await (await fetchOk(weightsUrl)).arrayBuffer();
  const blob = await (await fetchOk(imageUrl)).blob();
  return runLoaded(payload, weights, `${configUrl}|${weightsUrl}`, blob, imageUrl, backend);
}

async function runLoaded(payload: ConfigPayload, weights: ArrayBuffer | null, key: string, image: Blob, imageName: string, backend: BrowserBackend): Promise<DemoRunResult> {
  const t0 = performance.now();
  const pixels = await decodeImage(image, imageName);
  const decodeMs = performance.now() - t0;
  const { predictor, ms: loadMs } = await predictorFor(payload, weights, key, backend);
  const first = await timedPredict(predictor, pixels);
  const second = await timedPredict(predictor, pixels);
  draw(pixels, second.result, predictor);
  const timings = { decodeMs, loadMs, firstPredictMs: first.ms, predictMs: second.ms };
  $('status').textContent =
    `${predictor.task} on ${backend}: predict ${second.ms.toFixed(1)} ms (first ${first.ms.toFixed(1)} ms), ` +
    `model ${loadMs.toFixed(0)} ms, decode ${decodeMs.toFixed(1)} ms, image ${pixels.width}×${pixels.height}`;
  $('result').textContent = describe(second.result);
  return { backend, width: pixels.width, height: pixels.height, timings, result: second.result };
}

/** Mean predict time over `iterations` after `warmup`, on a deterministic synthetic image. */
async function benchmark(configUrl: string, weightsUrl: string | null, width: number, height: number, backend: BrowserBackend, iterations = 3, warmup = 1): Promise<{ msPerImage: number; firstMs: number }> {
  const payload = parseConfig(await (await fetchOk(configUrl)).text(), configUrl);
  const weights = weightsUrl === null ? null : await (await fetchOk(weightsUrl)).arrayBuffer();
  const { predictor } = await predictorFor(payload, weights, `${configUrl}|${weightsUrl}`, backend);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const pixels: RgbPixels = { data, width, height, channels: 3 };
  let firstMs = 0;
  for (let i = 0; i < warmup; i++) {
    const r = await timedPredict(predictor, pixels);
    if (i === 0) firstMs = r.ms;
  }
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await timedPredict(predictor, pixels);
  return { msPerImage: (performance.now() - t0) / iterations, firstMs };
}

function describe(result: PredictionResult): string {
  if (result.task === 'classification') return result.top5.map((e) => `${e.score.toFixed(4)}  ${e.label}${e.name !== null ? `  ${e.name}` : ''}`).join('\n');
  if (result.task === 'segmentation') {
    const counts = new Map<number, number>();
    for (const v of result.labelMap.data) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts].sort((a, b) => a[0] - b[0]).map(([c, n]) => `class ${c}${result.classNames?.[c] !== undefined ? ` (${result.classNames[c]})` : ''}: ${n} px`).join('\n');
  }
  return result.detections.slice(0, 20).map((d) => `${d.score.toFixed(3)}  ${d.name ?? `class ${d.label}`}  [${d.bbox.map((v) => v.toFixed(1)).join(', ')}]`).join('\n');
}

function showCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  canvas.width = width;
  canvas.height = height;
  const scale = Math.max(1, Math.min(4, Math.floor(400 / Math.max(width, height))));
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
  return canvas.getContext('2d') as CanvasRenderingContext2D;
}

function putRgb(ctx: CanvasRenderingContext2D, rgb: Uint8Array, width: number, height: number): void {
  const img = ctx.createImageData(width, height);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    img.data[j] = rgb[i];
    img.data[j + 1] = rgb[i + 1];
    img.data[j + 2] = rgb[i + 2];
    img.data[j + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

const BOX_COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4', '#469990'];
const DRAW_SCORE_THR = 0.3;

/** Draws the input and the prediction (segmentation overlay as `npm run infer` writes it; boxes; top-5 text). */
function draw(pixels: RgbPixels, result: PredictionResult, predictor: Predictor): void {
  const rgb = toRgb(pixels);
  const { width, height } = pixels;
  putRgb(showCanvas($('input'), width, height), rgb, width, height);
  const out = showCanvas($('output'), width, height);
  if (result.task === 'segmentation') {
    const numClasses = Math.max(predictor.classNames?.length ?? 0, Math.max(...result.labelMap.data) + 1);
    putRgb(out, blendLabelMap({ data: rgb, width, height, channels: 3 }, result.labelMap, numClasses), width, height);
  } else {
    putRgb(out, rgb, width, height);
  }
  if (result.task === 'detection') {
    const line = Math.max(1, Math.round(Math.min(width, height) / 150));
    const font = Math.max(8, Math.round(Math.min(width, height) / 20));
    out.font = `${font}px sans-serif`;
    for (const d of result.detections) {
      if (d.score < DRAW_SCORE_THR) continue;
      const [x1, y1, x2, y2] = d.bbox;
      out.strokeStyle = out.fillStyle = BOX_COLORS[d.label % BOX_COLORS.length];
      out.lineWidth = line;
      out.strokeRect(x1, y1, x2 - x1, y2 - y1);
      out.fillText(`${d.name ?? d.label} ${d.score.toFixed(2)}`, x1 + 1, Math.max(font, y1 - 2));
    }
  }
}

async function setUp(): Promise<void> {
  const backends = availableBackends();
  const backendSelect = $<HTMLSelectElement>('backend');
  for (const b of backends) backendSelect.add(new Option(b, b, b === 'wasm', b === 'wasm'));
  try {
    const list = (await (await fetchOk('/api/configs')).json()) as string[];
    for (const c of list) $<HTMLSelectElement>('configSelect').add(new Option(c, c));
  } catch {
    // served without the config API: JSON files only
  }
  let image: File | null = null;
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    image = e.dataTransfer?.files[0] ?? null;
    if (image !== null) void runFromForm(image);
  });
  $<HTMLInputElement>('imageFile').addEventListener('change', (e) => {
    image = (e.target as HTMLInputElement).files?.[0] ?? null;
  });
  $('run').addEventListener('click', () => {
    if (image === null) $('status').textContent = 'pick or drop an image first';
    else void runFromForm(image);
  });
  $('status').textContent = `ready; backends: ${backends.join(', ')} (tfjs ${tf.version_core})`;
}

async function runFromForm(image: File): Promise<void> {
  try {
    $('status').textContent = 'running…';
    const configFile = $<HTMLInputElement>('configFile').files?.[0];
    const selected = $<HTMLSelectElement>('configSelect').value;
    let payload: ConfigPayload;
    let key: string;
    if (configFile !== undefined) {
      payload = parseConfig(await configFile.text(), configFile.name);
      key = `${configFile.name}:${configFile.lastModified}`;
    } else if (selected !== '') {
      payload = parseConfig(await (await fetchOk(`/api/config?path=${encodeURIComponent(selected)}`)).text(), selected);
      key = selected;
    } else throw new Error('pick a config first');
    const weightsFile = $<HTMLInputElement>('weightsFile').files?.[0];
    const weights = weightsFile === undefined ? null : await weightsFile.arrayBuffer();
    if (weights === null) $('status').textContent = 'no weights chosen: running the randomly initialised model';
    key += `|${weightsFile?.name ?? ''}:${weightsFile?.lastModified ?? ''}`;
    await runLoaded(payload, weights, key, image, image.name, $<HTMLSelectElement>('backend').value as BrowserBackend);
  } catch (err) {
    $('status').textContent = `error: ${(err as Error).message}`;
  }
}

declare global {
  interface Window {
    densekitDemo: { run: typeof run; benchmark: typeof benchmark; availableBackends: typeof availableBackends; ready: Promise<void> };
  }
}

window.densekitDemo = { run, benchmark, availableBackends, ready: setUp() };
