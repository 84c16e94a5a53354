/**
 * Serves the browser demo: bundles the browser entry with the page's code
 * (esbuild), then serves the page, the tfjs wasm binaries, resolved configs and
 * the repository's files (weights under work_dirs/, images).
 *
 *   npm run demo [-- --port 8080]
 *
 * Open the printed URL, pick a config (e.g. configs/segmentation/swin-mini_upernet_ade.ts),
 * the weights `npm run quickstart` wrote (work_dirs/quickstart/segmentation/latest.safetensors)
 * and drop an image.
 */
import { buildDemoBundle, serveDemo } from './lib/demo_server.js';
import { COMMON_FLAGS, flagNumber, parseArgs, runTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  port: { kind: 'number', help: 'port to listen on (default 8080; 0 = any free port)' },
  help: COMMON_FLAGS.help,
};
const USAGE = usage('npm run demo [-- --port 8080]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const { bytes } = await buildDemoBundle();
  const { url } = await serveDemo(flagNumber(args, 'port') ?? 8080);
  console.log(`bundled the browser entry (${(bytes / 2 ** 20).toFixed(1)} MiB)`);
  console.log(`demo at ${url}  (Ctrl-C to stop)`);
  await new Promise(() => undefined);
}

runTool(main, USAGE);
