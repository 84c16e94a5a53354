import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import { Runner } from '../src/engine/runner.js';
import { NonFiniteLossError } from '../src/engine/train_step.js';
import { readCheckpoint } from '../src/engine/checkpoint.js';
import { readJsonlLog, type TrainLogRecord } from '../src/structures/train_log.js';
import { writeStripesImageFolder } from '../src/datasets/sample/stripes_dataset.js';
import { DataError } from '../src/core/errors.js';
import { useBackend, quietProgress, TRAIN_BACKEND } from './helpers.js';

const CONFIG = new URL('./fixtures/configs/tiny_cls.ts', import.meta.url).pathname;
let root = '';
let data = '';

async function config(overrides: string[] = []): Promise<RootConfig> {
  return validateConfig(await loadConfig(CONFIG, { cfgOptions: overrides }), CONFIG);
}

function trainLosses(workDir: string): Map<number, number> {
  return new Map(
    readJsonlLog(workDir)
      .filter((r): r is TrainLogRecord => r.mode === 'train')
      .map((r) => [r.iter, r.loss]),
  );
}

beforeAll(async () => {
  await useBackend(TRAIN_BACKEND);
  root = mkdtempSync(join(tmpdir(), 'densekit-runner-'));
  data = join(root, 'stripes');
  await writeStripesImageFolder(data, { numTrainPerClass: 6, numValPerClass: 2, size: 32, seed: 3 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Runner on a classification config', () => {
  it('a run resumed from its checkpoint logs the same losses as an uninterrupted run', async () => {
    const full = new Runner(await config(), { workDir: join(root, 'full'), dataRoot: data, progress: quietProgress() });
    await full.train();
    full.dispose();

    const first = new Runner(await config(), { workDir: join(root, 'resumed'), dataRoot: data, progress: quietProgress(), stopAtIter: 4 });
    await first.train();
    first.dispose();
    expect(existsSync(join(root, 'resumed', 'iter_4.ckpt.safetensors'))).toBe(true);
    const second = new Runner(await config(), { workDir: join(root, 'resumed'), dataRoot: data, progress: quietProgress(), resume: true });
    const result = await second.train();
    second.dispose();
    expect(result.iters).toBe(8);

    const a = trainLosses(join(root, 'full'));
    const b = trainLosses(join(root, 'resumed'));
    expect([...a.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const iter of [5, 6, 7, 8]) expect(b.get(iter), `iter ${iter}`).toBe(a.get(iter));
    // the schedule continued too: lr of iteration 5 equals the uninterrupted run's
    const lrA = readJsonlLog(join(root, 'full')).find((r) => r.mode === 'train' && r.iter === 5);
    const lrB = readJsonlLog(join(root, 'resumed'))
      .filter((r) => r.mode === 'train' && r.iter === 5)
      .pop();
    expect(lrB).toEqual(lrA === undefined ? undefined : expect.objectContaining({ lr: (lrA as TrainLogRecord).lr }));
  });

  it('writes latest.safetensors, keeps the last k checkpoints and the best one', async () => {
    const workDir = join(root, 'files');
    const runner = new Runner(await config(['defaultHooks.checkpoint.interval=2', 'defaultHooks.checkpoint.maxKeepCkpts=2']), {
      workDir,
      dataRoot: data,
      progress: quietProgress(),
    });
    await runner.train();
    runner.dispose();
    const files = readdirSync(workDir);
    expect(files).toContain('latest.safetensors');
    expect(files).toContain('scalars.jsonl');
    expect(files).toContain('metrics.json');
    expect(files.filter((f) => /^iter_\d+\.ckpt\.safetensors$/.test(f)).sort()).toEqual(['iter_6.ckpt.safetensors', 'iter_8.ckpt.safetensors']);
    expect(files.filter((f) => f.startsWith('best_accuracy_top1_iter_'))).toHaveLength(1);
    const ck = readCheckpoint(join(workDir, 'iter_8.ckpt.safetensors'));
    expect(ck.state.iter).toBe(8);
    expect(ck.optimizer.get('step_count')?.dataSync()[0]).toBe(8);
    tf.dispose([...ck.model.values(), ...ck.optimizer.values()]);
  });

  it('a NaN loss stops training with a message and leaves the last checkpoint intact', async () => {
    const workDir = join(root, 'nan');
    const runner = new Runner(
      await config(['optimWrapper.optimizer={"type":"SGD","lr":1e30}', 'optimWrapper.clipGrad=null', 'paramScheduler=[]', 'defaultHooks.checkpoint.interval=1', 'trainCfg.valInterval=100']),
      { workDir, dataRoot: data, progress: quietProgress() },
    );
    await expect(runner.train()).rejects.toThrow(NonFiniteLossError);
    runner.dispose();
    const ckpts = readdirSync(workDir).filter((f) => /^iter_\d+\.ckpt\.safetensors$/.test(f));
    expect(ckpts.length).toBeGreaterThan(0);
    const ck = readCheckpoint(join(workDir, ckpts.sort().pop() as string));
    expect(ck.state.iter).toBeGreaterThan(0);
    tf.dispose([...ck.model.values(), ...ck.optimizer.values()]);
    expect(readdirSync(workDir).some((f) => f.includes('.tmp-'))).toBe(false);
    expect(existsSync(join(workDir, 'latest.safetensors'))).toBe(false);
  });

  it('the loss falls over a short run (the CI version of the learning check)', async () => {
    const workDir = join(root, 'learn');
    const runner = new Runner(await config(['trainCfg.maxIters=24', 'trainCfg.valInterval=24', 'defaultHooks.logger.interval=6', 'paramScheduler=[]']), {
      workDir,
      dataRoot: data,
      progress: quietProgress(),
    });
    const result = await runner.train();
    runner.dispose();
    expect(result.firstLoss).not.toBeNull();
    expect(result.lastLoss as number).toBeLessThan(result.firstLoss as number);
  });

  it('no tensor leaks over several training iterations', async () => {
    const runner = new Runner(await config(['trainCfg.maxIters=6', 'trainCfg.valInterval=100', 'defaultHooks.checkpoint.interval=100']), {
      workDir: join(root, 'leak'),
      dataRoot: data,
      progress: quietProgress(),
      stopAtIter: 2,
    });
    await runner.train();
    const before = tf.memory().numTensors;
    (runner.options as { stopAtIter?: number }).stopAtIter = 5;
    await runner.train();
    expect(tf.memory().numTensors).toBe(before);
    runner.dispose();
  });
});

describe('classification data errors', () => {
  it('a corrupt image stops training with the path, or is skipped and counted with skipCorrupt', async () => {
    const bad = join(root, 'corrupt');
    await writeStripesImageFolder(bad, { numTrainPerClass: 4, numValPerClass: 2, size: 32, seed: 4 });
    const victim = join(bad, 'train', 'rings', readdirSync(join(bad, 'train', 'rings')).sort()[0]);
    writeFileSync(victim, Buffer.from('this is not an image'));
    const strict = new Runner(await config(['trainCfg.maxIters=4', 'trainCfg.valInterval=100']), { workDir: join(root, 'c1'), dataRoot: bad, progress: quietProgress() });
    await expect(strict.train()).rejects.toThrow(new RegExp(`Cannot decode image ${victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    strict.dispose();
    const progress = quietProgress();
    const lenient = new Runner(await config(['trainCfg.maxIters=6', 'trainCfg.valInterval=100', 'trainDataloader.skipCorrupt=true']), {
      workDir: join(root, 'c2'),
      dataRoot: bad,
      progress,
    });
    await lenient.train();
    expect(lenient.trainLoader.skipped).toBeGreaterThan(0);
    expect(progress.lines.join('')).toMatch(/skipped \d+ corrupt image\(s\)/);
    lenient.dispose();
  });

  it('an empty class folder and a missing root are clear errors', async () => {
    const empty = join(root, 'empty');
    await writeStripesImageFolder(empty, { numTrainPerClass: 2, numValPerClass: 1, size: 16, seed: 5 });
    mkdirSync(join(empty, 'train', 'zebra'));
    await expect(async () => new Runner(await config(), { workDir: join(root, 'e'), dataRoot: empty, progress: quietProgress() })).rejects.toThrow(/class folder .*train\/zebra holds no images/);
    await expect(async () => new Runner(await config(), { workDir: join(root, 'm'), dataRoot: join(root, 'nope'), progress: quietProgress() })).rejects.toThrow(DataError);
  });

  it('a config key that does not exist is named with its path', async () => {
    await expect(config(['trainDataloader.batch_size=2'])).rejects.toThrow(/Unknown option 'batch_size' at trainDataloader\.batch_size .*Did you mean 'batchSize'/);
  });
});
