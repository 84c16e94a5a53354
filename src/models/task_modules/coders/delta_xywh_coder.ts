/**
 * mmdetection's `DeltaXYWHBBoxCoder`
 * (mmdet/models/task_modules/coders/delta_xywh_bbox_coder.py, mmdet 3.x):
 * a box relative to a prior as `(dx, dy, dw, dh)` =
 * `((gx − px)/pw, (gy − py)/ph, log(gw/pw), log(gh/ph))`, then `(d − means)/stds`.
 *
 * `encode` builds regression targets on the host (float32 arithmetic in
 * PyTorch's order); `decode` turns predictions back into boxes with tfjs ops
 * (differentiable, e.g. for IoU losses on decoded boxes).
 */
import { tf } from '../../../core/tf.js';
import { ShapeError, formatShape } from '../../../core/errors.js';

const f32 = Math.fround;

/** A box as four numbers. */
export type Quad = [number, number, number, number];

/** Options of {@link DeltaXYWHBBoxCoder}; mmdet's argument names in camelCase. */
export interface DeltaXYWHBBoxCoderOptions {
  /** Means subtracted from the deltas. Default `[0, 0, 0, 0]` (RetinaNet). */
  targetMeans: Quad;
  /** Standard deviations the deltas are divided by. Default `[1, 1, 1, 1]` (RetinaNet). */
  targetStds: Quad;
  /** Clip decoded boxes to `maxShape` when one is given. Default true. */
  clipBorder: boolean;
  /** Clamp the centre shift to ±`ctrClamp` pixels and only the upper end of dw/dh (YOLOF). Default false. */
  addCtrClamp: boolean;
  /** Largest centre shift in pixels when `addCtrClamp`. Default 32. */
  ctrClamp: number;
}

/** RetinaNet's coder settings. */
export const RETINANET_CODER_OPTIONS: DeltaXYWHBBoxCoderOptions = {
  targetMeans: [0, 0, 0, 0],
  targetStds: [1, 1, 1, 1],
  clipBorder: true,
  addCtrClamp: false,
  ctrClamp: 32,
};

/** mmdet's default `wh_ratio_clip`: |dw|, |dh| ≤ |log(16/1000)|. */
export const DEFAULT_WH_RATIO_CLIP = 16 / 1000;

/** Encodes boxes as deltas from priors and decodes them back. */
export class DeltaXYWHBBoxCoder {
  /** Resolved options. */
  readonly options: DeltaXYWHBBoxCoderOptions;

  /** @param options overrides of {@link RETINANET_CODER_OPTIONS}. */
  constructor(options: Partial<DeltaXYWHBBoxCoderOptions> = {}) {
    this.options = { ...RETINANET_CODER_OPTIONS, ...options };
  }

  /**
   * Regression targets (mmdet's `bbox2delta`), on the host.
   * @param priors `[N·4]` x1,y1,x2,y2 (anchors).
   * @param gts `[N·4]` x1,y1,x2,y2, the box each prior should regress to.
   * @returns `[N·4]` normalised deltas dx, dy, dw, dh.
   */
  encode(priors: Float32Array, gts: Float32Array): Float32Array {
    if (priors.length !== gts.length || priors.length % 4 !== 0) {
      throw new ShapeError(`DeltaXYWHBBoxCoder.encode: ${priors.length} prior values vs ${gts.length} gt values`);
    }
    const means = this.options.targetMeans.map(f32);
    const stds = this.options.targetStds.map(f32);
    const out = new Float32Array(priors.length);
    for (let i = 0; i < priors.length; i += 4) {
      const px = f32(f32(priors[i] + priors[i + 2]) * 0.5);
      const py = f32(f32(priors[i + 1] + priors[i + 3]) * 0.5);
      const pw = f32(priors[i + 2] - priors[i]);
      const ph = f32(priors[i + 3] - priors[i + 1]);
      const gx = f32(f32(gts[i] + gts[i + 2]) * 0.5);
      const gy = f32(f32(gts[i + 1] + gts[i + 3]) * 0.5);
      const gw = f32(gts[i + 2] - gts[i]);
      const gh = f32(gts[i + 3] - gts[i + 1]);
      const d = [f32(f32(gx - px) / pw), f32(f32(gy - py) / ph), f32(Math.log(f32(gw / pw))), f32(Math.log(f32(gh / ph)))];
      for (let c = 0; c < 4; c++) out[i + c] = f32(d[c] - means[c]) / stds[c];
    }
    return out;
  }

  /**
   * Boxes from predicted deltas (mmdet's `delta2bbox`), as tfjs ops.
   * @param priors `[N, 4]` x1,y1,x2,y2.
   * @param deltas `[N, 4·C]` predicted deltas (C = 1, or one box per class).
   * @param maxShape `[h, w]` to clip x to `[0, w]` and y to `[0, h]`, or null. Default null.
   * @param whRatioClip bound of |dw|, |dh| as `|log(whRatioClip)|`. Default 16/1000.
   * @returns `[N, 4·C]` x1,y1,x2,y2 (a new tensor; the inputs are not disposed).
   */
  decode(priors: tf.Tensor2D, deltas: tf.Tensor2D, maxShape: readonly [number, number] | null = null, whRatioClip = DEFAULT_WH_RATIO_CLIP): tf.Tensor2D {
    const [n, cols] = deltas.shape;
    if (priors.shape[0] !== n || priors.shape[1] !== 4 || cols % 4 !== 0) {
      throw new ShapeError(`DeltaXYWHBBoxCoder.decode: priors ${formatShape(priors.shape)} and deltas ${formatShape(deltas.shape)}`);
    }
    const { targetMeans, targetStds, clipBorder, addCtrClamp, ctrClamp } = this.options;
    const numClasses = cols / 4;
    if (n === 0) return tf.zeros([0, cols]);
    return tf.tidy(() => {
      const d = deltas.reshape([-1, 4]).mul(tf.tensor1d(targetStds)).add(tf.tensor1d(targetMeans));
      const rois = numClasses === 1 ? priors : priors.tile([1, numClasses]).reshape([-1, 4]);
      const pxy = rois
        .slice([0, 0], [-1, 2])
        .add(rois.slice([0, 2], [-1, 2]))
        .mul(0.5);
      const pwh = rois.slice([0, 2], [-1, 2]).sub(rois.slice([0, 0], [-1, 2]));
      let dxyWh: tf.Tensor = pwh.mul(d.slice([0, 0], [-1, 2]));
      let dwh: tf.Tensor = d.slice([0, 2], [-1, 2]);
      const maxRatio = Math.abs(Math.log(whRatioClip));
      if (addCtrClamp) {
        dxyWh = tf.clipByValue(dxyWh, -ctrClamp, ctrClamp);
        dwh = tf.minimum(dwh, maxRatio);
      } else {
        dwh = tf.clipByValue(dwh, -maxRatio, maxRatio);
      }
      const gxy = pxy.add(dxyWh);
      const halfWh = pwh.mul(dwh.exp()).mul(0.5);
      let boxes = tf.concat([gxy.sub(halfWh), gxy.add(halfWh)], 1);
      if (clipBorder && maxShape !== null) {
        const [h, w] = maxShape;
        boxes = tf.minimum(tf.maximum(boxes, 0), tf.tensor1d([w, h, w, h]));
      }
      return boxes.reshape([n, cols]) as tf.Tensor2D;
    });
  }

  /**
   * {@link decode} on host arrays (runs the tfjs ops and downloads the result).
   * @param priors `[N·4]`.
   * @param deltas `[N·4]` (one box per prior).
   * @returns `[N·4]` x1,y1,x2,y2.
   */
  decodeHost(priors: Float32Array, deltas: Float32Array, maxShape: readonly [number, number] | null = null, whRatioClip = DEFAULT_WH_RATIO_CLIP): Float32Array {
    const n = priors.length / 4;
    if (n === 0) return new Float32Array(0);
    const boxes = tf.tidy(() => this.decode(tf.tensor2d(priors, [n, 4]), tf.tensor2d(deltas, [n, deltas.length / n]), maxShape, whRatioClip));
    const out = Float32Array.from(boxes.dataSync());
    boxes.dispose();
    return out;
  }
}
