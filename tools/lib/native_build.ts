/**
 * The steps of `npm run setup-native`: the `tensorflow` backend built from the
 * TensorFlow C library of PyPI's TensorFlow wheel, where tfjs-node's own install
 * (which downloads libtensorflow from outside the npm registry) cannot run.
 *
 * 1. a project-local virtual environment (`.native/venv`) with the pinned wheel;
 * 2. a check that its `libtensorflow_cc.so.2` exports the C and eager C APIs;
 * 3. the pinned tfjs-node package from the npm registry, install scripts off;
 * 4. its `deps/` filled with links to the wheel's headers and libraries;
 * 5. its addon compiled by node-gyp (bundled with npm) against them;
 * 6. a load check in a child process: backend `tensorflow`, TF version, a gradient.
 *
 * The CPU and GPU variants share every step; they differ only in the wheel and the package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** What is built: the wheel it comes from and the tfjs package it serves. */
export interface NativeVariant {
  /** 'cpu' or 'gpu'. */
  name: 'cpu' | 'gpu';
  /** pip requirement of the wheel, pinned. */
  wheel: string;
  /** The tfjs package whose addon is built, pinned. */
  tfjsPackage: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
  /** Marked experimental until a GPU run confirms it. */
  experimental: boolean;
}

/** The pinned TensorFlow release of the wheels (its C API is what tfjs-node's binding needs). */
export const TENSORFLOW_VERSION = '2.21.0';
/** The pinned tfjs version: every `@tensorflow/*` package of the project is at it. */
export const TFJS_VERSION = '4.22.0';

/** The two variants. */
export const NATIVE_VARIANTS: Record<'cpu' | 'gpu', NativeVariant> = {
  cpu: { name: 'cpu', wheel: `tensorflow-cpu==${TENSORFLOW_VERSION}`, tfjsPackage: '@tensorflow/tfjs-node', experimental: false },
  gpu: { name: 'gpu', wheel: `tensorflow[and-cuda]==${TENSORFLOW_VERSION}`, tfjsPackage: '@tensorflow/tfjs-node-gpu', experimental: true },
};

/** Symbols the binding cannot run without (a sample of the 462 `TF_*`/`TFE_*` it may use). */
export const REQUIRED_SYMBOLS = ['TF_Version', 'TF_NewTensor', 'TF_NewStatus', 'TFE_NewContext', 'TFE_Execute', 'TFE_NewOp'] as const;

/** The libraries of the wheel, by the names the binding links (`-ltensorflow -ltensorflow_framework`). */
export const LIBRARY_LINKS: ReadonlyArray<{ link: string; target: string }> = [
  { link: 'libtensorflow_cc.so.2', target: 'libtensorflow_cc.so.2' },
  { link: 'libtensorflow_framework.so.2', target: 'libtensorflow_framework.so.2' },
  { link: 'libtensorflow.so', target: 'libtensorflow_cc.so.2' },
  { link: 'libtensorflow_framework.so', target: 'libtensorflow_framework.so.2' },
];

/** Thrown when a step fails; the message says which step, what happened and what to do. */
export class NativeSetupError extends Error {
  override name = 'NativeSetupError';
}

/**
 * Defined dynamic symbols from `nm -D --defined-only` output, without symbol
 * versions (`TFE_NewContext@@tensorflow` → `TFE_NewContext`).
 */
export function parseDefinedSymbols(nmOutput: string): Set<string> {
  const out = new Set<string>();
  for (const line of nmOutput.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3 || !/^[TtWVDdBbRr]$/.test(parts[1]!)) continue;
    out.add(parts[2]!.split('@')[0]!);
  }
  return out;
}

/** The C / eager C API symbols among `symbols`, and the required ones missing. */
export function checkCApi(symbols: ReadonlySet<string>): { count: number; missing: string[] } {
  const count = [...symbols].filter((s) => s.startsWith('TF_') || s.startsWith('TFE_')).length;
  return { count, missing: REQUIRED_SYMBOLS.filter((s) => !symbols.has(s)) };
}

/** Paths of a setup in project `root`. */
export interface NativePaths {
  root: string;
  venv: string;
  python: string;
  /** The tfjs package directory under node_modules. */
  packageDir: string;
  /** The built addon, where tfjs-node's loader looks for it. */
  addon: string;
}

/** The paths of `variant` in the project at `root`. */
export function nativePaths(root: string, variant: NativeVariant): NativePaths {
  const venv = join(root, '.native', `venv-${variant.name}`);
  const packageDir = join(root, 'node_modules', ...variant.tfjsPackage.split('/'));
  return { root, venv, python: join(venv, 'bin', 'python'), packageDir, addon: join(packageDir, 'lib', 'napi-v8', 'tfjs_binding.node') };
}

function run(step: string, cmd: string, args: string[], cwd: string, hint: string): string {
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' };
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error?.message ?? (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n    ');
    throw new NativeSetupError(`${step} failed: ${cmd} ${args.join(' ')}\n    ${why}\n  ${hint}`);
  }
  return r.stdout;
}

/** Step 1: the virtual environment with the pinned wheel (no dependencies: only its libraries and headers are used). */
export function installWheel(paths: NativePaths, variant: NativeVariant, log: (m: string) => void): string {
  const python3 = process.env.DENSEKIT_PYTHON ?? 'python3';
  if (!existsSync(paths.python)) {
    log(`creating the virtual environment ${paths.venv}`);
    mkdirSync(dirname(paths.venv), { recursive: true });
    run('creating the virtual environment', python3, ['-m', 'venv', paths.venv], paths.root, 'Python 3 with venv is needed (set DENSEKIT_PYTHON to choose the interpreter).');
  }
  const site = tensorflowDir(paths);
  if (site === null || !existsSync(join(site, 'libtensorflow_cc.so.2')) || installedVersion(paths) !== TENSORFLOW_VERSION) {
    log(`pip install ${variant.wheel}`);
    // The GPU wheel needs its CUDA dependencies (the and-cuda extra); the CPU build needs none of its Python ones.
    const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', variant.wheel];
    if (variant.name === 'cpu') args.splice(3, 0, '--no-deps');
    run('pip install', paths.python, args, paths.root, 'PyPI must be reachable; see the message above.');
  }
  const dir = tensorflowDir(paths);
  if (dir === null) throw new NativeSetupError(`the wheel ${variant.wheel} installed no tensorflow/ package under ${paths.venv}`);
  return dir;
}

function installedVersion(paths: NativePaths): string | null {
  const r = spawnSync(paths.python, ['-m', 'pip', 'show', 'tensorflow-cpu', 'tensorflow'], { encoding: 'utf8' });
  const m = /^Version: (\S+)/m.exec(r.stdout ?? '');
  return m === null ? null : m[1]!;
}

/** The `tensorflow/` directory of the venv's site-packages, or null. */
export function tensorflowDir(paths: NativePaths): string | null {
  const lib = join(paths.venv, 'lib');
  if (!existsSync(lib)) return null;
  for (const py of readdirSync(lib)) {
    const dir = join(lib, py, 'site-packages', 'tensorflow');
    if (existsSync(join(dir, 'include'))) return dir;
  }
  return null;
}

/** Step 2: the two libraries together export the C and eager C APIs. */
export function checkLibrary(tfDir: string): number {
  const symbols = new Set<string>();
  for (const name of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    const lib = join(tfDir, name);
    if (!existsSync(lib)) throw new NativeSetupError(`${lib} is missing: the wheel has no TensorFlow C library`);
    const out = run('reading the symbols', 'nm', ['-D', '--defined-only', lib], tfDir, 'nm (binutils) is needed.');
    for (const s of parseDefinedSymbols(out)) symbols.add(s);
  }
  const { count, missing } = checkCApi(symbols);
  if (missing.length > 0) {
    throw new NativeSetupError(`the libraries in ${tfDir} do not export the C / eager C API the binding needs: missing ${missing.join(', ')} (${count} TF_/TFE_ symbols found)`);
  }
  return count;
}

/** Step 3: the pinned tfjs package in node_modules, without running its install script (which downloads). */
export function installTfjsPackage(paths: NativePaths, variant: NativeVariant, log: (m: string) => void): void {
  const pkgJson = join(paths.packageDir, 'package.json');
  if (existsSync(join(paths.packageDir, 'binding.gyp'))) {
    const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: string }).version;
    if (version === TFJS_VERSION && dependenciesPresent(paths)) return;
  }
  log(`npm install --no-save --ignore-scripts ${variant.tfjsPackage}@${TFJS_VERSION}`);
  run('npm install', 'npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${variant.tfjsPackage}@${TFJS_VERSION}`], paths.root, 'The npm registry must be reachable.');
}

function dependenciesPresent(paths: NativePaths): boolean {
  // tfjs-node's runtime dependencies, as resolved from its own directory.
  const r = spawnSync('node', ['-e', "for (const d of ['adm-zip', 'google-protobuf', '@mapbox/node-pre-gyp']) require.resolve(d)"], { cwd: paths.packageDir });
  return r.status === 0;
}

/** Step 4: `deps/include` and `deps/lib` of the package point at the wheel. */
export function linkDeps(paths: NativePaths, tfDir: string): void {
  const deps = join(paths.packageDir, 'deps');
  const lib = join(deps, 'lib');
  mkdirSync(lib, { recursive: true });
  relink(join(deps, 'include'), join(tfDir, 'include'));
  for (const { link, target } of LIBRARY_LINKS) relink(join(lib, link), target === link ? join(tfDir, target) : target);
}

function relink(at: string, target: string): void {
  if (existsSync(at) || isLink(at)) {
    if (isLink(at) && readlinkSync(at) === target) return;
    rmSync(at, { recursive: true, force: true });
  }
  symlinkSync(target, at);
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The node-gyp that ships with npm, and the Node headers of this Node. */
export function nodeGyp(): { script: string; nodedir: string } {
  const npmRoot = resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const script = join(npmRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(script)) throw new NativeSetupError(`node-gyp not found at ${script} (it ships with npm)`);
  const prefix = resolve(dirname(process.execPath), '..');
  const nodedir = [process.env.npm_config_nodedir, prefix].find((d) => d !== undefined && existsSync(join(d, 'include', 'node', 'node_api.h')));
  if (nodedir === undefined) throw new NativeSetupError(`the Node.js headers (include/node/node_api.h) are not under ${prefix}; set npm_config_nodedir`);
  return { script, nodedir };
}

/** Step 5: compiles the addon against the linked headers and libraries. */
export function buildAddon(paths: NativePaths, log: (m: string) => void): void {
  const { script, nodedir } = nodeGyp();
  log('node-gyp rebuild (about a minute)');
  const moduleDir = dirname(paths.addon);
  run(
    'node-gyp rebuild',
    process.execPath,
    [script, 'rebuild', `--nodedir=${nodedir}`, '--module_name=tfjs_binding', `--module_path=${moduleDir}`, '--napi_build_version=8'],
    paths.packageDir,
    'g++, make and Python 3 are needed by node-gyp.',
  );
  if (!existsSync(paths.addon)) throw new NativeSetupError(`node-gyp reported success but ${paths.addon} is missing`);
}

/** Result of the load check. */
export interface LoadCheck {
  backend: string;
  tensorflowVersion: string;
  /** Max |d(x²)/dx − 2x| of a small gradient; 0 when the kernels work. */
  gradientError: number;
}

/** Step 6: loads the package in a child process and runs a gradient. */
export function checkLoad(paths: NativePaths, variant: NativeVariant): LoadCheck {
  const code = `
    const tf = require(${JSON.stringify(variant.tfjsPackage)});
    const x = tf.tensor([1, -2, 3]);
    const g = tf.grad((a) => a.square().sum())(x);
    const err = g.sub(x.mul(2)).abs().max().dataSync()[0];
    console.log(JSON.stringify({ backend: tf.getBackend(), tensorflowVersion: tf.backend().binding.TF_Version, gradientError: err }));`;
  const out = run('loading the built backend', process.execPath, ['-e', code], paths.root, `the addon at ${paths.addon} does not load; rerun with --force to rebuild.`);
  const line = out.trim().split('\n').pop() ?? '';
  const result = JSON.parse(line) as LoadCheck;
  if (result.backend !== 'tensorflow') throw new NativeSetupError(`${variant.tfjsPackage} loaded but the backend is '${result.backend}', not 'tensorflow'`);
  if (!(result.gradientError === 0)) throw new NativeSetupError(`the gradient check failed on the built backend (error ${result.gradientError})`);
  return result;
}
