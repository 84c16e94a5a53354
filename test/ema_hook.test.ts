/** Issue 16.1: EMAHook — timm's EMA update, evaluation on the averaged weights, exact resume. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import { Runner } from '../src/engine/runner.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import { ExponentialMovingAverage, emaDecayAt } from '../src/engine/hooks/ema.js';
import { EMAHook } from '../src/engine/hooks/ema_hook.js';
import { PRIORITIES, type Hook, type HookRunner } from '../src/engine/hooks/hook.js';
import { writeStripesImageFolder } from '../src/datasets/sample/stripes_dataset.js';
import { useBackend, quietProgress, TRAIN_BACKEND } from './helpers.js';

interface TimmFixture {
  names: string[];
  shapes: Record<string, number[]>;
  init: Record<string, number[]>;
  v2_decay: number;
  v3: { decay: number; warmup_gamma: number; warmup_power: number; min_decay: number };
  steps: Array<{ model: Record<string, number[]>; v2: Record<string, number[]>; v3: Record<string, number[]>; v3_decay: number }>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/hooks/ema_timm.json', import.meta.url), 'utf8')) as TimmFixture;
const CONFIG = new URL('./fixtures/configs/tiny_cls.ts', import.meta.url).pathname;
const EMA = 'customHooks=[{"type":"EMAHook","decay":0.8}]';
let root = '';
let data = '';

async function config(overrides: string[] = []): Promise<RootConfig> {
  return validateConfig(await loadConfig(CONFIG, { cfgOptions: [EMA, ...overrides] }), CONFIG);
}

function stateOf(values: Record<string, number[]>): Map<string, tf.Tensor> {
  return new Map(fixture.names.map((n) => [n, tf.tensor(values[n], fixture.shapes[n])]));
}

function maxAbsDiff(a: ReadonlyMap<string, tf.Tensor>, b: Record<string, number[]>): number {
  let worst = 0;
  for (const n of fixture.names) {
    const got = a.get(n)?.dataSync() ?? new Float32Array();
    b[n].forEach((v, i) => (worst = Math.max(worst, Math.abs(got[i] - v))));
  }
  return worst;
}

/** The numbers of a host tensor (empty when missing). */
function numbers(t: { data: unknown } | undefined): number[] {
  return Array.from((t?.data ?? []) as ArrayLike<number>);
}

beforeAll(async () => {
  await useBackend(TRAIN_BACKEND);
  root = mkdtempSync(join(tmpdir(), 'densekit-ema-'));
  data = join(root, 'stripes');
  await writeStripesImageFolder(data, { numTrainPerClass: 6, numValPerClass: 2, size: 32, seed: 3 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the EMA update equals timm', () => {
  it('ModelEmaV2 (constant decay) over five updates', () => {
    const init = stateOf(fixture.init);
    const ema = new ExponentialMovingAverage(init);
    for (const step of fixture.steps) {
      const model = stateOf(step.model);
      ema.update(model, emaDecayAt(1, { decay: fixture.v2_decay, warmup: false, warmupGamma: 1, warmupPower: 2 / 3, minDecay: 0 }));
      expect(maxAbsDiff(ema.state, step.v2)).toBeLessThan(1e-6);
      tf.dispose([...model.values()]);
    }
    ema.dispose();
    tf.dispose([...init.values()]);
  });

  it("ModelEmaV3's warm-up decay, step by step", () => {
    const o = { decay: fixture.v3.decay, warmup: true, warmupGamma: fixture.v3.warmup_gamma, warmupPower: fixture.v3.warmup_power, minDecay: fixture.v3.min_decay };
    const init = stateOf(fixture.init);
    const ema = new ExponentialMovingAverage(init);
    fixture.steps.forEach((step, i) => {
      expect(emaDecayAt(i + 1, o)).toBeCloseTo(step.v3_decay, 12);
      const model = stateOf(step.model);
      ema.update(model, emaDecayAt(i + 1, o));
      expect(maxAbsDiff(ema.state, step.v3)).toBeLessThan(1e-5);
      tf.dispose([...model.values()]);
    });
    ema.dispose();
    tf.dispose([...init.values()]);
  });
});

/** Records what the model holds while it is evaluated, and right after. */
class WeightProbe implements Hook {
  readonly name = 'WeightProbe';
  priority: number = PRIORITIES.LOW;
  during: number[] = [];
  after: number[] = [];
  average: number[] = [];
  trained: number[] = [];
  private readonly key = 'head.fc.bias';

  constructor(private readonly ema: () => EMAHook) {}

  beforeValEpoch(runner: HookRunner): void {
    this.during = Array.from(runner.model.stateDict().get(this.key)?.dataSync() ?? []);
    this.average = Array.from(this.ema().average?.get(this.key)?.dataSync() ?? []);
  }

  afterValEpoch(runner: HookRunner): void {
    this.after = Array.from(runner.model.stateDict().get(this.key)?.dataSync() ?? []);
  }

  beforeTrainIter(runner: HookRunner): void {
    this.trained = Array.from(runner.model.stateDict().get(this.key)?.dataSync() ?? []);
  }
}

describe('EMAHook in a run', () => {
  it('evaluates on the averaged weights and trains on the others', async () => {
    const runner = new Runner(await config(['trainCfg.maxIters=4', 'trainCfg.valInterval=2', 'paramScheduler=[]']), {
      workDir: join(root, 'probe'),
      dataRoot: data,
      progress: quietProgress(),
    });
    const ema = runner.hooks.find((h): h is EMAHook => h instanceof EMAHook);
    expect(ema).toBeDefined();
    const probe = new WeightProbe(() => ema as EMAHook);
    runner.registerHook(probe);
    const afterVal: number[][] = [];
    const trainedAt3: number[][] = [];
    runner.registerHook({
      name: 'Collect',
      priority: PRIORITIES.LOWEST,
      afterValEpoch: () => void afterVal.push(probe.after),
      beforeTrainIter: (_r, index) => void (index === 2 && trainedAt3.push(probe.trained)),
    });
    await runner.train();
    expect(probe.during).toEqual(probe.average);
    // after the evaluation the trained weights are back: they are what iteration 3 starts from
    expect(afterVal[0]).toEqual(trainedAt3[0]);
    expect(afterVal[0]).not.toEqual(probe.average);
    runner.dispose();
  });

  it('checkpoints the average and resumes it bit-exactly', async () => {
    const full = new Runner(await config(), { workDir: join(root, 'full'), dataRoot: data, progress: quietProgress() });
    await full.train();
    full.dispose();
    // stopped between checkpoints, as a kill would: the average of iterations 5-6 is lost and must be redone from iter_4's
    const first = new Runner(await config(), { workDir: join(root, 'resumed'), dataRoot: data, progress: quietProgress(), stopAtIter: 6 });
    await first.train();
    first.dispose();
    const before = tf.memory().numTensors;
    const second = new Runner(await config(), { workDir: join(root, 'resumed'), dataRoot: data, progress: quietProgress(), resume: true });
    const result = await second.train();
    second.dispose();
    expect(result.iters).toBe(8);
    expect(tf.memory().numTensors).toBe(before);

    const a = readSafetensors(join(root, 'full', 'iter_8.ckpt.safetensors'));
    const b = readSafetensors(join(root, 'resumed', 'iter_8.ckpt.safetensors'));
    const emaKeys = [...a.tensors.keys()].filter((k) => k.startsWith('hooks.ema.'));
    expect(emaKeys.length).toBeGreaterThan(10);
    expect(JSON.parse(a.metadata.state ?? '{}').extra.emaUpdates).toBe(8);
    for (const [k, t] of a.tensors) expect(numbers(b.tensors.get(k)), k).toEqual(numbers(t));
    // model.* is the average, hooks.ema.* the trained weights; they differ
    const avg = numbers(a.tensors.get('model.head.fc.weight'));
    expect(avg.length).toBeGreaterThan(0);
    expect(avg).not.toEqual(numbers(a.tensors.get('hooks.ema.head.fc.weight')));
    // the final weights are the average
    expect(numbers(readSafetensors(join(root, 'full', 'latest.safetensors')).tensors.get('head.fc.weight'))).toEqual(avg);
  }, 120_000);
});
