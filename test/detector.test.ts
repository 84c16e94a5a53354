/**
 * One-stage detectors: RetinaHead / FCOSHead against faithful PyTorch
 * re-implementations of mmdetection 3.x (test/fixtures/detectors/make_detector_fixtures.py),
 * the detection configs, a short training run, predictions in the original image
 * frame, CocoMetric, inference output and fine-tuning from a torchvision Swin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { HEADS, LOSSES, METRICS, MODELS } from '../src/registry/registries.js';
import type { DetectionLoss, DetectionLossKind } from '../src/losses/loss.js';
import { weightReduceLoss, type LossCallOptions } from '../src/losses/weight_reduce_loss.js';
import type { FeatureSpec } from '../src/backbones/backbone.js';
import type { Module } from '../src/nn/module.js';
import type { ComponentConfig } from '../src/registry/options.js';
import type { DataSample } from '../src/structures/data_sample.js';
import type { DetPrediction } from '../src/structures/prediction.js';
import { RetinaHead } from '../src/heads/detection/retina_head.js';
import { FCOSHead } from '../src/heads/detection/fcos_head.js';
import { SingleStageDetector } from '../src/models/one_stage_detector.js';
import { CocoMetric } from '../src/evaluation/coco_metric.js';
import { evaluateCocoBbox } from '../src/metrics/coco/coco_eval.js';
import { parseCocoGroundTruth } from '../src/metrics/coco/load_coco.js';
import type { CocoDetection as CocoResult } from '../src/metrics/coco/coco_types.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import { buildDataset, buildLoader, buildMetric } from '../src/engine/build.js';
import { Runner } from '../src/engine/runner.js';
import { preprocessImage } from '../src/apis/inputs.js';
import { inferDetection } from '../src/apis/infer_detection.js';
import { writeShapesDataset } from '../src/datasets/sample/write_shapes_dataset.js';
import { buildModel } from '../src/models/build_model.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend, quietProgress, TRAIN_BACKEND } from './helpers.js';

const FIXTURE = new URL('./fixtures/detectors/detectors.safetensors', import.meta.url).pathname;
const CONFIGS = new URL('../configs/detection/', import.meta.url).pathname;
const SWIN_TV = new URL('./fixtures/swin/swin_small_tv.pth', import.meta.url).pathname;

const STRIDES = [8, 16, 32, 64, 128];
const INPUTS: FeatureSpec[] = STRIDES.map((stride) => ({ name: `p${Math.log2(stride)}`, channels: 8, stride }));

/** A detection loss defined here: twice mmdet's L1 (mean over elements, or over avgFactor). */
class DoubledL1TestLoss implements DetectionLoss {
  readonly detectionKinds: readonly DetectionLossKind[] = ['box-deltas'];
  forward(pred: tf.Tensor, target: tf.Tensor, call: LossCallOptions = {}): tf.Tensor {
    return tf.tidy(() => weightReduceLoss(pred.sub(target).abs(), call.weight ?? null, 'mean', call.avgFactor ?? null).mul(2));
  }
}
const SMALL_RANGES = [
  [-1, 16],
  [16, 32],
  [32, 64],
  [64, 128],
  [128, 1e8],
];

/** Loads `<c>.sd.*` into `module` after checking that the (mmdet) names are exactly ours. */
function loadCase(module: Module, fx: Map<string, tf.Tensor>, c: string): void {
  const prefix = `${c}.sd.`;
  const theirs = [...fx.keys()]
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length))
    .sort();
  const own = module.stateDict();
  expect([...own.keys()].sort(), `${c}: state-dict names`).toEqual(theirs);
  const state = new Map<string, tf.Tensor>();
  for (const k of theirs) {
    const t = fixture(fx, prefix + k);
    state.set(k, own.get(k)?.rank === 0 ? t.reshape([]) : t);
  }
  module.loadStateDict(state);
}

/** The fixture's two images as samples of a 64 × 96 batch. */
function fixtureSamples(fx: Map<string, tf.Tensor>): DataSample[] {
  const img = fixture(fx, 'meta.img_shapes').dataSync();
  const pad = fixture(fx, 'meta.pad_shapes').dataSync();
  return [0, 1].map((b) => ({
    imgPath: `fixture_${b}`,
    oriShape: [img[2 * b], img[2 * b + 1]],
    imgShape: [img[2 * b], img[2 * b + 1]],
    padShape: [pad[2 * b], pad[2 * b + 1]],
    scaleFactor: [1, 1],
    flip: false,
    gtInstances: {
      bboxes: Float32Array.from(fixture(fx, `gt.${b}.bboxes`).dataSync()),
      labels: Int32Array.from(fixture(fx, `gt.${b}.labels`).dataSync()),
    },
  }));
}

/** Equal shapes and |a − e| ≤ tol·max(1, |e|) everywhere (for exp-activated distances). */
function expectRelClose(actual: tf.Tensor, expected: tf.Tensor, what: string, tol = 1e-4): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const worst = tf.tidy(() => actual.sub(expected).abs().div(expected.abs().maximum(1)).max().dataSync()[0]);
  expect(worst, `${what}: max relative diff ${worst}`).toBeLessThanOrEqual(tol);
}

const scalarOf = (fx: Map<string, tf.Tensor>, name: string): number => fixture(fx, name).dataSync()[0];

/** |a − e| ≤ tol·max(1, |e|). */
function expectLoss(actual: tf.Scalar, expected: number, what: string, tol = 1e-4): void {
  const a = actual.dataSync()[0];
  expect(Math.abs(a - expected), `${what}: ${a} vs mmdet ${expected}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
}

describe.each(TEST_BACKENDS)('RetinaHead and FCOSHead match mmdet 3.x on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  let feats: tf.Tensor4D[];
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
    feats = [0, 1, 2, 3, 4].map((l) => nhwc(fixture(fx, `inputs.${l}`)));
  });
  afterAll(() => {
    tf.dispose([...fx.values(), ...feats]);
  });

  for (const [c, normCfg] of [
    ['retina', null],
    ['retina_gn', { type: 'GN', numGroups: 4 }],
  ] as const) {
    it(`${c}: forward outputs and losses (focal + L1, avg_factor over valid anchors of padded images)`, () => {
      const head = HEADS.build(
        { type: 'RetinaHead', numClasses: 3, featChannels: 16, stackedConvs: 2, normCfg, anchorGenerator: { strides: STRIDES } },
        { inputs: INPUTS, numClasses: null },
        'head',
      ) as RetinaHead;
      expect(head).toBeInstanceOf(RetinaHead);
      loadCase(head, fx, c);
      const out = head.forward(feats);
      for (let l = 0; l < 5; l++) {
        expectClose(out.cls[l], nhwc(fixture(fx, `${c}.out.cls.${l}`)), 1e-4, `${c} cls ${l}`);
        expectClose(out.reg[l], nhwc(fixture(fx, `${c}.out.reg.${l}`)), 1e-4, `${c} reg ${l}`);
      }
      const samples = fixtureSamples(fx);
      const sizes = out.cls.map((m) => [m.shape[1], m.shape[2]] as [number, number]);
      expect(head.getTargets(sizes, samples).avgFactor).toBe(scalarOf(fx, `${c}.avg_factor`));
      const losses = head.loss(feats, samples);
      expect(Object.keys(losses).sort()).toEqual(['loss_bbox', 'loss_cls']);
      expectLoss(losses.loss_cls, scalarOf(fx, `${c}.loss.loss_cls`), `${c} loss_cls`);
      expectLoss(losses.loss_bbox, scalarOf(fx, `${c}.loss.loss_bbox`), `${c} loss_bbox`);
      tf.dispose([...out.cls, ...out.reg, ...Object.values(losses)]);
      head.dispose();
    });
  }

  it("a user's detection loss plugs into RetinaHead by config (declared kind, not class); a loss of another kind is refused", () => {
    const c = 'retina';
    if (!LOSSES.has('DoubledL1TestLoss')) {
      LOSSES.register({ name: 'DoubledL1TestLoss', description: 'test loss: 2 x mmdet L1', defaults: {}, build: () => new DoubledL1TestLoss() });
    }
    const head = HEADS.build(
      { type: 'RetinaHead', numClasses: 3, featChannels: 16, stackedConvs: 2, normCfg: null, anchorGenerator: { strides: STRIDES }, lossBbox: { type: 'DoubledL1TestLoss' } },
      { inputs: INPUTS, numClasses: null },
      'head',
    ) as RetinaHead;
    loadCase(head, fx, c);
    const losses = head.loss(feats, fixtureSamples(fx));
    expectLoss(losses.loss_bbox, 2 * scalarOf(fx, `${c}.loss.loss_bbox`), 'user loss_bbox');
    expectLoss(losses.loss_cls, scalarOf(fx, `${c}.loss.loss_cls`), 'loss_cls');
    tf.dispose(Object.values(losses));
    head.dispose();
    expect(() => HEADS.build({ type: 'RetinaHead', numClasses: 3, lossBbox: { type: 'FocalLoss' } }, { inputs: INPUTS, numClasses: null }, 'model.bboxHead')).toThrow(
      /model\.bboxHead\.lossBbox: RetinaHead\.lossBbox needs a loss computing 'box-deltas'; FocalLoss computes 'sigmoid-labels'/,
    );
    expect(() => HEADS.build({ type: 'RetinaHead', numClasses: 3, lossCls: { type: 'DiceLoss' } }, { inputs: INPUTS, numClasses: null }, 'model.bboxHead')).toThrow(
      /model\.bboxHead\.lossCls: RetinaHead\.lossCls needs a detection loss .* computing 'sigmoid-labels'; DiceLoss is not one/,
    );
  });

  for (const [c, extra] of [
    ['fcos', {}],
    ['fcos_nb', { centerSampling: true, normOnBbox: true, centernessOnReg: true, convBias: true }],
  ] as const) {
    it(`${c}: forward outputs (eval and train) and losses (focal + centerness-weighted GIoU + centerness BCE)`, () => {
      const head = HEADS.build(
        {
          type: 'FCOSHead',
          numClasses: 3,
          featChannels: 16,
          stackedConvs: 2,
          strides: STRIDES,
          regressRanges: SMALL_RANGES,
          normCfg: { type: 'GN', numGroups: 4 },
          ...extra,
        },
        { inputs: INPUTS, numClasses: null },
        'head',
      ) as FCOSHead;
      loadCase(head, fx, c);
      head.eval();
      const out = head.forward(feats);
      for (let l = 0; l < 5; l++) {
        expectClose(out.cls[l], nhwc(fixture(fx, `${c}.out.cls.${l}`)), 1e-4, `${c} cls ${l}`);
        expectRelClose(out.reg[l], nhwc(fixture(fx, `${c}.out.reg.${l}`)), `${c} reg ${l}`);
        expectClose((out.centerness as tf.Tensor4D[])[l], nhwc(fixture(fx, `${c}.out.ctr.${l}`)), 1e-4, `${c} centerness ${l}`);
      }
      head.train();
      const train = head.forward(feats);
      for (let l = 0; l < 5; l++) expectRelClose(train.reg[l], nhwc(fixture(fx, `${c}.out_train.reg.${l}`)), `${c} train reg ${l}`);
      const losses = head.loss(feats, fixtureSamples(fx));
      expect(Object.keys(losses).sort()).toEqual(['loss_bbox', 'loss_centerness', 'loss_cls']);
      for (const term of ['loss_cls', 'loss_bbox', 'loss_centerness']) expectLoss(losses[term], scalarOf(fx, `${c}.loss.${term}`), `${c} ${term}`);
      tf.dispose([...out.cls, ...out.reg, ...(out.centerness ?? []), ...train.cls, ...train.reg, ...(train.centerness ?? []), ...Object.values(losses)]);
      head.dispose();
    });
  }
});

// ----------------------------------------------------------------------------- configs, training, prediction, metric, inference

let root = '';
let data = '';

const NORMALIZE = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const TINY_SWIN = { type: 'SwinTransformer', arch: null, embedDim: 8, depths: [2, 2, 2, 2], numHeads: [1, 1, 2, 2], windowSize: 7, outIndices: [0, 1, 2, 3], dropPathRate: 0 };

/** A tiny detector on the generated shapes (COCO layout) as a validated config. */
function tinyConfig(kind: 'RetinaNet' | 'FCOS', extra: Record<string, unknown> = {}, backbone: Record<string, unknown> = {}): RootConfig {
  const head =
    kind === 'RetinaNet'
      ? { type: 'RetinaHead', numClasses: 3, featChannels: 16, stackedConvs: 1, anchorGenerator: { octaveBaseScale: 2 } }
      : { type: 'FCOSHead', numClasses: 3, featChannels: 16, stackedConvs: 1, normCfg: { type: 'GN', numGroups: 4 }, regressRanges: SMALL_RANGES };
  const dataset = (split: 'train' | 'val', pipeline: unknown[]) => ({
    type: 'CocoDetection',
    dataRoot: data,
    annFile: `annotations/instances_${split}2017.json`,
    imgDir: `${split}2017`,
    filterEmptyGt: split === 'train',
    pipeline,
  });
  const testPipeline = [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [96, 96], keepRatio: true }, { type: 'LoadAnnotations' }, NORMALIZE, { type: 'Pad', sizeDivisor: 32 }];
  return validateConfig(
    {
      model: {
        type: kind,
        backbone: { ...TINY_SWIN, ...backbone },
        neck: { type: 'FPN', outChannels: 16, startLevel: 1, addExtraConvs: kind === 'FCOS' ? 'on_output' : 'on_input', numOuts: 5 },
        bboxHead: head,
      },
      trainDataloader: {
        batchSize: 4,
        numWorkers: 1,
        shuffle: true,
        dataset: dataset('train', [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }, { type: 'RandomFlip', prob: 0.5 }, NORMALIZE, { type: 'Pad', sizeDivisor: 32 }]),
      },
      valDataloader: { batchSize: 4, numWorkers: 1, dataset: dataset('val', testPipeline) },
      testDataloader: { batchSize: 4, numWorkers: 1, dataset: dataset('val', testPipeline) },
      valEvaluator: { type: 'CocoMetric' },
      optimWrapper: { optimizer: { type: 'AdamW', lr: 2e-3, weightDecay: 0.05 }, clipGrad: { maxNorm: 10 } },
      trainCfg: { by: 'iter', maxIters: 30, valInterval: 0 },
      defaultHooks: { checkpoint: { interval: 0, maxKeepCkpts: 1 }, logger: { interval: 5 } },
      ...extra,
    },
    'tiny detector',
  );
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'densekit-det-'));
  data = join(root, 'shapes');
  await writeShapesDataset(data, { numTrain: 12, numVal: 4, size: 96, seed: 5 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('detection configs', () => {
  beforeAll(async () => useBackend('cpu'));
  const builtCounts = new Map<string, Record<string, number>>();

  it.each(['swin-mini_retinanet_coco.ts', 'swin-mini_fcos_coco.ts', 'swin-t_retinanet_coco.ts', 'swin-t_fcos_coco.ts'])('%s validates and builds', async (file) => {
    const config = validateConfig(await loadConfig(`${CONFIGS}${file}`), file);
    const model = buildModel(config);
    expect(model).toBeInstanceOf(SingleStageDetector);
    expect(model.task).toBe('detection');
    const det = model as SingleStageDetector;
    // The head reads the neck's declared outputs: P3–P7.
    expect(det.neck?.outputSpecs.map((s) => s.name)).toEqual(['p3', 'p4', 'p5', 'p6', 'p7']);
    expect(det.bboxHead.inputs.map((s) => s.stride)).toEqual([8, 16, 32, 64, 128]);
    expect(config.valEvaluator?.type).toBe('CocoMetric');
    console.log(`${file}: ${model.numParameters().toLocaleString('en')} parameters`);
    builtCounts.set(file, { total: model.numParameters(), backbone: det.backbone.numParameters(), neck: det.neck?.numParameters() ?? 0, head: det.bboxHead.numParameters() });
    model.dispose();
  });

  it('Swin-T RetinaNet / FCOS parameter counts (RetinaNet Swin-T: 38.5M in the literature, e.g. PVT v2 Table 3)', async () => {
    const count = async (file: string): Promise<Record<string, number>> => {
      const cached = builtCounts.get(file);
      if (cached !== undefined) return cached;
      const model = buildModel(validateConfig(await loadConfig(`${CONFIGS}${file}`), file)) as SingleStageDetector;
      const parts = { total: model.numParameters(), backbone: model.backbone.numParameters(), neck: model.neck?.numParameters() ?? 0, head: model.bboxHead.numParameters() };
      model.dispose();
      return parts;
    };
    const retina = await count('swin-t_retinanet_coco.ts');
    const fcos = await count('swin-t_fcos_coco.ts');
    console.log(`Swin-T RetinaNet ${JSON.stringify(retina)}; Swin-T FCOS ${JSON.stringify(fcos)}`);
    // Swin-T with output norms 1–3 only: 27,520,698 − 192 (norm0).
    expect(retina.backbone).toBe(27_520_506);
    expect(fcos.backbone).toBe(27_520_506);
    // FPN: laterals (192+384+768)·256 + 3·256; 3 output convs 3·(256·256·9 + 256); extra convs.
    const laterals = (192 + 384 + 768) * 256 + 3 * 256;
    const outs = 3 * (256 * 256 * 9 + 256);
    expect(retina.neck).toBe(laterals + outs + (768 * 256 * 9 + 256) + (256 * 256 * 9 + 256)); // on_input
    expect(fcos.neck).toBe(laterals + outs + 2 * (256 * 256 * 9 + 256)); // on_output
    // RetinaHead: 8 convs 256→256, retina_cls 256→9·80, retina_reg 256→9·4.
    expect(retina.head).toBe(8 * (256 * 256 * 9 + 256) + (256 * 720 * 9 + 720) + (256 * 36 * 9 + 36));
    // FCOSHead: 8 biased convs + GN(256), conv_cls / conv_reg / conv_centerness, 5 scales.
    expect(fcos.head).toBe(8 * (256 * 256 * 9 + 256 + 512) + (256 * 80 * 9 + 80) + (256 * 4 * 9 + 4) + (256 * 9 + 1) + 5);
    expect(retina.total).toBe(38_458_606);
    expect(Math.abs(retina.total / 1e6 - 38.5)).toBeLessThan(0.05);
    expect(fcos.total).toBe(35_736_404);
  });

  it('rejects a head whose strides do not match the neck outputs', async () => {
    const config = validateConfig(await loadConfig(`${CONFIGS}swin-mini_fcos_coco.ts`), 'mini fcos');
    const model = { ...(config.model as Record<string, unknown>), bboxHead: { ...((config.model as Record<string, unknown>).bboxHead as object), strides: [4, 8, 16, 32, 64] } };
    expect(() => MODELS.build(model, { numClasses: 3 }, 'model')).toThrow(/strides \[4, 8, 16, 32, 64\] do not match/);
  });
});

describe('detectors in the runner, prediction frame, CocoMetric and inference (wasm)', () => {
  beforeAll(async () => useBackend(TRAIN_BACKEND));

  it.each(['RetinaNet', 'FCOS'] as const)('a short %s run on a dozen images lowers the loss (first vs last logged interval)', async (kind) => {
    const runner = new Runner(tinyConfig(kind, { valDataloader: null, valEvaluator: null }), { workDir: join(root, `${kind}_run`), progress: quietProgress() });
    try {
      const result = await runner.train();
      expect(result.iters).toBe(30);
      expect(result.firstLoss).not.toBeNull();
      console.log(`${kind} loss ${result.firstLoss?.toFixed(4)} → ${result.lastLoss?.toFixed(4)}`);
      expect(result.lastLoss as number).toBeLessThan((result.firstLoss as number) * 0.8);
    } finally {
      runner.dispose();
    }
  });

  it('predict returns boxes in the original image for a resized and padded input', async () => {
    // A 70 × 96 (H × W) image, resized to fit [100, 64] (→ 64 × 88) and padded to 64 × 96.
    const src = join(data, 'val2017', readdirSync(join(data, 'val2017'))[0]);
    const input = join(root, 'wide.png');
    await sharp(src).extract({ left: 0, top: 10, width: 96, height: 70 }).png().toFile(input);
    const config = tinyConfig('RetinaNet', {
      testDataloader: {
        batchSize: 1,
        dataset: {
          type: 'CocoDetection',
          dataRoot: data,
          annFile: 'annotations/instances_val2017.json',
          imgDir: 'val2017',
          pipeline: [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [100, 64], keepRatio: true }, NORMALIZE, { type: 'Pad', sizeDivisor: 32 }],
        },
      },
    });
    const model = buildModel({ ...config, model: { ...(config.model as ComponentConfig), testCfg: { scoreThr: 0, maxPerImg: 60 } } }) as SingleStageDetector;
    const head = model.bboxHead as RetinaHead;
    // Zero regression: every box is an anchor clipped to the resized image.
    for (const p of [head.retinaReg.weight, head.retinaReg.bias]) if (p !== null) p.variable.assign(tf.zerosLike(p.variable));
    model.eval();
    const { input: images, sample } = await preprocessImage(input, config);
    expect(sample.oriShape).toEqual([70, 96]);
    expect(sample.imgShape).toEqual([64, 88]);
    expect(sample.padShape).toEqual([64, 96]);
    expect(images.shape).toEqual([1, 64, 96, 3]);
    const [pred] = (await model.predict({ inputs: images, samples: [sample] })) as DetPrediction[];
    tf.dispose(images);
    expect(pred.kind).toBe('det');
    expect(pred.scores.length).toBe(60);
    const [sx, sy] = sample.scaleFactor;
    expect(sx).toBeCloseTo(88 / 96, 6);
    const anchors = head
      .anchors([
        [8, 12],
        [4, 6],
        [2, 3],
        [1, 2],
        [1, 1],
      ])
      .flatMap((a) => Array.from(a));
    const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
    const expected: number[][] = [];
    for (let j = 0; j < anchors.length; j += 4) {
      const a = [clip(anchors[j], 88), clip(anchors[j + 1], 64), clip(anchors[j + 2], 88), clip(anchors[j + 3], 64)];
      expected.push([clip(a[0] / sx, 96), clip(a[1] / sy, 70), clip(a[2] / sx, 96), clip(a[3] / sy, 70)]);
    }
    let reachesRight = false;
    for (let i = 0; i < pred.scores.length; i++) {
      const box = Array.from(pred.bboxes.subarray(4 * i, 4 * i + 4));
      expect(box[0]).toBeGreaterThanOrEqual(0);
      expect(box[2]).toBeLessThanOrEqual(96);
      expect(box[3]).toBeLessThanOrEqual(70);
      const match = expected.some((e) => e.every((v, c) => Math.abs(v - box[c]) < 1e-3));
      expect(match, `box ${box.map((v) => v.toFixed(2)).join(', ')} is an anchor clipped to the 64×88 image, scaled back to 70×96`).toBe(true);
      if (box[2] > 88.5) reachesRight = true;
    }
    // Some boxes reach beyond the resized frame's width (88): they are in original pixels.
    expect(reachesRight).toBe(true);
    model.dispose();
  });

  it('CocoMetric equals a direct evaluateCocoBbox call, has the mmdet keys and writes the results file', async () => {
    const config = tinyConfig('FCOS');
    const dataset = buildDataset(config.valDataloader as NonNullable<RootConfig['valDataloader']>, 'valDataloader');
    const metric = buildMetric({ type: 'CocoMetric', outfilePrefix: join(root, 'out', 'results') }, dataset, 'valEvaluator') as CocoMetric;
    expect(metric).toBeInstanceOf(CocoMetric);
    expect(metric.annFile).toBe(join(data, 'annotations', 'instances_val2017.json'));
    const gtJson = JSON.parse(readFileSync(metric.annFile as string, 'utf8')) as { annotations: Array<{ image_id: number; category_id: number; bbox: number[] }> };
    // Predictions: each gt jittered (correct class), plus a wrong-class duplicate and a stray box.
    const loader = buildLoader(config.valDataloader as NonNullable<RootConfig['valDataloader']>, dataset, 0, { shuffle: false });
    const direct: CocoResult[] = [];
    let k = 0;
    for await (const batch of loader.iterateOnce()) {
      const preds: DetPrediction[] = batch.samples.map((s) => {
        const anns = gtJson.annotations.filter((a) => a.image_id === s.imgId);
        const boxes: number[] = [];
        const scores: number[] = [];
        const labels: number[] = [];
        for (const a of anns) {
          const j = (k++ % 5) - 2;
          const [x, y, w, h] = a.bbox;
          boxes.push(x + j, y - j / 2, x + w + j / 2, y + h + j, x, y, x + w, y + h, x + 30, y + 30, x + 50, y + 45);
          scores.push(0.9 - 0.01 * k, 0.3, 0.5);
          labels.push(a.category_id - 1, a.category_id % 3, 0);
        }
        return { kind: 'det', bboxes: Float32Array.from(boxes), scores: Float32Array.from(scores), labels: Int32Array.from(labels) };
      });
      metric.process(batch.samples, preds);
      preds.forEach((p, i) => {
        for (let d = 0; d < p.scores.length; d++) {
          const [x1, y1, x2, y2] = p.bboxes.subarray(4 * d, 4 * d + 4);
          direct.push({ image_id: batch.samples[i].imgId as number, category_id: p.labels[d] + 1, bbox: [x1, y1, x2 - x1, y2 - y1], score: p.scores[d] });
        }
      });
      tf.dispose(batch.inputs);
    }
    const values = await metric.compute();
    const keys = ['bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l', 'bbox_AR_1', 'bbox_AR_10', 'bbox_AR_100', 'bbox_AR_s', 'bbox_AR_m', 'bbox_AR_l'];
    expect(Object.keys(values).sort()).toEqual([...keys].sort());
    const gt = parseCocoGroundTruth(JSON.parse(readFileSync(metric.annFile as string, 'utf8')), 'gt');
    const stats = evaluateCocoBbox(gt, direct).stats;
    keys.forEach((key, i) => expect(values[key], key).toBe(stats[i]));
    expect(values.bbox_mAP_50 as number).toBeGreaterThan(0.3);
    expect(values.bbox_mAP_50 as number).toBeLessThanOrEqual(1);
    const written = JSON.parse(readFileSync(join(root, 'out', 'results.bbox.json'), 'utf8')) as CocoResult[];
    expect(written.length).toBe(direct.length);
    expect(Object.keys(written[0]).sort()).toEqual(['bbox', 'category_id', 'image_id', 'score']);
    metric.reset();
    expect(metric.cocoResults.length).toBe(0);
  });

  it('inferDetection writes the drawn image and a COCO results JSON beside the input', async () => {
    const config = tinyConfig('RetinaNet');
    const model = buildModel({ ...config, model: { ...(config.model as ComponentConfig), testCfg: { scoreThr: 0.05, maxPerImg: 20 } } }) as SingleStageDetector;
    const head = model.bboxHead as RetinaHead;
    if (head.retinaCls.bias !== null) head.retinaCls.bias.variable.assign(tf.zerosLike(head.retinaCls.bias.variable)); // scores ≈ 0.5: boxes get drawn
    model.eval();
    const name = readdirSync(join(data, 'val2017'))
      .filter((f) => f.endsWith('.jpg'))
      .sort()[1];
    const input = join(data, 'val2017', name);
    const logs: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => logs.push(args.join(' '));
    try {
      await inferDetection({ model, config, input, out: undefined });
    } finally {
      console.log = log;
    }
    const stem = name.replace(/\.jpg$/, '');
    const image = join(data, 'val2017', `${stem}_det.png`);
    const json = join(data, 'val2017', `${stem}_det.json`);
    expect(existsSync(image)).toBe(true);
    expect(existsSync(json)).toBe(true);
    expect(logs.join('\n')).toContain(image);
    expect(logs.join('\n')).toContain(json);
    const meta = await sharp(image).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 96, 96]);
    // The drawing changed pixels.
    const drawn = await sharp(image).removeAlpha().raw().toBuffer();
    const plain = await sharp(input).raw().toBuffer();
    let changed = 0;
    for (let i = 0; i < plain.length; i++) if (Math.abs(drawn[i] - plain[i]) > 40) changed++;
    expect(changed).toBeGreaterThan(100);
    const results = JSON.parse(readFileSync(json, 'utf8')) as Array<Record<string, unknown>>;
    expect(results.length).toBe(20);
    const ann = JSON.parse(readFileSync(join(data, 'annotations', 'instances_val2017.json'), 'utf8')) as { images: Array<{ id: number; file_name: string }> };
    const imageId = ann.images.find((im) => im.file_name === name)?.id;
    for (const r of results) {
      expect(Object.keys(r).sort()).toEqual(['bbox', 'category_id', 'image_id', 'score']);
      expect(r.image_id).toBe(imageId);
      expect([1, 2, 3]).toContain(r.category_id);
      expect((r.bbox as number[]).length).toBe(4);
      expect((r.bbox as number[])[2]).toBeGreaterThanOrEqual(0);
    }
    model.dispose();
  });

  it('fine-tuning from a torchvision Swin checkpoint with frozenStages 1: the backbone loads, stage 1 stays frozen, the head trains', async () => {
    const config = tinyConfig(
      'FCOS',
      { trainCfg: { by: 'iter', maxIters: 6, valInterval: 6 }, defaultHooks: { checkpoint: { interval: 0, maxKeepCkpts: 1 }, logger: { interval: 3 } } },
      { frozenStages: 1 },
    );
    const progress = quietProgress();
    const runner = new Runner(config, { workDir: join(root, 'finetune'), loadFrom: SWIN_TV, progress });
    try {
      const model = runner.model as SingleStageDetector;
      const snapshot = (): Map<string, Float32Array> => new Map(model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.variable.dataSync())]));
      const frozen = model
        .namedParameters()
        .filter(([, p]) => !p.requiresGrad)
        .map(([n]) => n);
      expect(frozen.length).toBeGreaterThan(0);
      expect(frozen.every((n) => /^backbone\.(patch_embed|layers\.0|norm0)\./.test(n))).toBe(true);
      expect(frozen).toContain('backbone.layers.0.blocks.0.attn.qkv.weight');
      // No optimizer group (so no gradient) holds a frozen parameter.
      const optimized = new Set(runner.optimizer.groups.flatMap((g) => g.params.map((p) => p.name)));
      for (const n of frozen) expect(optimized.has(n), n).toBe(false);
      const init = snapshot();
      const result = await runner.train();
      const after = snapshot();
      expect(progress.lines.join('')).toMatch(/loaded \d+ tensors from .*swin_small_tv\.pth/);
      // Backbone weights come from the checkpoint; the frozen ones are still exactly those.
      const { readWeights } = await import('../src/checkpoint/weights.js');
      const { state } = readWeights(SWIN_TV);
      let fromFile = 0;
      for (const [name, value] of after) {
        const t = state.get(name);
        if (t === undefined) continue;
        fromFile++;
        const same = (t.data as Float32Array).every((v, i) => v === value[i]);
        if (frozen.includes(name)) expect(same, `${name} stays as loaded`).toBe(true);
      }
      expect(fromFile).toBeGreaterThan(40);
      // Stage 2 (loaded, then trained) and the neck and head (initialised, then trained) moved.
      const stage2 = state.get('backbone.layers.1.blocks.0.attn.qkv.weight')?.data as Float32Array;
      expect((after.get('backbone.layers.1.blocks.0.attn.qkv.weight') as Float32Array).some((v, i) => v !== stage2[i])).toBe(true);
      const moved = (n: string) => (after.get(n) as Float32Array).some((v, i) => v !== (init.get(n) as Float32Array)[i]);
      expect(moved('bbox_head.conv_cls.weight')).toBe(true);
      expect(moved('bbox_head.cls_convs.0.conv.weight')).toBe(true);
      expect(moved('neck.lateral_convs.0.conv.weight')).toBe(true);
      // The run validated with CocoMetric.
      expect(result.metrics?.bbox_mAP_50).toBeDefined();
    } finally {
      runner.dispose();
    }
  });
});
