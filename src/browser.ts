/**
 * densekit in the browser (the package's `./browser` entry): the same models,
 * weights and preprocessing as Node, on the tfjs `wasm`, `webgl`, `webgpu` (when
 * the browser has `navigator.gpu`) or `cpu` backends. No Node module is
 * imported here or below: images are decoded by the browser
 * (`createImageBitmap`), weights come as bytes (`fetch`, a file picker), and
 * configs as resolved plain data (`densekit print-config --json`).
 *
 * ```ts
 * import { initBackend, createPredictor, decodeImage } from 'densekit/browser';
 * await initBackend('wasm', { wasmPaths: '/wasm/' });
 * const config = await (await fetch('seg.config.json')).json();
 * const weights = await (await fetch('latest.safetensors')).arrayBuffer();
 * const { predictor } = createPredictor(config, { weights });
 * const result = await predictor.predict(await decodeImage(file)); // { task: 'segmentation', labelMap }
 * ```
 */
import { tf } from './core/tf.js';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { ConfigError, DataError } from './core/errors.js';
import { registerWasmTrainingKernels } from './core/wasm_kernels/register.js';
import { registerPortableBuiltins } from './registry/builtins_portable.js';
import type { RgbPixels } from './apis/predictor.js';

registerPortableBuiltins();

/** Backends of the browser build, fastest usually first. */
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** A backend of the browser build. */
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** URL prefix (ending in `/`) where `tfjs-backend-wasm*.wasm` are served. Needed for `wasm`. */
  wasmPaths?: string;
}

/**
 * Activates a tfjs backend and waits until it is ready.
 * @returns the backend's name.
 * @throws ConfigError when the name is unknown or the browser cannot run it (e.g. `webgpu` without `navigator.gpu`).
 */
export async function initBackend(name: BrowserBackend, options: InitBackendOptions = {}): Promise<BrowserBackend> {
  if (!(BROWSER_BACKENDS as readonly string[]).includes(name)) {
    throw new ConfigError(`Unknown backend '${name}'; expected one of: ${BROWSER_BACKENDS.join(', ')}`);
  }
  if (name === 'wasm') {
    if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
    registerWasmTrainingKernels();
  }
  if (tf.findBackendFactory(name) === null) {
    throw new ConfigError(`Backend '${name}' is not available in this browser${name === 'webgpu' ? ' (no navigator.gpu)' : ''}`);
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    throw new ConfigError(`Backend '${name}' failed to initialise: ${(err as Error).message}`);
  }
  if (!ok) throw new ConfigError(`Backend '${name}' failed to initialise`);
  await tf.ready();
  return name;
}

/** Names of the backends this browser registered (webgpu only where `navigator.gpu` exists). */
export function availableBackends(): BrowserBackend[] {
  return BROWSER_BACKENDS.filter((b) => tf.findBackendFactory(b) !== null);
}

/**
 * Decodes an image file (`File`, `Blob`) with the browser's own decoders to RGBA
 * pixels, EXIF orientation applied, without colour-space conversion or alpha
 * premultiplication (so a PNG gives exactly its stored values, as sharp does in Node).
 * @throws DataError naming the file when the browser cannot decode it.
 */
export async function decodeImage(blob: Blob, name = blob instanceof File ? blob.name : '<blob>'): Promise<RgbPixels> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' });
  } catch (err) {
    throw new DataError(`Cannot decode image ${name}: ${(err as Error).message} (expected a JPEG, PNG or WebP file)`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new DataError(`Cannot decode image ${name}: no 2D canvas context`);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height, { colorSpace: 'srgb' });
  return { data: data.data, width: data.width, height: data.height, channels: 4 };
}

export { tf };
export { ConfigError, DataError, CheckpointError, ShapeError } from './core/errors.js';
export {
  Predictor,
  createPredictor,
  datasetClassNames,
  toRgb,
  type CreatePredictorOptions,
  type ClassificationResult,
  type SegmentationResult,
  type DetectionResult,
  type Detection,
  type PredictionResult,
  type PredictInput,
  type RgbPixels,
  type PredictorOptions,
  type WeightsSource,
} from './apis/predictor.js';
export { decodeSafetensors } from './checkpoint/safetensors_decode.js';
export { validateConfig, type RootConfig } from './config/schema.js';
export { buildModel } from './models/build_model.js';
export { blendLabelMap, segPalette } from './visualization/overlay.js';
export { registerPortableBuiltins } from './registry/builtins_portable.js';
export * from './registry/registries.js';
export type { TopKEntry } from './apis/top_k.js';
export type { LabelMap } from './structures/data_sample.js';
