/**
 * mmsegmentation 1.x's `EncoderDecoder` segmentor
 * (`mmseg/models/segmentors/encoder_decoder.py`): backbone → optional neck →
 * decode head (+ optional auxiliary head), with 'whole' and 'slide' inference and
 * the flip / multi-scale test-time augmentation of mmseg's `SegTTAModel`.
 */
import { tf } from '../core/tf.js';
import { ConfigError, DataError, ShapeError, formatShape } from '../core/errors.js';
import type { Backbone, FeatureSpec } from '../backbones/backbone.js';
import type { Neck } from '../necks/neck.js';
import { isDecodeHead, type DecodeHead } from '../heads/segmentation/decode_head.js';
import { resizeBilinear } from '../nn/functional/resize.js';
import { RANGES, type ComponentConfig } from '../registry/options.js';
import type { ComponentSpec } from '../registry/registry.js';
import { BACKBONES, HEADS, NECKS, type ModelContext } from '../registry/registries.js';
import type { Batch, DataSample } from '../structures/data_sample.js';
import type { SegPrediction } from '../structures/prediction.js';
import { Model, type LossDict } from './base_model.js';

/** How {@link EncoderDecoder.predict} runs the network (mmseg's `test_cfg`). */
export interface SegTestCfg {
  /** `'whole'`: one pass over the image; `'slide'`: overlapping crops, logits averaged. Default 'whole'. */
  mode: 'whole' | 'slide';
  /** Slide window `[h, w]` (required for 'slide'). Default null. */
  cropSize: [number, number] | null;
  /** Slide step `[h, w]` (required for 'slide'). Default null. */
  stride: [number, number] | null;
  /** Flip TTA: also predict the horizontally flipped image and average the softmax. Default false. */
  flip: boolean;
  /** Multi-scale TTA: resize factors of the input (e.g. `[0.5, 0.75, 1, 1.25, 1.5, 1.75]`), or null. Default null. */
  scales: number[] | null;
}

/** Options of {@link EncoderDecoder} (the config form). */
export interface EncoderDecoderOptions {
  /** Backbone config. Required. */
  backbone: ComponentConfig | null;
  /** Neck config (e.g. FPN), or null. Default null. */
  neck: ComponentConfig | null;
  /** Decode head config (UPerHead, FPNHead, FCNHead, ...). Required. */
  decodeHead: ComponentConfig | null;
  /** Auxiliary head config (training only, loss terms `aux.*`), or null. Default null. */
  auxiliaryHead: ComponentConfig | null;
  /** Inference settings. */
  testCfg: SegTestCfg;
}

/** Defaults of {@link SegTestCfg}. */
export const SEG_TEST_CFG_DEFAULTS: SegTestCfg = { mode: 'whole', cropSize: null, stride: null, flip: false, scales: null };

/** One test-time view: a resize factor and whether the image is flipped horizontally. */
interface View {
  scale: number;
  flip: boolean;
}

/** Images of a batch that run through the network together, all of one size. */
interface Group {
  /** `[b, H, W, 3]` (owned by the caller when `owned` is false). */
  inputs: tf.Tensor4D;
  owned: boolean;
  /** Batch indices of the images. */
  indices: number[];
}

function isPosIntPair(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x > 0);
}

/**
 * Checks a test config.
 * @throws ConfigError naming the option.
 */
export function checkSegTestCfg(cfg: SegTestCfg, path: string): SegTestCfg {
  if (cfg.mode !== 'whole' && cfg.mode !== 'slide') throw new ConfigError(`${path}.mode: expected 'whole' or 'slide', got '${String(cfg.mode)}'`);
  if (cfg.mode === 'slide') {
    if (!isPosIntPair(cfg.cropSize)) throw new ConfigError(`${path}.cropSize: 'slide' needs [height, width] positive integers, got ${JSON.stringify(cfg.cropSize)}`);
    if (!isPosIntPair(cfg.stride)) throw new ConfigError(`${path}.stride: 'slide' needs [height, width] positive integers, got ${JSON.stringify(cfg.stride)}`);
  } else {
    if (cfg.cropSize !== null && !isPosIntPair(cfg.cropSize)) throw new ConfigError(`${path}.cropSize: expected [height, width] or null`);
    if (cfg.stride !== null && !isPosIntPair(cfg.stride)) throw new ConfigError(`${path}.stride: expected [height, width] or null`);
  }
  if (typeof cfg.flip !== 'boolean') throw new ConfigError(`${path}.flip: expected a boolean`);
  if (cfg.scales !== null && (!Array.isArray(cfg.scales) || cfg.scales.length === 0 || !cfg.scales.every((s) => typeof s === 'number' && s > 0))) {
    throw new ConfigError(`${path}.scales: expected null or a non-empty list of positive factors, got ${JSON.stringify(cfg.scales)}`);
  }
  return cfg;
}

/**
 * Encoder-decoder segmentor. Parameters: `backbone.*`, `neck.*`, `decode_head.*`,
 * `auxiliary_head.*` (mmseg's state-dict names).
 *
 * Training ({@link loss}): the label maps `sample.gtSemSeg` (padded by collate to
 * the batch size with 255) are the targets of the decode head (terms `decode.*`)
 * and of the auxiliary head (terms `aux.*`); each head resizes its logits to the
 * label size itself.
 *
 * Inference ({@link predict}), per image as mmseg's `predict` + `postprocess_result`:
 * the network sees the image as the test pipeline produced it (`padShape`, or
 * `imgShape`, without the batch padding of collate; a batch whose images all fill
 * it runs at once, otherwise image by image); the logits are resized to that size,
 * cropped to the unpadded `imgShape`, un-flipped when the pipeline flipped the
 * sample, and bilinearly resized (`alignCorners` of the decode head) to
 * `oriShape`; the arg-max is the label map. 'slide' runs mmseg's
 * `slide_inference` on that input (windows every `stride`, the last one aligned
 * to the border, logits summed and divided by the overlap count; an image smaller
 * than the window is one window of its own size, unpadded, as mmseg does).
 *
 * Test-time augmentation (`flip`, `scales`) follows mmseg's TTA pipeline +
 * `SegTTAModel`: one view per scale × (unflipped, flipped); a scaled view is the
 * unpadded image resized by the factor (`int(size·f + 0.5)`, bilinear — mmseg's
 * `Resize(scale_factor)` applied to the test-pipeline image, not to the file); a
 * flipped view flips the input and flips the logits back; each view's logits go
 * to `oriShape` in one bilinear resize; their softmax is averaged, then arg-maxed.
 * Factors apply to the image the test pipeline produced (mmseg's TTA pipeline
 * applies them to the file as loaded instead; identical when the test pipeline
 * does not resize).
 */
export class EncoderDecoder extends Model {
  readonly task = 'segmentation' as const;
  readonly testCfg: SegTestCfg;

  constructor(
    readonly backbone: Backbone,
    readonly neck: Neck | null,
    readonly decodeHead: DecodeHead,
    readonly auxiliaryHead: DecodeHead | null,
    testCfg: Partial<SegTestCfg> = {},
  ) {
    super();
    this.testCfg = checkSegTestCfg({ ...SEG_TEST_CFG_DEFAULTS, ...testCfg }, 'EncoderDecoder.testCfg');
    this.addModule('backbone', backbone);
    if (neck !== null) this.addModule('neck', neck);
    this.addModule('decode_head', decodeHead);
    if (auxiliaryHead !== null) this.addModule('auxiliary_head', auxiliaryHead);
  }

  /** Number of classes (channels of the decode head's logits). */
  get numClasses(): number {
    return this.decodeHead.numClasses;
  }

  /** Specs of the maps the heads receive (the neck's outputs, or the backbone's). */
  get featureSpecs(): readonly FeatureSpec[] {
    return this.neck?.outputSpecs ?? this.backbone.outputSpecs;
  }

  /** mmseg's `extract_feat`: backbone, then neck. */
  extractFeat(images: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const feats = this.backbone.forward(images);
      return this.neck === null ? feats : this.neck.forward(feats);
    });
  }

  /** The decode head's logits `[B, h, w, K]` (at its own resolution). */
  forwardRaw(images: tf.Tensor4D): tf.Tensor[] {
    return [tf.tidy(() => this.decodeHead.forward(this.extractFeat(images)))];
  }

  /** Stacks the batch's label maps into `[B, H, W]` int32. */
  private labels(batch: Batch): tf.Tensor3D {
    const [b, h, w] = batch.inputs.shape;
    if (batch.samples.length !== b) throw new ShapeError(`EncoderDecoder.loss: ${batch.samples.length} samples for ${b} images`);
    const data = new Int32Array(b * h * w);
    batch.samples.forEach((s, i) => {
      const seg = s.gtSemSeg;
      if (seg === undefined) throw new DataError(`EncoderDecoder.loss: sample ${i} (${s.imgPath || 'in-memory image'}) has no gtSemSeg (is LoadAnnotations in the training pipeline?)`);
      if (seg.height !== h || seg.width !== w) {
        throw new ShapeError(`EncoderDecoder.loss: label map of ${s.imgPath || `sample ${i}`} is ${seg.height}×${seg.width} but the batch images are ${h}×${w}`);
      }
      data.set(seg.data, i * h * w);
    });
    return tf.tensor3d(data, [b, h, w], 'int32');
  }

  /** Loss terms `decode.<name>` and `aux.<name>` (e.g. `decode.loss_ce`, `aux.loss_ce`). */
  loss(batch: Batch): LossDict {
    return tf.tidy(() => {
      const labels = this.labels(batch);
      const feats = this.extractFeat(batch.inputs);
      const losses: LossDict = { ...this.decodeHead.loss(this.decodeHead.forward(feats), labels, 'decode.') };
      if (this.auxiliaryHead !== null) Object.assign(losses, this.auxiliaryHead.loss(this.auxiliaryHead.forward(feats), labels, 'aux.'));
      return losses;
    });
  }

  /** mmseg's `encode_decode`: logits resized (decode head's `alignCorners`) to the input size. `[B, H, W, K]`. */
  encodeDecode(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.decodeHead.predict(this.extractFeat(images), [images.shape[1], images.shape[2]]));
  }

  /** mmseg's `slide_inference`: logits `[B, H, W, K]` averaged over overlapping windows. */
  slideInference(images: tf.Tensor4D): tf.Tensor4D {
    const { cropSize, stride } = this.testCfg;
    if (cropSize === null || stride === null) throw new ConfigError("EncoderDecoder.testCfg: 'slide' needs cropSize and stride");
    const [hCrop, wCrop] = cropSize;
    const [hStride, wStride] = stride;
    const [b, h, w] = images.shape;
    const hGrids = Math.floor(Math.max(h - hCrop + hStride - 1, 0) / hStride) + 1;
    const wGrids = Math.floor(Math.max(w - wCrop + wStride - 1, 0) / wStride) + 1;
    const count = new Float32Array(h * w);
    return tf.tidy(() => {
      let preds: tf.Tensor4D = tf.zeros([b, h, w, this.numClasses]);
      for (let hi = 0; hi < hGrids; hi++) {
        for (let wi = 0; wi < wGrids; wi++) {
          const y2 = Math.min(hi * hStride + hCrop, h);
          const x2 = Math.min(wi * wStride + wCrop, w);
          const y1 = Math.max(y2 - hCrop, 0);
          const x1 = Math.max(x2 - wCrop, 0);
          const crop = images.slice([0, y1, x1, 0], [b, y2 - y1, x2 - x1, images.shape[3]]);
          const logits = tf.tidy(() => this.encodeDecode(crop)); // [B, y2-y1, x2-x1, K]
          const placed = tf.pad(logits, [
            [0, 0],
            [y1, h - y2],
            [x1, w - x2],
            [0, 0],
          ]);
          const next = preds.add(placed) as tf.Tensor4D;
          tf.dispose([crop, logits, placed, preds]);
          preds = next;
          for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) count[y * w + x] += 1;
        }
      }
      if (count.some((c) => c === 0)) throw new Error('EncoderDecoder.slideInference: a pixel is covered by no window');
      return preds.div(tf.tensor4d(count, [1, h, w, 1])) as tf.Tensor4D;
    });
  }

  /** mmseg's `inference` without the softmax: logits `[B, H, W, K]` at the input size, by `testCfg.mode`. */
  inference(images: tf.Tensor4D): tf.Tensor4D {
    return this.testCfg.mode === 'slide' ? this.slideInference(images) : this.encodeDecode(images);
  }

  /** The test-time views: every scale (1 without `scales`) × (unflipped, flipped with `flip`), as mmseg's TTA pipeline. */
  views(): View[] {
    const scales = this.testCfg.scales ?? [1];
    return scales.flatMap((scale) =>
      this.testCfg.flip
        ? [
            { scale, flip: false },
            { scale, flip: true },
          ]
        : [{ scale, flip: false }],
    );
  }

  /**
   * The network input frame of each image for a view: the image as the test
   * pipeline produced it (`padShape`, else `imgShape`) at scale 1; the unpadded
   * image (`imgShape`) otherwise, which the view resizes (mmseg resizes before padding).
   */
  private frames(samples: readonly DataSample[], view: View): Array<[number, number]> {
    return samples.map((s) => (view.scale === 1 ? (s.padShape ?? s.imgShape) : s.imgShape));
  }

  /**
   * Groups the images of a batch into equally sized network inputs: the whole
   * batch when every frame fills it (no collate padding), else one slice per image.
   */
  private groups(batch: Batch, frames: ReadonlyArray<[number, number]>): Group[] {
    const [b, h, w, c] = batch.inputs.shape;
    frames.forEach((f, i) => {
      if (f[0] > h || f[1] > w) throw new ShapeError(`EncoderDecoder.predict: sample ${i} is ${formatShape(f)} but the batch is ${h}×${w}`);
    });
    if (b === frames.length && frames.every((f) => f[0] === h && f[1] === w)) {
      return [{ inputs: batch.inputs, owned: false, indices: frames.map((_, i) => i) }];
    }
    return frames.map((f, i) => ({ inputs: batch.inputs.slice([i, 0, 0, 0], [1, f[0], f[1], c]), owned: true, indices: [i] }));
  }

  /** mmcv's `Resize(scale_factor)` size, keeping the ratio: `int(size · factor + 0.5)`. */
  private static scaled(size: readonly [number, number], factor: number): [number, number] {
    return factor === 1 ? [size[0], size[1]] : [Math.max(1, Math.floor(size[0] * factor + 0.5)), Math.max(1, Math.floor(size[1] * factor + 0.5))];
  }

  /** Logits of one view of a group `[b, h', w', K]` at the view's input size, flipped back. */
  private viewLogits(inputs: tf.Tensor4D, view: View): tf.Tensor4D {
    return tf.tidy(() => {
      let x = inputs;
      if (view.scale !== 1) x = resizeBilinear(x, EncoderDecoder.scaled([inputs.shape[1], inputs.shape[2]], view.scale), false);
      if (view.flip) x = tf.reverse(x, 2);
      const logits = this.inference(x);
      return view.flip ? tf.reverse(logits, 2) : logits;
    });
  }

  /**
   * mmseg's `postprocess_result` for one image: `[H, W, K]` logits of the network
   * input → the image region `[rh, rw]` (padding cut off) → the pipeline's flip
   * undone → bilinearly resized to `oriShape` (decode head's `alignCorners`).
   * @returns `[oriH, oriW, K]`.
   */
  private toOriginal(logits: tf.Tensor3D, region: readonly [number, number], sample: DataSample): tf.Tensor3D {
    return tf.tidy(() => {
      const [rh, rw] = region;
      const k = logits.shape[2];
      let x = logits.shape[0] === rh && logits.shape[1] === rw ? logits : logits.slice([0, 0, 0], [rh, rw, k]);
      const dir = sample.flipDirection ?? (sample.flip ? 'horizontal' : null);
      if (dir === 'horizontal' || dir === 'diagonal') x = tf.reverse(x, 1);
      if (dir === 'vertical' || dir === 'diagonal') x = tf.reverse(x, 0);
      const [oh, ow] = sample.oriShape;
      if (oh === rh && ow === rw) return x === logits ? x.clone() : x;
      return resizeBilinear(x.expandDims(0) as tf.Tensor4D, [oh, ow], this.decodeHead.alignCorners).squeeze([0]) as tf.Tensor3D;
    });
  }

  /**
   * Per image, the scores whose arg-max is the prediction, at the original size
   * `[oriH, oriW, K]`: the logits without TTA; with TTA the mean over the views of
   * the softmax of each view's logits at the original size (mmseg's `SegTTAModel`).
   * Runs in the current mode (call `eval()` first). The caller disposes them.
   */
  segScores(batch: Batch): tf.Tensor3D[] {
    const { samples } = batch;
    if (samples.length !== batch.inputs.shape[0]) throw new ShapeError(`EncoderDecoder.predict: ${samples.length} samples for ${batch.inputs.shape[0]} images`);
    const views = this.views();
    const tta = views.length > 1;
    const acc: Array<tf.Tensor3D | null> = samples.map(() => null);
    try {
      for (const view of views) {
        const frames = this.frames(samples, view);
        for (const group of this.groups(batch, frames)) {
          try {
            const logits = this.viewLogits(group.inputs, view);
            try {
              group.indices.forEach((idx, j) => {
                const sample = samples[idx];
                const region = view.scale === 1 ? sample.imgShape : EncoderDecoder.scaled(sample.imgShape, view.scale);
                const scores = tf.tidy(() => {
                  const one = logits.slice([j, 0, 0, 0], [1, logits.shape[1], logits.shape[2], logits.shape[3]]).squeeze([0]) as tf.Tensor3D;
                  const ori = this.toOriginal(one, region, sample);
                  return tta ? (tf.softmax(ori, -1) as tf.Tensor3D) : ori;
                });
                const prev = acc[idx];
                if (prev === null) acc[idx] = scores;
                else {
                  acc[idx] = prev.add(scores) as tf.Tensor3D;
                  tf.dispose([prev, scores]);
                }
              });
            } finally {
              logits.dispose();
            }
          } finally {
            if (group.owned) group.inputs.dispose();
          }
        }
      }
    } catch (err) {
      tf.dispose(acc.filter((a): a is tf.Tensor3D => a !== null));
      throw err;
    }
    return acc.map((a) => {
      const t = a as tf.Tensor3D;
      if (!tta) return t;
      const mean = tf.tidy(() => t.div(views.length) as tf.Tensor3D);
      t.dispose();
      return mean;
    });
  }

  /** Label maps at each image's original size (see the class comment). */
  async predict(batch: Batch): Promise<SegPrediction[]> {
    const scores = this.segScores(batch);
    const out: SegPrediction[] = [];
    for (const s of scores) {
      const labels = tf.tidy(() => tf.argMax(s, 2));
      const data = (await labels.data()) as Int32Array;
      tf.dispose([labels, s]);
      const [height, width] = s.shape;
      out.push({ kind: 'seg', labelMap: { data: Uint8Array.from(data), height, width } });
    }
    return out;
  }
}

/** Config form of the options, as the registry validates them. */
type EncoderDecoderConfig = EncoderDecoderOptions;

/** Registry entry of {@link EncoderDecoder}. */
export const encoderDecoderSpec: ComponentSpec<EncoderDecoderConfig, EncoderDecoder, ModelContext> = {
  name: 'EncoderDecoder',
  description: 'semantic segmentor: backbone (+ neck) + decode head (+ auxiliary head); whole/slide inference, flip/multi-scale TTA (mmseg)',
  defaults: { backbone: null, neck: null, decodeHead: null, auxiliaryHead: null, testCfg: { ...SEG_TEST_CFG_DEFAULTS } },
  children: { backbone: { registry: 'backbones' }, neck: { registry: 'necks' }, decodeHead: { registry: 'heads' }, auxiliaryHead: { registry: 'heads' } },
  sections: {
    testCfg: {
      defaults: { ...SEG_TEST_CFG_DEFAULTS },
      kinds: { cropSize: ['array', 'null'], stride: ['array', 'null'], scales: ['array', 'null'] },
      choices: { mode: ['whole', 'slide'] },
      ranges: { cropSize: RANGES.positiveInt, stride: RANGES.positiveInt, scales: RANGES.positive },
      docs: {
        mode: "'whole' or 'slide'",
        cropSize: 'slide window [h, w]',
        stride: 'slide step [h, w]',
        flip: 'flip TTA (mean softmax of the image and its horizontal flip)',
        scales: 'multi-scale TTA factors, or null',
      },
    },
  },
  required: ['backbone', 'decodeHead'],
  docs: {
    backbone: 'backbone config',
    neck: 'neck config (e.g. FPN), or null',
    decodeHead: 'decode head config (built from the neck/backbone output specs)',
    auxiliaryHead: 'auxiliary head config (training only; loss terms aux.*), or null',
    testCfg: "{mode: 'whole' | 'slide', cropSize, stride, flip, scales}",
  },
  build(options, context, path) {
    const testCfg = checkSegTestCfg(options.testCfg, `${path}.testCfg`);
    const backbone = BACKBONES.build(options.backbone, {}, `${path}.backbone`);
    const neck = options.neck === null ? null : NECKS.build(options.neck, { inputs: backbone.outputSpecs }, `${path}.neck`);
    const inputs = neck?.outputSpecs ?? backbone.outputSpecs;
    const buildHead = (cfg: ComponentConfig | null, where: string): DecodeHead => {
      const head = HEADS.build(cfg, { inputs, numClasses: context.numClasses }, where);
      if (!isDecodeHead(head)) {
        throw new ConfigError(
          `${where}: EncoderDecoder needs a segmentation decode head (the DecodeHead interface: headKind 'segmentation', numClasses, alignCorners, forward, predict, loss), got '${String(cfg?.type)}'`,
        );
      }
      return head;
    };
    const decodeHead = buildHead(options.decodeHead, `${path}.decodeHead`);
    const auxiliaryHead = options.auxiliaryHead === null ? null : buildHead(options.auxiliaryHead, `${path}.auxiliaryHead`);
    if (auxiliaryHead !== null && auxiliaryHead.numClasses !== decodeHead.numClasses) {
      throw new ConfigError(`${path}.auxiliaryHead.numClasses: ${auxiliaryHead.numClasses} differs from the decode head's ${decodeHead.numClasses}`);
    }
    return new EncoderDecoder(backbone, neck, decodeHead, auxiliaryHead, testCfg);
  },
};
