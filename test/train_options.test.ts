/**
 * Training options the runner tests do not reach: gradient accumulation
 * (`optimWrapper.accumulativeCounts > 1`), epoch-based loops (`trainCfg.by: 'epoch'`)
 * and `autoScaleLr`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/core/tf.js';
import { Rng, setGlobalSeed } from '../src/core/rng.js';
import '../src/registry/builtins.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import { Runner } from '../src/engine/runner.js';
import { TrainStep } from '../src/engine/train_step.js';
import { buildOptimizer } from '../src/engine/build.js';
import { syntheticBatch } from '../src/apis/train_step_benchmark.js';
import { readCheckpoint } from '../src/engine/checkpoint.js';
import { readJsonlLog, type TrainLogRecord, type ValLogRecord } from '../src/structures/train_log.js';
import { buildModel } from '../src/models/build_model.js';
import { writeStripesImageFolder } from '../src/datasets/sample/stripes_dataset.js';
import type { Batch } from '../src/structures/data_sample.js';
import { maxAbsDiff, quietProgress, useBackend, TRAIN_BACKEND } from './helpers.js';

const CONFIG = new URL('./fixtures/configs/tiny_cls.ts', import.meta.url).pathname;
let root = '';
let data = '';

async function config(overrides: string[] = []): Promise<RootConfig> {
  return validateConfig(await loadConfig(CONFIG, { cfgOptions: overrides }), CONFIG);
}

async function run(name: string, overrides: string[]): Promise<string> {
  const workDir = join(root, name);
  const runner = new Runner(await config(overrides), { workDir, dataRoot: data, progress: quietProgress() });
  await runner.train();
  runner.dispose();
  return workDir;
}

function trainRecords(workDir: string): TrainLogRecord[] {
  return readJsonlLog(workDir).filter((r): r is TrainLogRecord => r.mode === 'train');
}

/** Rows `[from, to)` of a batch. */
function sliceBatch(batch: Batch, from: number, to: number): Batch {
  const [, h, w, c] = batch.inputs.shape;
  return { inputs: tf.slice(batch.inputs, [from, 0, 0, 0], [to - from, h, w, c]), samples: batch.samples.slice(from, to) };
}

beforeAll(async () => {
  await useBackend(TRAIN_BACKEND);
  root = mkdtempSync(join(tmpdir(), 'densekit-train-options-'));
  data = join(root, 'stripes');
  await writeStripesImageFolder(data, { numTrainPerClass: 6, numValPerClass: 2, size: 32, seed: 3 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('gradient accumulation', () => {
  it('two accumulated half batches give the same update as the whole batch', async () => {
    const cfg = await config(['model.backbone.dropPathRate=0', 'model.head.dropout=0', 'optimWrapper.optimizer={"type":"SGD","lr":0.5}', 'optimWrapper.clipGrad=null']);
    setGlobalSeed(11);
    const model = buildModel(cfg, 3);
    model.train();
    const initial = new Map([...model.stateDict()].map(([k, v]) => [k, v.clone()]));
    const batch = syntheticBatch(model, 4, 32, 32, 3, new Rng(5));

    const stepOnce = (accumulativeCounts: number, batches: Batch[]): Map<string, tf.Tensor> => {
      model.loadStateDict(initial, { strict: true, source: 'initial' });
      const { optimizer } = buildOptimizer(cfg, model, 1);
      const step = new TrainStep(model, optimizer, { clipMaxNorm: null, accumulativeCounts });
      for (const [i, b] of batches.entries()) {
        expect(step.ready, `ready before micro-batch ${i}`).toBe(false);
        step.accumulate(b, 0);
      }
      expect(step.ready).toBe(true);
      step.apply(0);
      optimizer.dispose();
      return new Map([...model.stateDict()].map(([k, v]) => [k, v.clone()]));
    };

    const halves = [sliceBatch(batch, 0, 2), sliceBatch(batch, 2, 4)];
    const accumulated = stepOnce(2, halves);
    const whole = stepOnce(1, [batch]);
    let moved = 0;
    for (const [name, w] of whole) {
      expect(maxAbsDiff(accumulated.get(name) as tf.Tensor, w), name).toBeLessThan(1e-6);
      moved = Math.max(moved, maxAbsDiff(w, initial.get(name) as tf.Tensor));
    }
    expect(moved).toBeGreaterThan(1e-3); // the update did change the weights
    tf.dispose([batch.inputs, ...halves.map((b) => b.inputs), ...initial.values(), ...accumulated.values(), ...whole.values()]);
  });

  it('the runner updates once per accumulativeCounts iterations and logs only after updates', async () => {
    const workDir = await run('accumulate', ['optimWrapper.accumulativeCounts=2', 'trainCfg.maxIters=4', 'trainCfg.valInterval=100', 'defaultHooks.checkpoint.interval=100']);
    expect(trainRecords(workDir).map((r) => r.iter)).toEqual([2, 4]);
    const ck = readCheckpoint(join(workDir, 'iter_4.ckpt.safetensors'));
    expect(ck.state.iter).toBe(4);
    expect(ck.optimizer.get('step_count')?.dataSync()[0]).toBe(2);
    tf.dispose([...ck.model.values(), ...ck.optimizer.values()]);
  });
});

describe("trainCfg.by: 'epoch'", () => {
  it('counts maxEpochs, valInterval and checkpoint intervals in epochs', async () => {
    // 18 training images (3 classes × 6), batch 4: 5 iterations per epoch (the last batch is short)
    const workDir = await run('epochs', [
      'trainCfg.by=epoch',
      'trainCfg.maxIters=null',
      'trainCfg.maxEpochs=2',
      'trainCfg.valInterval=1',
      'defaultHooks.checkpoint.interval=1',
      'defaultHooks.checkpoint.maxKeepCkpts=5',
      'paramScheduler=[]',
    ]);
    const train = trainRecords(workDir);
    expect(train.map((r) => r.iter)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(train.map((r) => r.epoch)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const val = readJsonlLog(workDir).filter((r): r is ValLogRecord => r.mode === 'val');
    expect(val.map((r) => r.iter)).toEqual([5, 10]);
    expect(
      readdirSync(workDir)
        .filter((f) => /^iter_\d+\.ckpt\.safetensors$/.test(f))
        .sort(),
    ).toEqual(['iter_10.ckpt.safetensors', 'iter_5.ckpt.safetensors']);
  });
});

describe('autoScaleLr', () => {
  it('scales the lr by batch × accumulation / baseBatchSize', async () => {
    const common = ['trainCfg.maxIters=2', 'trainCfg.valInterval=100', 'defaultHooks.checkpoint.interval=100', 'paramScheduler=[]'];
    const plain = trainRecords(await run('lr-plain', common))[0]!.lr;
    const scaled = trainRecords(await run('lr-scaled', [...common, 'autoScaleLr.enable=true', 'autoScaleLr.baseBatchSize=16']))[0]!.lr;
    const accumulated = trainRecords(await run('lr-accumulated', [...common, 'autoScaleLr.enable=true', 'autoScaleLr.baseBatchSize=16', 'optimWrapper.accumulativeCounts=2']))[0]!.lr;
    expect(plain).toBeCloseTo(2e-3, 12);
    expect(scaled).toBeCloseTo(plain * (4 / 16), 12);
    expect(accumulated).toBeCloseTo(plain * ((4 * 2) / 16), 12);
  });
});
