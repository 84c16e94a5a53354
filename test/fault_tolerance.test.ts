/** Issue 13.2 and 13.4: the NaN guard, and faults that leave nothing behind and lose nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/registry/builtins.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import { Runner } from '../src/engine/runner.js';
import { NonFiniteLossError, nonFiniteHostTensors } from '../src/engine/non_finite_guard.js';
import { readJsonlLog, type TrainLogRecord } from '../src/structures/train_log.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import { writeStripesImageFolder } from '../src/datasets/sample/stripes_dataset.js';
import { useBackend, quietProgress, runToolProcess } from './helpers.js';

const CONFIG = new URL('./fixtures/configs/tiny_cls.ts', import.meta.url).pathname;
let root = '';
let data = '';

async function config(overrides: string[] = []): Promise<RootConfig> {
  return validateConfig(await loadConfig(CONFIG, { cfgOptions: overrides }), CONFIG);
}

function checkpointsOf(workDir: string): string[] {
  return readdirSync(workDir).filter((f) => f.endsWith('.ckpt.safetensors'));
}

function trainIters(workDir: string): number[] {
  return readJsonlLog(workDir)
    .filter((r): r is TrainLogRecord => r.mode === 'train')
    .map((r) => r.iter);
}

/** A huge learning rate without clipping: the loss explodes within a few iterations. */
const EXPLODE = [
  'optimWrapper.optimizer={"type":"SGD","lr":1e6,"momentum":0.9}',
  'optimWrapper.clipGrad=null',
  'paramScheduler=[]',
  'defaultHooks.checkpoint.interval=1',
  'defaultHooks.checkpoint.maxKeepCkpts=20',
  'trainCfg.valInterval=100',
  'trainCfg.maxIters=12',
];

beforeAll(async () => {
  await useBackend('wasm');
  root = mkdtempSync(join(tmpdir(), 'densekit-faults-'));
  data = join(root, 'stripes');
  await writeStripesImageFolder(data, { numTrainPerClass: 4, numValPerClass: 2, size: 32, seed: 3 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('NaN guard', () => {
  it('names the true iteration and the last finite checkpoint, which evaluates; no checkpoint holds NaN or Inf', async () => {
    const workDir = join(root, 'nan');
    const runner = new Runner(await config(EXPLODE), { workDir, dataRoot: data, progress: quietProgress() });
    const err = await runner.train().then(
      () => null,
      (e: unknown) => e,
    );
    runner.dispose();
    expect(err).toBeInstanceOf(NonFiniteLossError);
    const nan = err as NonFiniteLossError;
    // the run must have gone some iterations before exploding, else this test proves little
    expect(nan.iter).toBeGreaterThan(1);
    // every logged iteration before it had a finite loss; the failing one is the next
    const logged = trainIters(workDir);
    expect(Math.max(...logged)).toBe(nan.iter - 1);
    for (const f of checkpointsOf(workDir)) {
      expect(nonFiniteHostTensors(readSafetensors(join(workDir, f)).tensors), f).toEqual([]);
    }
    expect(nan.lastGoodCheckpoint).toBe(join(workDir, `iter_${nan.iter - 1}.ckpt.safetensors`));
    expect(nan.message).toContain(`at iteration ${nan.iter}`);
    expect(nan.message).toContain(nan.lastGoodCheckpoint as string);
    expect(readdirSync(workDir).some((f) => f.includes('.tmp-'))).toBe(false);
    expect(existsSync(join(workDir, 'latest.safetensors'))).toBe(false);

    const out = join(root, 'nan_metrics.json');
    const r = runToolProcess('eval', ['--config', CONFIG, '--weights', nan.lastGoodCheckpoint as string, '--data-root', data, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>;
    expect(Number.isFinite(metrics['accuracy/top1'])).toBe(true);
  }, 120_000);

  it('with nanGuard.rollback, rolls back to the last good checkpoint with a lower lr and finishes', async () => {
    const workDir = join(root, 'rollback');
    const progress = quietProgress();
    const runner = new Runner(await config([...EXPLODE, 'nanGuard.rollback=true', 'nanGuard.lrFactor=1e-7', 'nanGuard.maxRollbacks=2']), {
      workDir,
      dataRoot: data,
      progress,
    });
    const result = await runner.train();
    runner.dispose();
    expect(result.iters).toBe(12);
    const text = progress.lines.join('');
    expect(text).toMatch(/nanGuard: .* non-finite at iteration \d+; rolled back to .*iter_\d+\.ckpt\.safetensors/);
    expect(nonFiniteHostTensors(readSafetensors(result.weightsPath).tensors)).toEqual([]);
  }, 120_000);
});

describe('faults leave nothing behind and lose nothing', () => {
  it('a resumed run removes stale temp files and logs every iteration once', async () => {
    const workDir = join(root, 'resume');
    const first = new Runner(await config(['defaultHooks.checkpoint.interval=4']), { workDir, dataRoot: data, progress: quietProgress(), stopAtIter: 6 });
    await first.train();
    first.dispose();
    // as a kill during a checkpoint write would leave it (a pid that does not run)
    const stale = 'iter_6.ckpt.safetensors.tmp-4194999-0a1b2c';
    writeFileSync(join(workDir, stale), Buffer.alloc(1024));
    expect(trainIters(workDir)).toEqual([1, 2, 3, 4, 5, 6]);
    const progress = quietProgress();
    const second = new Runner(await config(['defaultHooks.checkpoint.interval=4']), { workDir, dataRoot: data, progress, resume: true });
    await second.train();
    second.dispose();
    expect(existsSync(join(workDir, stale))).toBe(false);
    expect(progress.lines.join('')).toContain(stale);
    expect(trainIters(workDir)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 120_000);

  it('--resume falls back to the newest checkpoint that loads, naming the one skipped and why', async () => {
    const workDir = join(root, 'damaged');
    const first = new Runner(await config(['defaultHooks.checkpoint.interval=2']), { workDir, dataRoot: data, progress: quietProgress(), stopAtIter: 6 });
    await first.train();
    first.dispose();
    const newest = join(workDir, 'iter_6.ckpt.safetensors');
    truncateSync(newest, 5000);
    const progress = quietProgress();
    const second = new Runner(await config(['defaultHooks.checkpoint.interval=2']), { workDir, dataRoot: data, progress, resume: true });
    const result = await second.train();
    second.dispose();
    const text = progress.lines.join('');
    expect(text).toContain(`--resume: skipped ${newest} (CheckpointError`);
    expect(text).toContain(`resumed from ${join(workDir, 'iter_4.ckpt.safetensors')} at iteration 4`);
    expect(result.iters).toBe(8);
    expect(trainIters(workDir)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 120_000);

  it("the checkpoint due at an iteration is written before that iteration's validation runs", async () => {
    const bad = join(root, 'badval');
    cpSync(data, bad, { recursive: true });
    const valDir = join(bad, 'val', readdirSync(join(bad, 'val')).sort()[0]);
    writeFileSync(join(valDir, readdirSync(valDir).sort()[0]), 'not an image');
    const workDir = join(root, 'valfail');
    const runner = new Runner(await config(['defaultHooks.checkpoint.interval=4', 'trainCfg.valInterval=4']), { workDir, dataRoot: bad, progress: quietProgress() });
    await expect(runner.train()).rejects.toThrow(/Cannot decode image/);
    runner.dispose();
    expect(checkpointsOf(workDir)).toContain('iter_4.ckpt.safetensors');
  }, 120_000);
});
