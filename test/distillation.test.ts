import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { hardDistillationLoss, softDistillationLoss } from '../src/engine/distillation.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig } from '../src/config/schema.js';
import { buildModel } from '../src/models/build_model.js';
import { saveWeights } from '../src/checkpoint/weights.js';
import { Runner } from '../src/engine/runner.js';
import { readJsonlLog, type TrainLogRecord } from '../src/structures/train_log.js';
import { writeStripesImageFolder } from '../src/datasets/sample/stripes_dataset.js';
import { useBackend, quietProgress, TRAIN_BACKEND } from './helpers.js';

const fx = new URL('./fixtures/configs/', import.meta.url).pathname;

function softmax(row: number[], t: number): number[] {
  const m = Math.max(...row.map((v) => v / t));
  const e = row.map((v) => Math.exp(v / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('distillation losses match their formulas', () => {
  beforeAll(async () => useBackend('cpu'));
  const student = [
    [1, 2, 3],
    [0.5, -1, 0.25],
  ];
  const teacher = [
    [3, 2, 1],
    [0, 0, 4],
  ];

  it('soft: T² · mean KL(softmax(t/T) ‖ softmax(s/T))', () => {
    for (const T of [1, 2, 4]) {
      let kl = 0;
      student.forEach((s, i) => {
        const ps = softmax(s, T);
        const pt = softmax(teacher[i], T);
        kl += pt.reduce((acc, p, k) => acc + p * Math.log(p / ps[k]), 0);
      });
      const expected = (T * T * kl) / student.length;
      const got = softDistillationLoss(tf.tensor2d(student), tf.tensor2d(teacher), T).dataSync()[0];
      expect(got).toBeCloseTo(expected, 5);
    }
  });

  it('hard: CE of the student against the teacher arg-max', () => {
    const expected = -(Math.log(softmax(student[0], 1)[0]) + Math.log(softmax(student[1], 1)[2])) / 2;
    expect(hardDistillationLoss(tf.tensor2d(student), tf.tensor2d(teacher)).dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it('identical logits give zero soft loss', () => {
    expect(softDistillationLoss(tf.tensor2d(student), tf.tensor2d(student), 3).dataSync()[0]).toBeCloseTo(0, 6);
  });
});

describe('the runner trains a DeiT student against a frozen teacher', () => {
  let root = '';
  beforeAll(async () => {
    await useBackend(TRAIN_BACKEND);
    root = mkdtempSync(join(tmpdir(), 'densekit-distill-'));
    await writeStripesImageFolder(join(root, 'data'), { numTrainPerClass: 4, numValPerClass: 2, size: 32, seed: 9 });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('logs loss_ce and loss_distill, leaves the teacher unchanged and saves only the student', async () => {
    const teacherConfig = validateConfig(await loadConfig(`${fx}tiny_cls.ts`, { cfgOptions: ['model.head.numClasses=3'] }), 'tiny_cls.ts');
    const teacher = buildModel(teacherConfig);
    const teacherWeights = join(root, 'teacher.safetensors');
    saveWeights(teacher, teacherWeights);
    const before = teacher.stateDict().get('head.fc.weight')?.dataSync().slice();
    teacher.dispose();

    const config = validateConfig(
      await loadConfig(`${fx}tiny_deit_student.ts`, {
        cfgOptions: [`distillation.teacherConfig=${fx}tiny_cls.ts`, `distillation.teacherWeights=${teacherWeights}`, 'trainCfg.maxIters=4', 'trainCfg.valInterval=4', 'paramScheduler=[]'],
      }),
      'tiny_deit_student.ts',
    );
    const progress = quietProgress();
    const runner = await Runner.create(config, { workDir: join(root, 'wd'), dataRoot: join(root, 'data'), progress });
    const teacherModel = runner.options.teacher as NonNullable<typeof runner.options.teacher>;
    await runner.train();
    const after = teacherModel.stateDict().get('head.fc.weight')?.dataSync();
    expect(Array.from(after ?? [])).toEqual(Array.from(before ?? []));
    const record = readJsonlLog(join(root, 'wd')).find((r): r is TrainLogRecord => r.mode === 'train');
    expect(Object.keys(record?.losses ?? {}).sort()).toEqual(['loss_ce', 'loss_distill']);
    expect(progress.lines.join('')).toMatch(/distillation: soft, alpha 0\.7, T 2/);
    expect([...runner.model.stateDict().keys()].some((k) => k.startsWith('head.head_dist.'))).toBe(true);
    runner.dispose();
  });
});
