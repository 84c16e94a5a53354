/**
 * The packed package in a fresh project: `npm run build`, `npm pack`, then in a
 * temporary directory `npm install <tgz>` (`--prefer-offline`: dependencies come
 * from npm's cache when it has them), type-check a TypeScript file that imports
 * `densekit`, `densekit/browser` and `densekit/registries` (strict), predict with
 * the installed package and compare with this checkout, and run its `densekit` bin.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initModel } from '../src/index.js';

const ROOT = resolve('.');
const FIXTURES = join(ROOT, 'test/fixtures/browser');
let project: string;
let timings: Record<string, number> = {};

/** The environment without the `npm_*` variables of an enclosing `npm test` (its `npm_config_local_prefix` would point npm at this checkout). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { npm_config_update_notifier: 'false' };
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  return env;
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}) in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

function timed<T>(name: string, f: () => T): T {
  const t0 = Date.now();
  const out = f();
  timings[name] = (Date.now() - t0) / 1000;
  return out;
}

const CONSUMER_TS = `
import { initModel, type PredictionResult, type NodePredictor } from 'densekit';
import { createPredictor, type SegmentationResult } from 'densekit/browser';
import { BACKBONES } from 'densekit/registries';

export async function segment(config: string, weights: string, image: string): Promise<number> {
  const model: NodePredictor = await initModel(config, { weights, backend: 'wasm', log: null });
  const result: PredictionResult = await model.predict(image);
  model.dispose();
  if (result.task !== 'segmentation') throw new Error('expected a segmentation');
  const seg: SegmentationResult = result;
  return seg.labelMap.width * seg.labelMap.height;
}
export const browserFactory: typeof createPredictor = createPredictor;
export const backboneNames: string[] = BACKBONES.names();
`;

const CONSUMER_BAD_TS = `
import { initModel } from 'densekit';
const m = await initModel('x.json', { weights: 42 });
export default m;
`;

const PREDICT_MJS = `
import { readFileSync } from 'node:fs';
import { initModel } from 'densekit';
const [config, weights, image] = process.argv.slice(2);
const model = await initModel(JSON.parse(readFileSync(config, 'utf8')), { weights, backend: 'wasm', log: null });
const r = await model.predict(image);
model.dispose();
process.stdout.write(JSON.stringify({ task: r.task, height: r.labelMap.height, width: r.labelMap.width, data: Array.from(r.labelMap.data) }));
`;

describe('the packed tarball installs, type-checks and predicts in a fresh project', () => {
  beforeAll(() => {
    timings = {};
    project = mkdtempSync(join(tmpdir(), 'densekit-consumer-'));
    timed('build', () => run('npm', ['run', '-s', 'build'], ROOT));
    const packed = timed('pack', () => run('npm', ['pack', '--silent', '--pack-destination', project], ROOT));
    const tgz = packed.stdout.trim().split('\n').pop() as string;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true, types: ['node'], lib: ['ES2022', 'DOM'] },
        include: ['consumer.ts'],
      }),
    );
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(join(project, 'predict.mjs'), PREDICT_MJS);
    const types = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies as Record<string, string>;
    timed('install', () => run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tgz}`, `typescript@${types.typescript}`, `@types/node@${types['@types/node']}`], project));
    console.log(`package test: build ${timings.build}s, pack ${timings.pack}s, npm install ${timings.install}s`);
  }, 600_000);

  afterAll(() => {
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it('ships dist/, configs and the bin, not the sources or tests', () => {
    const pkg = join(project, 'node_modules/densekit');
    expect(existsSync(join(pkg, 'dist/src/index.d.ts'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/src/browser.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/src/datasets/meta/imagenet_classes.json'))).toBe(true);
    expect(existsSync(join(pkg, 'configs/segmentation/swin-mini_upernet_ade.ts'))).toBe(true);
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    expect(existsSync(join(pkg, 'test'))).toBe(false);
    expect(readdirSync(join(project, 'node_modules/.bin'))).toContain('densekit');
  });

  it('a TypeScript file importing densekit, densekit/browser and densekit/registries type-checks (strict)', () => {
    const tsc = join(project, 'node_modules/typescript/bin/tsc');
    run(process.execPath, [tsc, '-p', '.'], project);
    // and a wrong option type is caught, so the check is real
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_BAD_TS);
    const bad = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: project, encoding: 'utf8', env: cleanEnv() });
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/consumer\.ts\(3,.*TS2322.*Uint8Array/);
  });

  it('predicts with the installed package exactly as this checkout does', async () => {
    const out = run(process.execPath, ['predict.mjs', join(FIXTURES, 'seg.config.json'), join(FIXTURES, 'seg.safetensors'), join(FIXTURES, 'image.png')], project);
    const installed = JSON.parse(out.stdout) as { task: string; height: number; width: number; data: number[] };
    const config = JSON.parse(readFileSync(join(FIXTURES, 'seg.config.json'), 'utf8')) as Record<string, unknown>;
    const local = await initModel(config, { weights: join(FIXTURES, 'seg.safetensors'), backend: 'wasm', log: null });
    const r = await local.predict(join(FIXTURES, 'image.png'));
    local.dispose();
    if (r.task !== 'segmentation') throw new Error('expected a segmentation');
    expect(installed.task).toBe('segmentation');
    expect([installed.height, installed.width]).toEqual([72, 88]);
    expect(installed.data).toEqual(Array.from(r.labelMap.data));
  });

  it('the installed bin runs print-config on a TypeScript config and infer on an image', () => {
    const printed = run('npx', ['--no-install', 'densekit', 'print-config', '--config', 'node_modules/densekit/configs/detection/swin-mini_fcos_coco.ts', '--json'], project);
    expect((JSON.parse(printed.stdout) as { model: { type: string } }).model.type).toBe('FCOS');
    const outPng = join(project, 'pred.png');
    run(
      'npx',
      [
        '--no-install',
        'densekit',
        'infer',
        '--config',
        join(FIXTURES, 'seg.config.json'),
        '--weights',
        join(FIXTURES, 'seg.safetensors'),
        '--input',
        join(FIXTURES, 'image.png'),
        '--out',
        outPng,
        '--backend',
        'wasm',
      ],
      project,
    );
    expect(existsSync(outPng)).toBe(true);
    expect(existsSync(join(project, 'pred_overlay.png'))).toBe(true);
  });
});
