/** Issue 16.1: runner hooks — registry, priorities, config validation, a user's hook run by config, early stopping. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/registry/builtins.js';
import { HOOKS } from '../src/registry/registries.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import { Runner } from '../src/engine/runner.js';
import { buildHooks, insertByPriority } from '../src/engine/hooks/build_hooks.js';
import { PRIORITIES, type Hook, type HookRunner, type TrainIterInfo } from '../src/engine/hooks/hook.js';
import { EarlyStoppingHook, inferRule } from '../src/engine/hooks/early_stopping_hook.js';
import type { MetricValues } from '../src/evaluation/metric.js';
import { writeStripesImageFolder } from '../src/datasets/sample/stripes_dataset.js';
import { decodeImageFile } from '../src/datasets/image_io.js';
import { drawPrediction } from '../src/visualization/prediction_image.js';
import { useBackend, quietProgress, TRAIN_BACKEND } from './helpers.js';

const CONFIG = new URL('./fixtures/configs/tiny_cls.ts', import.meta.url).pathname;
let root = '';
let data = '';

async function config(overrides: string[] = []): Promise<RootConfig> {
  return validateConfig(await loadConfig(CONFIG, { cfgOptions: overrides }), CONFIG);
}

/** Every point a run calls, in order, for the hook below. */
const calls: string[] = [];

/** A hook written outside the framework: records the points it sees and counts updates. */
class RecordingHook implements Hook {
  readonly name = 'RecordingHook';
  priority: number = PRIORITIES.NORMAL;
  updates = 0;
  constructor(readonly tag: string) {}
  beforeRun(): void {
    calls.push(`${this.tag}:beforeRun`);
  }
  beforeTrain(runner: HookRunner): void {
    calls.push(`${this.tag}:beforeTrain@${runner.iter}`);
  }
  afterTrainIter(_runner: HookRunner, info: TrainIterInfo): void {
    if (info.update !== null) this.updates++;
    calls.push(`${this.tag}:afterTrainIter#${info.index}`);
  }
  afterValEpoch(runner: HookRunner, metrics: MetricValues): void {
    calls.push(`${this.tag}:afterValEpoch@${runner.iter}:${'accuracy/top1' in metrics}`);
  }
  afterTrain(): void {
    calls.push(`${this.tag}:afterTrain`);
  }
  afterRun(): void {
    calls.push(`${this.tag}:afterRun`);
  }
}

HOOKS.register<{ tag: string }>({
  name: 'RecordingHook',
  description: 'test hook that records the points it is called at',
  defaults: { tag: 'rec' },
  build: (options) => new RecordingHook(options.tag),
});

beforeAll(async () => {
  await useBackend(TRAIN_BACKEND);
  root = mkdtempSync(join(tmpdir(), 'densekit-hooks-'));
  data = join(root, 'stripes');
  await writeStripesImageFolder(data, { numTrainPerClass: 6, numValPerClass: 2, size: 32, seed: 3 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('hook priorities', () => {
  it('sort by number, keep registration order for equal priorities', () => {
    const hooks: Hook[] = [];
    const mk = (name: string, priority: number): Hook => ({ name, priority });
    for (const h of [mk('a', 50), mk('b', 90), mk('c', 50), mk('d', 0), mk('e', 100), mk('f', 50)]) insertByPriority(hooks, h);
    expect(hooks.map((h) => h.name)).toEqual(['d', 'a', 'c', 'f', 'b', 'e']);
  });

  it("mmengine's names and numbers", () => {
    expect(PRIORITIES).toEqual({ HIGHEST: 0, VERY_HIGH: 10, HIGH: 30, ABOVE_NORMAL: 40, NORMAL: 50, BELOW_NORMAL: 60, LOW: 70, VERY_LOW: 90, LOWEST: 100 });
  });

  it('the default hooks, the NaN guard and custom hooks in calling order; a config priority overrides', async () => {
    const cfg = await config(['customHooks=[{"type":"RecordingHook","tag":"late","priority":"LOWEST"},{"type":"RecordingHook","tag":"first","priority":5},{"type":"EMAHook"}]']);
    const hooks = buildHooks(cfg, undefined);
    expect(hooks.map((h) => `${h.name}${h instanceof RecordingHook ? `:${h.tag}` : ''}@${h.priority}`)).toEqual([
      'RecordingHook:first@5',
      'NanGuardHook@10',
      'EMAHook@50',
      'LoggerHook@60',
      'ProgressBarHook@70',
      'CheckpointHook@90',
      'RecordingHook:late@100',
    ]);
  });
});

describe('hook configs are validated', () => {
  it.each([
    [
      'customHooks=[{"type":"RecordngHook"}]',
      /Unknown hooks type 'RecordngHook' at customHooks\.0\.type\. Did you mean 'RecordingHook'.*Registered hooks: .*CheckpointHook.*EMAHook.*EarlyStoppingHook/,
    ],
    ['customHooks=[{"tag":"x"}]', /customHooks\.0: missing 'type' \(a registered hooks name: .*LoggerHook/],
    ['customHooks=[{"type":"EMAHook","decai":0.9}]', /Unknown option 'decai' at customHooks\.0\.decai for EMAHook\. Did you mean 'decay'/],
    ['customHooks=[{"type":"EMAHook","priority":"MEDIUM"}]', /customHooks\.0\.priority: expected a priority name \(HIGHEST, .*LOWEST\) or an integer in \[0, 100\], got "MEDIUM"/],
    ['customHooks=[{"type":"EarlyStoppingHook"}]', /Missing required option 'monitor' at customHooks\.0\.monitor for EarlyStoppingHook/],
    ['defaultHooks.checkpont={"interval":1}', /Unknown default hook 'checkpont' at defaultHooks\.checkpont\. Did you mean 'checkpoint'.*Default hooks: checkpoint, logger, progressBar/],
    ['defaultHooks.logger.type=CheckpointHook', /defaultHooks\.logger\.type: this entry is the LoggerHook, got 'CheckpointHook'/],
    ['defaultHooks.checkpoint=null', /defaultHooks\.checkpoint: the CheckpointHook cannot be switched off/],
  ])('%s', async (option, message) => {
    await expect(config([option])).rejects.toThrow(message);
  });

  it('defaults are filled in, the implied type is set, progressBar can be switched off', async () => {
    const cfg = await config(['defaultHooks.progressBar=null']);
    expect(cfg.defaultHooks.checkpoint).toEqual({ type: 'CheckpointHook', interval: 4, maxKeepCkpts: 2, saveBest: 'accuracy/top1', rule: 'greater' });
    expect(cfg.defaultHooks.logger).toEqual({ type: 'LoggerHook', interval: 1 });
    expect(cfg.defaultHooks.progressBar).toBeNull();
    expect(buildHooks(cfg, undefined).some((h) => h.name === 'ProgressBarHook')).toBe(false);
  });
});

describe('a hook defined outside the framework', () => {
  it('is registered, built from customHooks and called at every point in order', async () => {
    calls.length = 0;
    const runner = new Runner(await config(['trainCfg.maxIters=4', 'trainCfg.valInterval=2', 'customHooks=[{"type":"RecordingHook","tag":"mine"}]']), {
      workDir: join(root, 'custom'),
      dataRoot: data,
      progress: quietProgress(),
    });
    const mine = runner.hooks.find((h): h is RecordingHook => h instanceof RecordingHook);
    await runner.train();
    runner.dispose();
    expect(mine?.updates).toBe(4);
    expect(calls).toEqual([
      'mine:beforeRun',
      'mine:beforeTrain@0',
      'mine:afterTrainIter#0',
      'mine:afterTrainIter#1',
      'mine:afterValEpoch@2:true',
      'mine:afterTrainIter#2',
      'mine:afterTrainIter#3',
      'mine:afterValEpoch@4:true',
      'mine:afterTrain',
      'mine:afterRun',
    ]);
  });
});

/** The parts of a runner the early-stopping hook uses. */
function fakeRunner(): HookRunner & { stopped: string | null } {
  const r = {
    state: { iter: 0, loader: { epoch: 0, batch: 0 }, rng: [0, 0, 0, 0], best: null, extra: {} },
    progress: quietProgress(),
    stopped: null as string | null,
    requestStop(reason: string) {
      r.stopped = reason;
    },
  };
  return r as unknown as HookRunner & { stopped: string | null };
}

function feed(hook: EarlyStoppingHook, values: Array<number | null>): number | null {
  const runner = fakeRunner();
  for (let i = 0; i < values.length; i++) {
    hook.afterValEpoch(runner, { [hook.monitor]: values[i] });
    if (runner.stopped !== null) return i;
  }
  return null;
}

describe('EarlyStoppingHook', () => {
  const opts = { monitor: 'accuracy/top1', rule: null, minDelta: 0.1, patience: 2, checkFinite: true, stoppingThreshold: null, strict: false };

  it("mmengine's rule: no improvement when best + minDelta > current, stop after `patience` in a row", () => {
    // 0.5 best; 0.55 < 0.6 waits; 0.7 improves; 0.75, 0.79 wait twice -> stop at the fifth
    expect(feed(new EarlyStoppingHook(opts), [0.5, 0.55, 0.7, 0.75, 0.79, 0.9])).toBe(4);
    // equal to best + minDelta counts as an improvement (mmengine compares with >)
    expect(feed(new EarlyStoppingHook({ ...opts, minDelta: 0.25 }), [0.5, 0.75, 1.0, 1.25, 1.5])).toBeNull();
    expect(feed(new EarlyStoppingHook({ ...opts, monitor: 'loss', rule: 'less' }), [1, 0.95, 0.5, 0.45, 0.41])).toBe(4);
  });

  it('stops on a non-finite metric and at the threshold; infers the rule from the name', () => {
    expect(feed(new EarlyStoppingHook(opts), [0.5, null])).toBe(1);
    expect(feed(new EarlyStoppingHook({ ...opts, checkFinite: false, patience: 9 }), [0.5, null])).toBeNull();
    expect(feed(new EarlyStoppingHook({ ...opts, stoppingThreshold: 0.8, patience: 9 }), [0.5, 0.6, 0.85])).toBe(2);
    expect([inferRule('accuracy/top1'), inferRule('mIoU'), inferRule('bbox_mAP'), inferRule('val_loss'), inferRule('f1')]).toEqual(['greater', 'greater', 'greater', 'less', null]);
    expect(() => new EarlyStoppingHook({ ...opts, monitor: 'f1' }, 'customHooks.0')).toThrow(/customHooks\.0\.rule: cannot infer whether 'f1' should grow or shrink/);
  });

  it('ends a run early and still writes the final weights', async () => {
    const workDir = join(root, 'early');
    const runner = new Runner(await config(['trainCfg.maxIters=8', 'trainCfg.valInterval=2', 'customHooks=[{"type":"EarlyStoppingHook","monitor":"accuracy/top1","stoppingThreshold":-1}]']), {
      workDir,
      dataRoot: data,
      progress: quietProgress(),
    });
    const result = await runner.train();
    runner.dispose();
    expect(result.iters).toBe(2);
    expect(result.stoppedEarly).toMatch(/early stopping: stopping threshold reached: accuracy\/top1 = [\d.]+ is greater than -1/);
    expect(existsSync(join(workDir, 'latest.safetensors'))).toBe(true);
  }, 60_000);
});

describe('VisualizationHook', () => {
  it('writes the first maxImages validation predictions as PNGs at every interval-th evaluation', async () => {
    const workDir = join(root, 'vis');
    const runner = new Runner(await config(['trainCfg.maxIters=6', 'trainCfg.valInterval=2', 'customHooks=[{"type":"VisualizationHook","interval":2,"maxImages":3}]']), {
      workDir,
      dataRoot: data,
      progress: quietProgress(),
    });
    await runner.train();
    runner.dispose();
    // evaluations at 2, 4, 6: the 2nd is drawn (and the 4th would be)
    expect(readdirSync(join(workDir, 'vis'))).toEqual(['iter_4']);
    const files = readdirSync(join(workDir, 'vis', 'iter_4')).sort();
    expect(files).toHaveLength(3);
    expect(files[0]).toMatch(/^000_.+\.png$/);
    const png = await decodeImageFile(join(workDir, 'vis', 'iter_4', files[0]));
    expect([png.width, png.height]).toEqual([32, 32]);
  }, 60_000);

  it('draws label maps blended in and boxes above the threshold', () => {
    const image = { width: 4, height: 2, channels: 3, data: new Uint8Array(24).fill(100) };
    const seg = drawPrediction(image, { kind: 'seg', labelMap: { width: 4, height: 2, data: new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0]) } }, null, ['bg', 'fg']);
    expect(Array.from(seg.data.slice(0, 3))).not.toEqual([100, 100, 100]);
    const det = drawPrediction(image, { kind: 'det', bboxes: new Float32Array([0, 0, 2, 2, 1, 1, 3, 2]), scores: new Float32Array([0.9, 0.1]), labels: new Int32Array([1, 0]) }, null, ['cat', 'dog']);
    expect(det.svg?.match(/<rect /g)).toHaveLength(1);
    expect(det.svg).toContain('dog 0.90');
  });
});
