import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { DataError } from '../src/core/errors.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import { MODELS, HEADS } from '../src/registry/registries.js';
import { Backbone, type FeatureSpec } from '../src/backbones/backbone.js';
import { Conv2d } from '../src/nn/layers/conv2d.js';
import { resizeBilinear } from '../src/nn/functional/resize.js';
import type { DecodeHead } from '../src/heads/segmentation/decode_head.js';
import { EncoderDecoder, type SegTestCfg } from '../src/models/encoder_decoder.js';
import { IoUMetric } from '../src/evaluation/iou_metric.js';
import { IoUAccumulator, segMetricsToJson } from '../src/metrics/segmentation/iou.js';
import { Runner } from '../src/engine/runner.js';
import { readWeights } from '../src/checkpoint/weights.js';
import { toFloat32 } from '../src/checkpoint/host_tensor.js';
import { writeShapesDataset } from '../src/datasets/sample/write_shapes_dataset.js';
import { encodeGrayPng, encodeRgbPng } from '../src/datasets/sample/image_io.js';
import { decodeLabelPng } from '../src/datasets/label_png.js';
import { inferSegmentation, segmentImageFile } from '../src/apis/infer_segmentation.js';
import { configuredNumClasses, withDataRoot, type InferWriter } from '../src/apis/infer_task.js';
import type { Batch, DataSample } from '../src/structures/data_sample.js';
import type { SegPrediction } from '../src/structures/prediction.js';
import { expectClose, useBackend, quietProgress, TRAIN_BACKEND } from './helpers.js';

const CONFIGS = new URL('../configs/segmentation/', import.meta.url).pathname;
const SWIN_TV = new URL('./fixtures/swin/swin_small_tv.pth', import.meta.url).pathname;
const CLASSES = ['background', 'rectangle', 'ellipse', 'triangle'];
const NORMALIZE = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

let root = '';
let shapes = '';

/** A tiny Swin + UPerNet (+ FCN aux on stage 3) model config. */
function tinyModelCfg(testCfg: Partial<SegTestCfg> = {}, backbone: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'EncoderDecoder',
    backbone: { type: 'SwinTransformer', arch: null, embedDim: 8, depths: [1, 1, 1, 1], numHeads: [1, 1, 2, 2], windowSize: 4, dropPathRate: 0, ...backbone },
    decodeHead: { type: 'UPerHead', channels: 8, normCfg: { type: 'BN' } },
    auxiliaryHead: {
      type: 'FCNHead',
      inIndex: 2,
      channels: 8,
      numConvs: 1,
      concatInput: false,
      normCfg: { type: 'BN' },
      lossDecode: { type: 'CrossEntropyLoss', lossWeight: 0.4 },
    },
    testCfg,
  };
}

function buildTiny(testCfg: Partial<SegTestCfg> = {}, numClasses = 4): EncoderDecoder {
  const model = MODELS.build(tinyModelCfg(testCfg), { numClasses }, 'model');
  if (!(model instanceof EncoderDecoder)) throw new Error('not an EncoderDecoder');
  return model;
}

/** A whole training config for the shapes data with a tiny model. */
function shapesConfig(extra: Record<string, unknown> = {}): RootConfig {
  const dataset = { type: 'ADE20KDataset', dataRoot: shapes, classes: CLASSES, reduceZeroLabel: false };
  return validateConfig(
    {
      model: tinyModelCfg(),
      trainDataloader: {
        batchSize: 2,
        numWorkers: 1,
        shuffle: true,
        dataset: { ...dataset, split: 'train', pipeline: [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }, { type: 'RandomFlip', prob: 0.5 }, NORMALIZE] },
      },
      valDataloader: null,
      optimWrapper: { optimizer: { type: 'AdamW', lr: 1e-2, weightDecay: 0.01 } },
      paramScheduler: [],
      trainCfg: { by: 'iter', maxIters: 15, valInterval: 0 },
      defaultHooks: { checkpoint: { interval: 0, maxKeepCkpts: 1 }, logger: { interval: 5 } },
      ...extra,
    },
    'test config',
  );
}

function sample(imgShape: [number, number], oriShape: [number, number], extra: Partial<DataSample> = {}): DataSample {
  return { imgPath: '', oriShape, imgShape, scaleFactor: [imgShape[1] / oriShape[1], imgShape[0] / oriShape[0]], flip: false, ...extra };
}

/** Arg-max over the last axis of `[H, W, K]` as bytes. */
function argmax(scores: tf.Tensor3D): Uint8Array {
  return tf.tidy(() => Uint8Array.from(tf.argMax(scores, 2).dataSync()));
}

/** `encodeDecode` of a region, resized to `ori` (and optionally flipped back along W). */
function manualLogits(model: EncoderDecoder, x: tf.Tensor4D, ori: [number, number]): tf.Tensor3D {
  return tf.tidy(() => resizeBilinear(model.encodeDecode(x), ori, false).squeeze([0]) as tf.Tensor3D);
}

beforeAll(async () => {
  await useBackend(TRAIN_BACKEND);
  root = mkdtempSync(join(tmpdir(), 'densekit-seg-'));
  shapes = join(root, 'shapes');
  await writeShapesDataset(shapes, { numTrain: 12, numVal: 4, seed: 7 });
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('segmentation configs build', () => {
  it.each(['swin-mini_upernet_ade.ts', 'swin-mini_semfpn_ade.ts'])('%s validates and builds a segmentor for the 4 shapes classes', async (file) => {
    const config = validateConfig(await loadConfig(`${CONFIGS}${file}`), file);
    const model = MODELS.build(config.model, { numClasses: 4 }, 'model') as EncoderDecoder;
    expect(model).toBeInstanceOf(EncoderDecoder);
    expect(model.task).toBe('segmentation');
    expect(model.numClasses).toBe(4);
    expect(config.valEvaluator?.type).toBe('IoUMetric');
    const ds = config.trainDataloader?.dataset as Record<string, unknown>;
    expect(ds.classes).toEqual(CLASSES);
    expect(ds.reduceZeroLabel).toBe(false);
    expect(config.trainDataloader?.batchSize).toBeGreaterThanOrEqual(2);
    if (file.includes('upernet')) expect(model.auxiliaryHead?.numClasses).toBe(4);
    else expect(model.neck).not.toBeNull();
    model.dispose();
    // `npm run infer` builds the model without reading data: the class count comes from the dataset's `classes`.
    expect(config.model?.decodeHead).toMatchObject({ numClasses: null });
    expect(configuredNumClasses(config)).toBe(4);
  });

  it('withDataRoot points every dataset at the given root without changing the original config', async () => {
    const config = validateConfig(await loadConfig(`${CONFIGS}swin-mini_upernet_ade.ts`), 'swin-mini_upernet_ade.ts');
    const moved = withDataRoot(config, '/elsewhere');
    for (const key of ['trainDataloader', 'valDataloader', 'testDataloader'] as const) {
      expect((moved[key]?.dataset as unknown as { dataRoot: string }).dataRoot).toBe('/elsewhere');
      expect((config[key]?.dataset as unknown as { dataRoot: string }).dataRoot).toBe('data/shapes');
    }
  });

  it('configuredNumClasses is null when no dataset lists its classes', async () => {
    const config = validateConfig(await loadConfig('configs/classification/swin-mini_imagefolder.ts'), 'swin-mini_imagefolder.ts');
    expect(configuredNumClasses(config)).toBeNull();
  });

  it('the published Swin-T UPerNet recipe has 59.9M parameters (59,941,862: Swin paper 60M) and the recipe settings', async () => {
    const file = `${CONFIGS}swin-t_upernet_ade20k-512.ts`;
    const config = validateConfig(await loadConfig(file), file);
    const model = MODELS.build(config.model, { numClasses: 150 }, 'model') as EncoderDecoder;
    expect(model.backbone.numParameters()).toBe(27_520_698);
    expect(model.decodeHead.numParameters()).toBe(31_497_366);
    expect(model.auxiliaryHead?.numParameters()).toBe(923_798);
    expect(model.numParameters()).toBe(59_941_862);
    expect(model.featureSpecs.map((s) => s.channels)).toEqual([96, 192, 384, 768]);
    expect(model.testCfg.mode).toBe('whole');
    model.dispose();
    const opt = config.optimWrapper?.optimizer as Record<string, unknown>;
    expect(opt).toMatchObject({ type: 'AdamW', lr: 6e-5, weightDecay: 0.01, betas: [0.9, 0.999] });
    expect(Object.keys(config.optimWrapper?.paramwiseCfg.customKeys ?? {}).sort()).toEqual(['absolute_pos_embed', 'norm', 'relative_position_bias_table']);
    expect(config.paramScheduler).toMatchObject([
      { type: 'LinearLR', startFactor: 1e-6, begin: 0, end: 1500 },
      { type: 'PolyLR', power: 1.0, etaMin: 0, begin: 1500, end: 160000 },
    ]);
    expect(config.trainCfg).toMatchObject({ maxIters: 160000, valInterval: 16000 });
    expect(config.defaultHooks.checkpoint.interval).toBe(16000);
    expect(config.trainDataloader?.batchSize).toBe(16);
    const pipeline = (config.trainDataloader?.dataset as unknown as { pipeline: Array<Record<string, unknown>> }).pipeline;
    expect(pipeline.map((t) => t.type)).toEqual(['LoadImageFromFile', 'LoadAnnotations', 'RandomResize', 'RandomCrop', 'RandomFlip', 'PhotoMetricDistortion', 'Normalize', 'Pad']);
    expect(pipeline[3]).toMatchObject({ cropSize: [512, 512], catMaxRatio: 0.75 });
  });
});

describe('EncoderDecoder training', () => {
  let model: EncoderDecoder;
  let batch: Batch;
  let labels: Uint8Array;
  beforeAll(() => {
    model = buildTiny();
    const [b, h, w] = [2, 64, 64];
    labels = new Uint8Array(b * h * w).map((_, i) => (i % 17 === 0 ? 255 : (i * 7 + (i >> 6)) % 4));
    batch = {
      inputs: tf.randomNormal([b, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D,
      samples: [0, 1].map((i) => sample([h, w], [h, w], { gtSemSeg: { data: labels.slice(i * h * w, (i + 1) * h * w), height: h, width: w } })),
    };
  });
  afterAll(() => {
    batch.inputs.dispose();
    model.dispose();
  });

  /** Mean cross-entropy of `[B, h, w, K]` logits upsampled to the labels, ignoring 255. */
  function manualCe(logits: tf.Tensor4D): number {
    const [b, , , k] = logits.shape;
    const logp = tf.tidy(() => tf.logSoftmax(resizeBilinear(logits, [64, 64], false).reshape([b * 64 * 64, k])).dataSync());
    let sum = 0;
    let n = 0;
    labels.forEach((l, i) => {
      if (l === 255) return;
      sum -= logp[i * k + l];
      n++;
    });
    return sum / n;
  }

  it("loss terms are 'decode.loss_ce' and 'aux.loss_ce' (weight 0.4), equal to a manual cross-entropy", () => {
    model.eval();
    const losses = model.loss(batch);
    expect(Object.keys(losses).sort()).toEqual(['aux.loss_ce', 'decode.loss_ce']);
    const values = Object.fromEntries(Object.entries(losses).map(([k, v]) => [k, v.dataSync()[0]]));
    tf.dispose(Object.values(losses));
    for (const v of Object.values(values)) expect(Number.isFinite(v)).toBe(true);
    const feats = model.extractFeat(batch.inputs);
    const decode = model.decodeHead.forward(feats);
    const aux = (model.auxiliaryHead as DecodeHead).forward(feats);
    expect(values['decode.loss_ce']).toBeCloseTo(manualCe(decode), 4);
    expect(values['aux.loss_ce']).toBeCloseTo(0.4 * manualCe(aux), 4);
    tf.dispose([...feats, decode, aux]);
    model.train();
  });

  it('every trainable parameter gets a finite, non-zero gradient (wasm); two steps leak no tensor', () => {
    model.train();
    const vars = model.trainableVariables();
    expect([...vars.keys()].some((k) => k.startsWith('auxiliary_head.'))).toBe(true);
    const step = (check: boolean): void => {
      const { value, grads } = tf.variableGrads(() => {
        const l = model.loss(batch);
        return tf.addN(Object.values(l)) as tf.Scalar;
      }, [...vars.values()]);
      if (check) {
        for (const [name, v] of vars) {
          const g = grads[v.name];
          expect(g, name).toBeDefined();
          const [finite, mag] = tf.tidy(() => [tf.isFinite(g).all().dataSync()[0], g.abs().sum().dataSync()[0]]);
          expect(finite, `${name} finite`).toBe(1);
          expect(mag, `${name} non-zero`).toBeGreaterThan(0);
        }
      }
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(true);
    const before = tf.memory().numTensors;
    step(false);
    step(false);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** A per-pixel backbone (1x1 conv, stride 1): its logits depend on each pixel alone, so slide and whole inference must agree. */
class PointwiseBackbone extends Backbone {
  readonly outputSpecs: FeatureSpec[] = [{ name: 'stage1', channels: 6, stride: 1 }];
  readonly conv = this.addModule('conv', new Conv2d(3, 6, 1));
  forward(images: tf.Tensor4D): tf.Tensor4D[] {
    return [tf.tidy(() => tf.relu(this.conv.forward(images)))];
  }
}

describe('EncoderDecoder inference', () => {
  let model: EncoderDecoder;
  beforeAll(() => {
    model = buildTiny();
    model.eval();
  });
  afterAll(() => model.dispose());

  it('predicts at the original size for resized and padded inputs, per image on its unpadded region, undoing a pipeline flip', async () => {
    const inputs = tf.randomNormal([2, 48, 48, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const samples = [sample([40, 48], [80, 96]), sample([48, 36], [30, 25], { flip: true, flipDirection: 'horizontal' })];
    await model.predict({ inputs, samples }); // warm-up: first uses may cache constants
    const before = tf.memory().numTensors;
    const preds = (await model.predict({ inputs, samples })) as SegPrediction[];
    expect(tf.memory().numTensors).toBe(before);
    expect(preds.map((p) => [p.labelMap.height, p.labelMap.width])).toEqual([
      [80, 96],
      [30, 25],
    ]);
    const a = tf.tidy(() => inputs.slice([0, 0, 0, 0], [1, 40, 48, 3]));
    const b = tf.tidy(() => inputs.slice([1, 0, 0, 0], [1, 48, 36, 3]));
    const ea = manualLogits(model, a, [80, 96]);
    const eb = tf.tidy(() => resizeBilinear(tf.reverse(model.encodeDecode(b), 2), [30, 25], false).squeeze([0]) as tf.Tensor3D);
    expect(Array.from(preds[0].labelMap.data)).toEqual(Array.from(argmax(ea)));
    expect(Array.from(preds[1].labelMap.data)).toEqual(Array.from(argmax(eb)));
    for (const p of preds) expect(Math.max(...p.labelMap.data)).toBeLessThan(4);
    tf.dispose([inputs, a, b, ea, eb]);
  });

  it("'slide' equals 'whole' for a per-pixel model (tiling, overlapping/non-tiling, smaller than the window)", () => {
    const backbone = new PointwiseBackbone();
    const head = HEADS.build(
      { type: 'FCNHead', channels: 6, numConvs: 1, kernelSize: 1, concatInput: false, dropoutRatio: 0, normCfg: null },
      { inputs: backbone.outputSpecs, numClasses: 3 },
      'head',
    ) as DecodeHead;
    const whole = new EncoderDecoder(backbone, null, head, null, { mode: 'whole' });
    whole.eval();
    const cases: Array<[[number, number], [number, number], [number, number]]> = [
      [
        [64, 64],
        [32, 32],
        [32, 32],
      ],
      [
        [50, 70],
        [32, 32],
        [20, 20],
      ],
      [
        [37, 45],
        [16, 24],
        [11, 7],
      ],
      [
        [20, 24],
        [32, 32],
        [16, 16],
      ],
    ];
    for (const [size, cropSize, stride] of cases) {
      const slide = new EncoderDecoder(backbone, null, head, null, { mode: 'slide', cropSize, stride });
      slide.eval();
      const x = tf.randomNormal([2, ...size, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const ws = whole.inference(x);
      const sl = slide.inference(x);
      expect(sl.shape).toEqual([2, ...size, 3]);
      expectClose(sl, ws, 1e-5, `slide ${size} crop ${cropSize} stride ${stride}`);
      tf.dispose([x, ws, sl]);
    }
    whole.dispose();
  });

  it("'slide' on a Swin model equals the per-window logits pasted in place (exact tiling), and predicts the original size on non-tiling inputs", async () => {
    const slide = buildTiny({ mode: 'slide', cropSize: [32, 32], stride: [32, 32] });
    slide.loadStateDict(model.stateDict());
    slide.eval();
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const got = slide.inference(x);
    const expected = tf.tidy(() => {
      const q = (y: number, xx: number) => model.encodeDecode(x.slice([0, y, xx, 0], [1, 32, 32, 3]));
      return tf.concat([tf.concat([q(0, 0), q(0, 32)], 2), tf.concat([q(32, 0), q(32, 32)], 2)], 1);
    });
    expectClose(got, expected, 1e-5, 'slide vs pasted windows');
    const wholeLogits = model.inference(x);
    expect(tf.tidy(() => got.sub(wholeLogits).abs().max().dataSync()[0])).toBeGreaterThan(1e-4); // the windows really are separate
    const odd = tf.randomNormal([1, 45, 70, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [p] = (await slide.predict({ inputs: odd, samples: [sample([45, 70], [90, 140])] })) as SegPrediction[];
    expect([p.labelMap.height, p.labelMap.width]).toEqual([90, 140]);
    tf.dispose([x, got, expected, wholeLogits, odd]);
    slide.dispose();
  });

  it('flip TTA averages the softmax of the image and of its flipped prediction flipped back (manual computation)', async () => {
    const tta = buildTiny({ flip: true });
    tta.loadStateDict(model.stateDict());
    tta.eval();
    const x = tf.randomNormal([1, 40, 56, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
    const s = sample([40, 56], [50, 70]);
    const [scores] = tta.segScores({ inputs: x, samples: [s] });
    const p1 = tf.tidy(() => tf.softmax(manualLogits(model, x, [50, 70])));
    const p2 = tf.tidy(() => tf.softmax(resizeBilinear(tf.reverse(model.encodeDecode(tf.reverse(x, 2)), 2), [50, 70], false).squeeze([0])));
    const expected = tf.tidy(() => p1.add(p2).div(2) as tf.Tensor3D);
    expect(tf.tidy(() => p1.sub(p2).abs().max().dataSync()[0])).toBeGreaterThan(1e-3); // the model is not flip-symmetric
    expectClose(scores, expected, 1e-5, 'flip TTA scores');
    const [pred] = (await tta.predict({ inputs: x, samples: [s] })) as SegPrediction[];
    expect(Array.from(pred.labelMap.data)).toEqual(Array.from(argmax(expected)));
    tf.dispose([x, scores, p1, p2, expected]);
    tta.dispose();
  });

  it('multi-scale TTA resizes the input by each factor and averages the softmax at the original size', () => {
    const tta = buildTiny({ scales: [0.5, 1.5] });
    tta.loadStateDict(model.stateDict());
    tta.eval();
    const x = tf.randomNormal([1, 40, 56, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const [scores] = tta.segScores({ inputs: x, samples: [sample([40, 56], [50, 70])] });
    const view = (size: [number, number]) => tf.tidy(() => tf.softmax(manualLogits(model, resizeBilinear(x, size, false), [50, 70])));
    const [a, b] = [view([20, 28]), view([60, 84])];
    const expected = tf.tidy(() => a.add(b).div(2) as tf.Tensor3D);
    expectClose(scores, expected, 1e-5, 'multi-scale TTA scores');
    tf.dispose([x, scores, a, b, expected]);
    tta.dispose();
  });
});

describe('IoUMetric', () => {
  function randomMap(n: number, seed: number, k: number, ignore = false): Uint8Array {
    let s = seed;
    return new Uint8Array(n).map(() => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const v = (s >>> 16) % (ignore ? k + 1 : k);
      return v === k ? 255 : v;
    });
  }

  it('equals IoUAccumulator on the same data, with every key (mIoU, mAcc, aAcc, IoU.<class>, Acc.<class>)', () => {
    const metric = new IoUMetric({ ignoreIndex: 255 }, CLASSES);
    const ref = new IoUAccumulator(4, 255);
    const sizes: Array<[number, number]> = [
      [10, 12],
      [7, 9],
      [16, 5],
    ];
    const batches: Array<{ samples: DataSample[]; preds: SegPrediction[] }> = [
      { samples: [], preds: [] },
      { samples: [], preds: [] },
    ];
    sizes.forEach(([h, w], i) => {
      // class 3 is never predicted in the first image and never labelled anywhere: IoU.triangle 0, Acc.triangle null
      const label = randomMap(h * w, 11 + i, 3, true);
      const pred = randomMap(h * w, 101 + i, i === 0 ? 3 : 4);
      ref.add(pred, label);
      const target = batches[i === 0 ? 0 : 1];
      target.samples.push(sample([h, w], [h, w], { gtSemSeg: { data: label, height: h, width: w } }));
      target.preds.push({ kind: 'seg', labelMap: { data: pred, height: h, width: w } });
    });
    for (const b of batches) metric.process(b.samples, b.preds);
    const got = metric.compute();
    const expected = segMetricsToJson(ref.compute(), CLASSES);
    expect(got).toEqual(expected);
    expect(Object.keys(got).sort()).toEqual(['mIoU', 'mAcc', 'aAcc', ...CLASSES.map((c) => `IoU.${c}`), ...CLASSES.map((c) => `Acc.${c}`)].sort());
    expect(got['Acc.triangle']).toBeNull();
    expect(got['IoU.triangle']).toBe(0);
    for (const k of ['mIoU', 'mAcc', 'aAcc']) expect(got[k]).toBeGreaterThan(0);
    for (const k of ['mIoU', 'mAcc', 'aAcc']) expect(got[k]).toBeLessThan(1);
    metric.reset();
    expect(metric.compute().aAcc).toBeNull();
  });

  it('compares with the label at the original size: collate padding is cut off; a resized sample is evaluated against its label PNG', () => {
    const metric = new IoUMetric({ ignoreIndex: 255 }, CLASSES);
    const ref = new IoUAccumulator(4, 255);
    const label = randomMap(6 * 8, 5, 4);
    const pred = randomMap(6 * 8, 6, 4);
    ref.add(pred, label);
    // padded by collate to 10x12 with 255
    const padded = new Uint8Array(10 * 12).fill(255);
    for (let y = 0; y < 6; y++) padded.set(label.subarray(y * 8, y * 8 + 8), y * 12);
    metric.process([sample([6, 8], [6, 8], { gtSemSeg: { data: padded, height: 10, width: 12 } })], [{ kind: 'seg', labelMap: { data: pred, height: 6, width: 8 } }]);
    // a resized sample: the label PNG (values 1..4, reduceZeroLabel) is reloaded at 9x11
    const original = randomMap(9 * 11, 8, 5);
    const png = join(root, 'label_9x11.png');
    writeFileSync(png, encodeGrayPng(original, 11, 9));
    const pred2 = randomMap(9 * 11, 9, 4);
    ref.add(
      pred2,
      original.map((v) => (v === 0 ? 255 : v - 1)),
    );
    metric.process(
      [sample([4, 5], [9, 11], { segMapPath: png, reduceZeroLabel: true, gtSemSeg: { data: new Uint8Array(20), height: 4, width: 5 } })],
      [{ kind: 'seg', labelMap: { data: pred2, height: 9, width: 11 } }],
    );
    expect(metric.compute()).toEqual(segMetricsToJson(ref.compute(), CLASSES));
    expect(() => metric.process([sample([6, 8], [6, 8], { gtSemSeg: { data: label, height: 6, width: 8 } })], [{ kind: 'seg', labelMap: { data: pred, height: 5, width: 8 } }])).toThrow(
      /differ in size/,
    );
  });
});

describe('training, inference and fine-tuning end to end (wasm)', () => {
  it('a short Runner run on generated shapes: the loss falls', async () => {
    const runner = new Runner(shapesConfig(), { workDir: join(root, 'run'), dataRoot: shapes, progress: quietProgress() });
    const result = await runner.train();
    runner.dispose();
    expect(result.iters).toBe(15);
    expect(result.firstLoss).not.toBeNull();
    expect(result.lastLoss as number, `first ${result.firstLoss} last ${result.lastLoss}`).toBeLessThan(0.9 * (result.firstLoss as number));
    console.log(`segmentor training test: first-interval loss ${result.firstLoss}, last ${result.lastLoss}`);
  });

  it('inferSegmentation writes a grayscale index PNG of the original size with class values, and a colour overlay', async () => {
    const config = shapesConfig({
      testDataloader: {
        batchSize: 1,
        dataset: {
          type: 'ADE20KDataset',
          dataRoot: shapes,
          classes: CLASSES,
          split: 'val',
          pipeline: [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [64, 64], keepRatio: false }, NORMALIZE],
        },
      },
    });
    const model = MODELS.build(config.model, { numClasses: 4 }, 'model') as EncoderDecoder;
    model.eval();
    const input = join(root, 'photo.png');
    const rgb = new Uint8Array(50 * 70 * 3).map((_, i) => (i * 37) % 256);
    writeFileSync(input, await encodeRgbPng(rgb, 70, 50));
    const logs: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void logs.push(args.join(' '));
    const writer: InferWriter = inferSegmentation; // fits tools/infer.ts' WRITERS table
    expect(writer).toBe(inferSegmentation);
    let result;
    try {
      await inferSegmentation({ model, config, input, out: join(root, 'other.png') });
      result = await segmentImageFile({ model, config, input, out: undefined });
    } finally {
      console.log = log;
    }
    expect(existsSync(join(root, 'other.png')) && existsSync(join(root, 'other_overlay.png'))).toBe(true);
    model.dispose();
    const indexPath = join(root, 'photo_pred.png');
    const overlayPath = join(root, 'photo_pred_overlay.png');
    expect(result.indexPath).toBe(indexPath);
    expect(result.overlayPath).toBe(overlayPath);
    expect(logs.join('\n')).toContain(indexPath);
    expect(logs.join('\n')).toContain(overlayPath);
    const bytes = readFileSync(indexPath);
    expect(bytes[25]).toBe(0); // IHDR colour type 0: grayscale
    expect(bytes[24]).toBe(8); // bit depth 8
    const map = decodeLabelPng(bytes, indexPath);
    expect([map.height, map.width]).toEqual([50, 70]);
    expect(Math.max(...map.data)).toBeLessThan(4);
    expect(Array.from(map.data)).toEqual(Array.from(result.labelMap.data));
    const meta = await sharp(overlayPath).metadata();
    expect([meta.height, meta.width, meta.channels, meta.format]).toEqual([50, 70, 3, 'png']);
  });

  it('training on a dataset with an RGB label PNG fails with a DataError naming the file', async () => {
    const bad = join(root, 'bad_shapes');
    await writeShapesDataset(bad, { numTrain: 2, numVal: 1, seed: 9 });
    const victim = join(bad, 'annotations', 'training', 'train_000001.png');
    writeFileSync(victim, await encodeRgbPng(new Uint8Array(96 * 96 * 3), 96, 96));
    const config = shapesConfig({ trainCfg: { by: 'iter', maxIters: 2, valInterval: 0 } });
    const runner = new Runner(config, { workDir: join(root, 'bad_run'), dataRoot: bad, progress: quietProgress() });
    const err = await runner.train().then(
      () => null,
      (e: unknown) => e,
    );
    runner.dispose();
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(victim);
    expect((err as Error).message).toMatch(/RGB PNG/);
  });

  it('--load-from a converted ImageNet Swin checkpoint: the backbone loads, the heads start fresh, the report says so', async () => {
    const backbone = { embedDim: 8, depths: [2, 2, 2, 2], numHeads: [1, 1, 2, 2], windowSize: 7 };
    const config = shapesConfig({
      model: tinyModelCfg({}, backbone),
      optimWrapper: { optimizer: { type: 'AdamW', lr: 1e-12, weightDecay: 0 } },
      trainCfg: { by: 'iter', maxIters: 1, valInterval: 0 },
    });
    const progress = quietProgress();
    const runner = new Runner(config, { workDir: join(root, 'finetune'), dataRoot: shapes, loadFrom: SWIN_TV, progress });
    const headBefore = new Map(
      runner.model
        .namedParameters()
        .filter(([k]) => k.startsWith('decode_head.'))
        .map(([k, p]) => [k, p.variable.clone()]),
    );
    await runner.train();
    const text = progress.lines.join('');
    const { state } = readWeights(SWIN_TV);
    const own = runner.model.stateDict();
    const loaded = [...state.keys()].filter((k) => own.has(k));
    expect(loaded.length).toBeGreaterThan(40);
    expect(loaded.every((k) => k.startsWith('backbone.'))).toBe(true);
    expect(text).toContain('layout: swin-torchvision');
    expect(text).toContain(`loaded ${loaded.length} tensors from ${SWIN_TV}`);
    expect(text).toMatch(/missing in the file \(\d+\): .*decode_head\./);
    expect(text).toMatch(/unexpected in the file \(2\): head\.fc\.(weight|bias), head\.fc\.(weight|bias)/);
    // the backbone holds the file's weights (lr 1e-12: one step changes nothing measurable)
    for (const k of loaded) {
      const t = state.get(k);
      if (t === undefined) throw new Error(k);
      const expected = toFloat32(t).data as Float32Array;
      const got = own.get(k)?.dataSync() as Float32Array;
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - expected[i]));
      expect(diff, k).toBeLessThan(1e-5);
    }
    // the heads were not loaded: still their initial values (up to the tiny step)
    const missing = [...own.keys()].filter((k) => !state.has(k));
    expect(missing.filter((k) => k.startsWith('backbone.')).every((k) => /^backbone\.norm[012]\./.test(k))).toBe(true);
    expect(missing.some((k) => k.startsWith('auxiliary_head.'))).toBe(true);
    for (const [k, before] of headBefore) {
      expectClose(own.get(k) as tf.Tensor, before, 1e-5, k);
      before.dispose();
    }
    expect(existsSync(join(root, 'finetune', 'latest.safetensors'))).toBe(true);
    runner.dispose();
  });
});
