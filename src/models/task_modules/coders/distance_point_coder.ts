/**
 * mmdetection's `DistancePointBBoxCoder.decode` / `distance2bbox`
 * (mmdet/models/task_modules/coders/distance_point_bbox_coder.py and
 * mmdet/structures/bbox/transforms.py, mmdet 3.x), used by FCOS: a box is the
 * distances (left, top, right, bottom) from a point to its four sides.
 */
import { tf } from '../../../core/tf.js';
import { ShapeError, formatShape } from '../../../core/errors.js';

/** Options of {@link DistancePointBBoxCoder}. */
export interface DistancePointBBoxCoderOptions {
  /** Clip decoded boxes to `maxShape` when one is given. Default true. */
  clipBorder: boolean;
}

/** Decodes point-to-side distances into boxes. */
export class DistancePointBBoxCoder {
  /** Resolved options. */
  readonly options: DistancePointBBoxCoderOptions;

  /** @param options overrides of the defaults (`clipBorder: true`). */
  constructor(options: Partial<DistancePointBBoxCoderOptions> = {}) {
    this.options = { clipBorder: true, ...options };
  }

  /**
   * `(px − l, py − t, px + r, py + b)`, as tfjs ops (differentiable).
   * @param points `[N, 2]` (x, y).
   * @param distances `[N, 4]` left, top, right, bottom.
   * @param maxShape `[h, w]` to clip x to `[0, w]` and y to `[0, h]`, or null. Default null.
   * @returns `[N, 4]` x1,y1,x2,y2 (a new tensor).
   */
  decode(points: tf.Tensor2D, distances: tf.Tensor2D, maxShape: readonly [number, number] | null = null): tf.Tensor2D {
    const n = points.shape[0];
    if (points.shape[1] !== 2 || distances.shape[0] !== n || distances.shape[1] !== 4) {
      throw new ShapeError(`DistancePointBBoxCoder.decode: points ${formatShape(points.shape)} and distances ${formatShape(distances.shape)}`);
    }
    if (n === 0) return tf.zeros([0, 4]);
    return tf.tidy(() => {
      const xy = tf.concat([points, points], 1);
      const sign = tf.tensor1d([-1, -1, 1, 1]);
      let boxes = xy.add(distances.mul(sign));
      if (this.options.clipBorder && maxShape !== null) {
        const [h, w] = maxShape;
        boxes = tf.minimum(tf.maximum(boxes, 0), tf.tensor1d([w, h, w, h]));
      }
      return boxes as tf.Tensor2D;
    });
  }

  /**
   * {@link decode} on host arrays.
   * @param points `[N·2]`.
   * @param distances `[N·4]`.
   * @returns `[N·4]` x1,y1,x2,y2.
   */
  decodeHost(points: Float32Array, distances: Float32Array, maxShape: readonly [number, number] | null = null): Float32Array {
    const n = points.length / 2;
    if (n === 0) return new Float32Array(0);
    const boxes = tf.tidy(() => this.decode(tf.tensor2d(points, [n, 2]), tf.tensor2d(distances, [n, 4]), maxShape));
    const out = Float32Array.from(boxes.dataSync());
    boxes.dispose();
    return out;
  }
}
