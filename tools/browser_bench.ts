/**
 * In-browser inference time: serves the demo, opens it in headless Chromium
 * (Debian's, through playwright-core) and times `predict` (preprocessing
 * included) for each config on each backend, with random-initialised weights
 * unless `--weights` is given for a single config. Optionally saves a
 * screenshot of the page after running a config, weights and image.
 *
 *   npx tsx tools/browser_bench.ts [--configs a.ts,b.ts] [--backends wasm,webgl] [--iters 3]
 *   npx tsx tools/browser_bench.ts --screenshot out.png --config F --weights W --image I
 */
import { chromium } from 'playwright-core';
import { relative } from 'node:path';
import { buildDemoBundle, REPO_ROOT, serveDemo } from './lib/demo_server.js';
import { COMMON_FLAGS, flagNumber, flagString, parseArgs, runTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  configs: { kind: 'string', help: 'comma-separated configs to time, each optionally `?cfg=k=v&cfg=...` (default: the mini cls/seg/det configs and Swin-T)' },
  sizes: { kind: 'string', help: 'comma-separated HxW input per config (default 64x64 cls mini, 96x96 seg/det mini, 224x224 Swin-T)' },
  backends: { kind: 'string', help: 'comma-separated backends (default wasm,webgl)' },
  iters: { kind: 'number', help: 'timed predictions per config (default 3, after 1 warm-up)' },
  screenshot: { kind: 'string', help: 'save a PNG of the page after running --config/--weights/--image' },
  config: { kind: 'string', help: 'with --screenshot: the config' },
  weights: { kind: 'string', help: 'with --screenshot: the .safetensors' },
  image: { kind: 'string', help: 'with --screenshot: the image' },
  chromium: { kind: 'string', help: 'browser binary (default /usr/bin/chromium)' },
  help: COMMON_FLAGS.help,
};
const USAGE = usage('npx tsx tools/browser_bench.ts [--configs ...] [--backends wasm,webgl] | --screenshot out.png --config F --weights W --image I', FLAGS);

/** The stripes ImageFolder config takes its 3 classes from the data; here they are set. */
const DEFAULT_CONFIGS: Array<[string, string]> = [
  ['configs/classification/swin-mini_imagefolder.ts?cfg=model.head.numClasses=3', '64x64'],
  ['configs/segmentation/swin-mini_upernet_ade.ts', '96x96'],
  ['configs/detection/swin-mini_fcos_coco.ts', '96x96'],
  ['configs/classification/swin-t_in1k.ts', '224x224'],
];

const repoUrl = (p: string): string => `/repo/${relative(REPO_ROOT, p)}`;

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  await buildDemoBundle();
  const { server, url } = await serveDemo(0);
  const browser = await chromium.launch({ executablePath: flagString(args, 'chromium') ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
    await page.goto(url);
    await page.evaluate(() => window.densekitDemo.ready);
    const shot = flagString(args, 'screenshot');
    if (shot !== undefined) {
      const [config, weights, image] = ['config', 'weights', 'image'].map((k) => flagString(args, k));
      if (config === undefined || weights === undefined || image === undefined) throw new Error('--screenshot needs --config, --weights and --image');
      const configUrl = config.endsWith('.json') ? repoUrl(config) : `/api/config?path=${encodeURIComponent(relative(REPO_ROOT, config))}`;
      const r = await page.evaluate(([c, w, i]) => window.densekitDemo.run(c, w, i, 'wasm').then((x) => x.timings), [configUrl, repoUrl(weights), repoUrl(image)] as const);
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`wrote ${shot} (predict ${r.predictMs.toFixed(1)} ms on wasm)`);
      return;
    }
    const available = await page.evaluate(() => window.densekitDemo.availableBackends());
    const backends = (flagString(args, 'backends') ?? 'wasm,webgl').split(',').filter((b) => {
      if (!(available as string[]).includes(b)) console.log(`skip backend ${b}: not available in this browser (${available.join(', ')})`);
      return (available as string[]).includes(b);
    });
    const list = flagString(args, 'configs');
    const sizes = flagString(args, 'sizes')?.split(',');
    const configs: Array<[string, string]> = list === undefined ? DEFAULT_CONFIGS : list.split(',').map((c, i) => [c, sizes?.[i] ?? '96x96']);
    const iters = flagNumber(args, 'iters') ?? 3;
    console.log(`| config | input | ${backends.map((b) => `${b} ms/image (first)`).join(' | ')} |`);
    console.log(`|---|---|${backends.map(() => '---').join('|')}|`);
    for (const [config, size] of configs) {
      const [h, w] = size.split('x').map(Number);
      const cells: string[] = [];
      for (const backend of backends) {
        const r = await page.evaluate(([c, W, H, b, n]) => window.densekitDemo.benchmark(c, null, W, H, b, n, 1), [
          `/api/config?path=${config
            .split('?')
            .map((part, i) => (i === 0 ? encodeURIComponent(part) : part))
            .join('&')}`,
          w,
          h,
          backend as 'wasm',
          iters,
        ] as const);
        cells.push(`${r.msPerImage.toFixed(0)} (${r.firstMs.toFixed(0)})`);
      }
      console.log(`| ${config} | ${size} | ${cells.join(' | ')} |`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

runTool(main, USAGE);
