/**
 * What every one-stage dense head of this framework shares (RetinaNet, FCOS):
 * the {@link DenseHead} base class and its raw outputs, mmdet's one-stage test
 * config, and small helpers for levels, targets, losses and initialisation.
 */
import { tf } from '../../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../../core/errors.js';
import type { FeatureSpec } from '../../backbones/backbone.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { initConv } from '../../nn/layers/conv_module.js';
import type { ComponentConfig, OptionsSchema } from '../../registry/options.js';
import { LOSSES } from '../../registry/registries.js';
import { asDetectionLoss, asLogitLoss, type DetectionLoss, type DetectionLossKind, type LogitLoss, type LogitTarget, type Loss } from '../../losses/loss.js';
import type { LossDict } from '../../structures/loss_dict.js';
import type { DataSample, InstanceTargets } from '../../structures/data_sample.js';
import type { DetPrediction } from '../../structures/prediction.js';
import { multiclassNmsPostprocess, type BoxDecoder, type LevelPredictions } from '../../structures/bbox/nms.js';

const f32 = Math.fround;

/** mmdet's one-stage `test_cfg`, camelCase (`nms=dict(type='nms', iou_threshold=0.5)` → `nms: {type, iouThreshold}`). */
export interface DenseTestCfg {
  /** Candidates kept per level before NMS, by descending score; ≤ 0 keeps all. Default 1000. */
  nmsPre: number;
  /** Boxes (in the original image) whose width or height is not above this are dropped; < 0 disables. Default 0. */
  minBboxSize: number;
  /** Only (prior, class) scores above this are candidates. Default 0.05. */
  scoreThr: number;
  /** Class-aware NMS; only `type: 'nms'` is supported. Default `{type: 'nms', iouThreshold: 0.5}`. */
  nms: { type: string; iouThreshold: number };
  /** Detections kept per image. Default 100. */
  maxPerImg: number;
}

/** Schema of {@link DenseTestCfg} (a config section of the heads and of the detectors). */
export const DENSE_TEST_CFG_SCHEMA: OptionsSchema<DenseTestCfg> = {
  defaults: { nmsPre: 1000, minBboxSize: 0, scoreThr: 0.05, nms: { type: 'nms', iouThreshold: 0.5 }, maxPerImg: 100 },
  sections: { nms: { defaults: { type: 'nms', iouThreshold: 0.5 } } as OptionsSchema<object> },
  docs: {
    nmsPre: 'candidates kept per level before NMS (<= 0: all)',
    minBboxSize: 'drop boxes whose width or height is not above this (< 0: off)',
    scoreThr: 'score threshold of the candidates',
    nms: "{type: 'nms', iouThreshold}",
    maxPerImg: 'detections kept per image',
  },
};

/** Checks a resolved test config. */
export function checkTestCfg(cfg: DenseTestCfg, path: string): DenseTestCfg {
  if (cfg.nms.type !== 'nms') throw new ConfigError(`${path}.nms.type: only 'nms' is supported, got '${cfg.nms.type}'`);
  if (!(cfg.nms.iouThreshold >= 0 && cfg.nms.iouThreshold <= 1)) {
    throw new ConfigError(`${path}.nms.iouThreshold: expected a number in [0, 1], got ${cfg.nms.iouThreshold}`);
  }
  if (!Number.isInteger(cfg.maxPerImg) || cfg.maxPerImg < 1) throw new ConfigError(`${path}.maxPerImg: expected a positive integer`);
  return cfg;
}

/** Raw outputs of a dense head for a batch: one NHWC map per level and kind. */
export interface DenseHeadOutputs {
  /** `[B, H_l, W_l, A·K]` class logits. */
  cls: tf.Tensor4D[];
  /** `[B, H_l, W_l, A·4]` box regression. */
  reg: tf.Tensor4D[];
  /** `[B, H_l, W_l, 1]` centerness logits (FCOS), or undefined. */
  centerness?: tf.Tensor4D[];
}

/**
 * A one-stage dense head (RetinaNet, FCOS): shared convolutions over every
 * pyramid level, losses from host-side targets, and test-time post-processing
 * that returns detections in each sample's original image frame.
 */
export abstract class DenseHead extends Module {
  /** Number of foreground classes. */
  abstract readonly numClasses: number;
  /** The feature maps the head reads (the neck's outputs). */
  abstract readonly inputs: readonly FeatureSpec[];
  /** Test-time config. */
  abstract readonly testCfg: DenseTestCfg;

  /** All levels' raw maps. */
  abstract forward(features: tf.Tensor4D[]): DenseHeadOutputs;

  /** Loss terms of a batch (mmdet names: `loss_cls`, `loss_bbox`, ...). */
  abstract loss(features: tf.Tensor4D[], samples: readonly DataSample[]): LossDict;

  /** Detections per sample, in the original image frame (boxes divided by `scaleFactor`, clipped to `oriShape`). */
  abstract predict(features: tf.Tensor4D[], samples: readonly DataSample[]): Promise<DetPrediction[]>;

  /** The raw maps as a flat list: every level's logits, then regressions, then centerness (if any). */
  forwardRaw(features: tf.Tensor4D[]): tf.Tensor[] {
    const out = this.forward(features);
    return [...out.cls, ...out.reg, ...(out.centerness ?? [])];
  }

  /** Checks that the inputs match this head (count, channels). */
  protected checkFeatures(features: readonly tf.Tensor4D[]): void {
    if (features.length !== this.inputs.length) {
      throw new ShapeError(`${this.constructor.name}: expected ${this.inputs.length} feature maps (${this.inputs.map((s) => s.name).join(', ')}), got ${features.length}`);
    }
    features.forEach((f, i) => {
      if (f.rank !== 4 || f.shape[3] !== this.inputs[i].channels) {
        throw new ShapeError(`${this.constructor.name}: input ${this.inputs[i].name} should be NHWC with ${this.inputs[i].channels} channels, got ${formatShape(f.shape)}`);
      }
    });
  }

  /**
   * mmdet's `_bbox_post_process` with `rescale=True` for one image: `decode` gives boxes
   * in the resized image (clipped to `imgShape`); they are scaled back by `1/scaleFactor`
   * before the size filter and NMS (as mmdet), and the kept boxes are clipped to `oriShape`.
   */
  protected postprocess(levels: readonly LevelPredictions[], decode: BoxDecoder, sample: DataSample): DetPrediction {
    const [sx, sy] = sample.scaleFactor;
    const ix = f32(1 / sx);
    const iy = f32(1 / sy);
    const rescaled: BoxDecoder = (priors, preds, count) => {
      const boxes = decode(priors, preds, count);
      for (let i = 0; i < boxes.length; i += 4) {
        boxes[i] = f32(boxes[i] * ix);
        boxes[i + 1] = f32(boxes[i + 1] * iy);
        boxes[i + 2] = f32(boxes[i + 2] * ix);
        boxes[i + 3] = f32(boxes[i + 3] * iy);
      }
      return boxes;
    };
    const cfg = this.testCfg;
    const det = multiclassNmsPostprocess(levels, this.numClasses, rescaled, {
      nmsPre: cfg.nmsPre,
      scoreThr: cfg.scoreThr,
      iouThreshold: cfg.nms.iouThreshold,
      maxPerImg: cfg.maxPerImg,
      minBboxSize: cfg.minBboxSize,
    });
    const [oh, ow] = sample.oriShape;
    const b = det.bboxes;
    for (let i = 0; i < b.length; i += 4) {
      b[i] = Math.min(Math.max(b[i], 0), ow);
      b[i + 1] = Math.min(Math.max(b[i + 1], 0), oh);
      b[i + 2] = Math.min(Math.max(b[i + 2], 0), ow);
      b[i + 3] = Math.min(Math.max(b[i + 3], 0), oh);
    }
    return { kind: 'det', bboxes: det.bboxes, scores: det.scores, labels: det.labels };
  }
}

/**
 * `[B, H_l, W_l, A·C]` maps → `[B, Σ H_l·W_l·A, C]`, levels in order (finest first): row
 * `(y·W_l + x)·A + a` of a level is prior `a` of cell `(y, x)`, the order of the prior generators.
 */
export function flattenLevels(maps: readonly tf.Tensor4D[], cols: number): tf.Tensor3D {
  return tf.tidy(() => {
    const flat = maps.map((m) => m.reshape([m.shape[0], -1, cols]) as tf.Tensor3D);
    return (flat.length === 1 ? flat[0] : tf.concat(flat, 1)) as tf.Tensor3D;
  });
}

/** `[h, w]` of every map. */
export function featmapSizes(maps: readonly tf.Tensor4D[]): Array<[number, number]> {
  return maps.map((m) => [m.shape[1], m.shape[2]]);
}

/** Concatenates host arrays. */
export function concatArrays<T extends Float32Array | Uint8Array>(parts: readonly T[], make: (n: number) => T): T {
  const out = make(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * The common inputs of a shared dense head: every level must have the same channels;
 * returns them and the strides the inputs declare.
 */
export function sharedHeadInputs(inputs: readonly FeatureSpec[], owner: string, path: string): { inChannels: number; strides: number[] } {
  if (inputs.length === 0) throw new ConfigError(`${path}: ${owner} has no input feature maps`);
  const inChannels = inputs[0].channels;
  const bad = inputs.find((s) => s.channels !== inChannels);
  if (bad !== undefined) {
    throw new ConfigError(`${path}: ${owner} shares its convolutions across levels, so every input needs the same channels; got ${inputs.map((s) => `${s.name}:${s.channels}`).join(', ')}`);
  }
  return { inChannels, strides: inputs.map((s) => s.stride) };
}

/** Runs a per-level head on every level: `cls[l]`, `reg[l]` = `single(features[l])` (the shared forward of anchor heads). */
export function clsRegPerLevel(features: readonly tf.Tensor4D[], single: (x: tf.Tensor4D) => [tf.Tensor4D, tf.Tensor4D]): { cls: tf.Tensor4D[]; reg: tf.Tensor4D[] } {
  const cls: tf.Tensor4D[] = [];
  const reg: tf.Tensor4D[] = [];
  for (const f of features) {
    const [c, r] = single(f);
    cls.push(c);
    reg.push(r);
  }
  return { cls, reg };
}

/** Checks configured strides against the inputs' declared strides (null: take the inputs'). */
export function resolveStrides(configured: number[] | null, inputs: readonly FeatureSpec[], what: string): number[] {
  const declared = inputs.map((s) => s.stride);
  if (configured === null) return declared;
  if (configured.length !== declared.length || configured.some((s, i) => s !== declared[i])) {
    throw new ConfigError(
      `${what}: strides [${configured.join(', ')}] do not match the input feature maps ` +
        `(${inputs.map((s) => `${s.name} stride ${s.stride}`).join(', ')}); set them to [${declared.join(', ')}] or null`,
    );
  }
  return configured;
}

/** Builds a loss from the losses registry and checks that it is a {@link DetectionLoss} computing `kind` (any registered loss that declares it fits). */
export function buildDetectionLoss(config: ComponentConfig, path: string, kind: DetectionLossKind, owner: string): DetectionLoss {
  return asDetectionLoss(LOSSES.build(config, {}, path) as Loss, kind, path, owner);
}

/** Builds a loss from the losses registry and checks that it is a {@link LogitLoss} taking `target` forms. */
export function buildLogitLoss(config: ComponentConfig, path: string, target: LogitTarget, owner: string): LogitLoss {
  return asLogitLoss(LOSSES.build(config, {}, path) as Loss, target, path, owner);
}

/** Re-throws constructor errors of building blocks as ConfigErrors naming `path`. */
export function withConfigPath<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}: ${err.message}`);
    if (err instanceof RangeError) throw new ConfigError(`${path}: ${err.message}`);
    throw err;
  }
}

/** The targets of a sample, or none. */
export function gtOf(sample: DataSample): InstanceTargets {
  return sample.gtInstances ?? { bboxes: new Float32Array(0), labels: new Int32Array(0) };
}

/** mmdet's `bias_init_with_prob(p)`: `−log((1 − p)/p)`. */
export function biasInitWithProb(prob: number): number {
  return -Math.log((1 - prob) / prob);
}

/** mmdet's head init (`init_cfg=Normal(layer='Conv2d', std=0.01)`): normal(0, 0.01) weights, zero bias; then `bias` on `cls` if given. */
export function initHeadConv(conv: Conv2d, bias = 0): void {
  initConv(conv, { normalStd: 0.01 });
  if (bias !== 0 && conv.bias !== null) {
    const value = tf.fill(conv.bias.shape, bias);
    conv.bias.variable.assign(value);
    value.dispose();
  }
}
