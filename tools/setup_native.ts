/**
 * Provides the native `tensorflow` backend where tfjs-node's normal install
 * cannot run (it downloads libtensorflow from outside the npm registry): builds
 * `@tensorflow/tfjs-node`'s addon against the TensorFlow C library of PyPI's
 * `tensorflow-cpu` wheel. Idempotent: a second run only re-checks the load.
 *
 *   npm run setup-native [-- --gpu] [--force]
 *
 * `--gpu` (experimental, unconfirmed until a GPU run): the same steps for
 * `@tensorflow/tfjs-node-gpu` against PyPI's `tensorflow[and-cuda]` (CUDA 12).
 * `--force` rebuilds the addon even when one loads.
 *
 * Needs Python 3 with venv, g++/make and nm. Nothing is downloaded outside PyPI and the npm registry.
 * An `npm ci` removes the built package from node_modules; run this again after it.
 */
import { existsSync } from 'node:fs';
import { flagBool, parseArgs, runTool, usage, type FlagSpec } from './lib/cli.js';
import { NATIVE_VARIANTS, NativeSetupError, buildAddon, checkLibrary, checkLoad, installTfjsPackage, installWheel, linkDeps, nativePaths, type LoadCheck } from './lib/native_build.js';

const FLAGS: Record<string, FlagSpec> = {
  gpu: { kind: 'boolean', help: 'build @tensorflow/tfjs-node-gpu against tensorflow[and-cuda] (experimental)' },
  force: { kind: 'boolean', help: 'rebuild the addon even when it already loads' },
};
const USAGE = usage('npm run setup-native -- [--gpu] [--force]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const variant = NATIVE_VARIANTS[flagBool(args, 'gpu') ? 'gpu' : 'cpu'];
  const paths = nativePaths(process.cwd(), variant);
  const log = (m: string): void => console.log(`setup-native: ${m}`);
  if (variant.experimental) log(`${variant.tfjsPackage} against ${variant.wheel} is experimental: no GPU run has confirmed it yet`);

  const t0 = Date.now();
  if (!flagBool(args, 'force') && existsSync(paths.addon)) {
    const ok = tryLoad(paths, variant);
    if (ok !== null) {
      log(`already set up: ${variant.tfjsPackage} on TensorFlow ${ok.tensorflowVersion} (${paths.addon})`);
      return;
    }
    log('the existing addon does not load; rebuilding');
  }
  const tfDir = installWheel(paths, variant, log);
  const symbols = checkLibrary(tfDir);
  log(`the TensorFlow libraries in ${tfDir} export ${symbols} TF_/TFE_ symbols`);
  installTfjsPackage(paths, variant, log);
  linkDeps(paths, tfDir);
  buildAddon(paths, log);
  const check = checkLoad(paths, variant);
  log(
    `done in ${((Date.now() - t0) / 1000).toFixed(0)} s: backend '${check.backend}', TensorFlow ${check.tensorflowVersion}; ` +
      `use it with --backend tensorflow or DENSEKIT_BACKEND=tensorflow (it is also picked automatically)`,
  );
}

function tryLoad(paths: ReturnType<typeof nativePaths>, variant: (typeof NATIVE_VARIANTS)['cpu']): LoadCheck | null {
  try {
    return checkLoad(paths, variant);
  } catch {
    return null;
  }
}

/** Expected failures print as `NativeSetupError: what failed, why, and what to do`, without a stack. */
async function mainReportingSetupErrors(argv: string[]): Promise<void> {
  try {
    await main(argv);
  } catch (err) {
    if (!(err instanceof NativeSetupError)) throw err;
    console.error(`${err.name}: ${err.message}`);
    process.exitCode = 1;
  }
}

runTool(mainReportingSetupErrors, USAGE);
