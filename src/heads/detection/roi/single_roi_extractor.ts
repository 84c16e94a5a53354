/**
 * mmdetection's `SingleRoIExtractor` (mmdet/models/roi_heads/roi_extractors/single_level_roi_extractor.py,
 * mmdet 3.x): each RoI is pooled by {@link roiAlign} from one FPN level, chosen by its size —
 * `level = clamp(floor(log2(sqrt(w·h) / finestScale + 1e-6)), 0, numLevels − 1)` — so with
 * `finestScale` 56 boxes below 112 px use the finest level, below 224 px the next, and so on.
 * With `levelMapping: 'torchvision'` the level is torchvision's `LevelMapper` (`MultiScaleRoIAlign`):
 * `clamp(floor(4 + log2(sqrt(w·h) / 224) + 1e-6), kMin, kMin + numLevels − 1) − kMin` with
 * `kMin = log2(featmapStrides[0])` — the same rule with the epsilon outside the logarithm.
 * Not implemented: mmdet's `roi_scale_factor` (box rescaling before pooling; unused by the
 * Faster/Mask/Cascade R-CNN configs) and `gc_context`.
 */
import { tf } from '../../../core/tf.js';
import { roiAlign } from '../../../nn/functional/roi_align.js';

const f32 = Math.fround;

/** Options of {@link SingleRoIExtractor}; mmdet's names in camelCase. */
export interface SingleRoIExtractorOptions {
  /** Stride of each input level in pixels. Default `[4, 8, 16, 32]`. */
  featmapStrides: number[];
  /** RoIAlign output size (7 for box heads, 14 for mask heads). Default 7. */
  outputSize: number;
  /** RoIAlign samples per bin side, `<= 0` adaptive. Default 0 (mmdet's configs). */
  samplingRatio: number;
  /** RoIAlign `aligned`. Default true (mmcv's default). */
  aligned: boolean;
  /** Box size that maps to the finest level's upper bound / 2 (mmdet mapping only). Default 56. */
  finestScale: number;
  /** Level rule: mmdet's `map_roi_levels` or torchvision's `LevelMapper` (canonical 224 px at level 4). Default 'mmdet'. */
  levelMapping: 'mmdet' | 'torchvision';
}

/** mmdet's `bbox_roi_extractor` of Faster/Mask R-CNN. */
export const SINGLE_ROI_EXTRACTOR_DEFAULTS: SingleRoIExtractorOptions = {
  featmapStrides: [4, 8, 16, 32],
  outputSize: 7,
  samplingRatio: 0,
  aligned: true,
  finestScale: 56,
  levelMapping: 'mmdet',
};

/** Pools RoIs from a feature pyramid, one level per RoI. */
export class SingleRoIExtractor {
  /** Resolved options. */
  readonly options: SingleRoIExtractorOptions;

  /** @param options overrides of {@link SINGLE_ROI_EXTRACTOR_DEFAULTS}. */
  constructor(options: Partial<SingleRoIExtractorOptions> = {}) {
    const o = { ...SINGLE_ROI_EXTRACTOR_DEFAULTS, ...options };
    if (o.featmapStrides.length === 0 || o.featmapStrides.some((s) => !(s > 0))) {
      throw new RangeError(`SingleRoIExtractor: featmapStrides must be positive numbers, got [${o.featmapStrides}]`);
    }
    if (o.levelMapping !== 'mmdet' && o.levelMapping !== 'torchvision') {
      throw new RangeError(`SingleRoIExtractor: levelMapping must be 'mmdet' or 'torchvision', got '${String(o.levelMapping)}'`);
    }
    if (!(o.finestScale > 0)) throw new RangeError(`SingleRoIExtractor: finestScale must be > 0, got ${o.finestScale}`);
    this.options = o;
  }

  /**
   * The level of each RoI, computed in float32 as mmdet does.
   * @param rois `[K·5]` batchIndex, x1, y1, x2, y2.
   * @returns `[K]` level indices in `[0, numLevels)`.
   */
  mapRoiLevels(rois: ArrayLike<number>, numLevels: number): Int32Array {
    const k = rois.length / 5;
    const levels = new Int32Array(k);
    const finest = f32(this.options.finestScale);
    const torchvision = this.options.levelMapping === 'torchvision';
    const kMin = Math.round(Math.log2(this.options.featmapStrides[0]));
    for (let r = 0; r < k; r++) {
      const w = f32(rois[r * 5 + 3] - rois[r * 5 + 1]);
      const h = f32(rois[r * 5 + 4] - rois[r * 5 + 2]);
      const scale = f32(Math.sqrt(f32(w * h)));
      const lvl = torchvision ? Math.floor(f32(f32(4 + f32(Math.log2(f32(scale / 224)))) + f32(1e-6))) - kMin : Math.floor(f32(Math.log2(f32(f32(scale / finest) + f32(1e-6)))));
      levels[r] = Number.isNaN(lvl) ? 0 : Math.min(Math.max(lvl, 0), numLevels - 1);
    }
    return levels;
  }

  /**
   * @param feats the pyramid, finest first, each `[B, H_l, W_l, C]`; only the first
   *   `featmapStrides.length` levels are used (mmdet's `num_inputs`).
   * @param rois `[K, 5]` batchIndex, x1, y1, x2, y2 in input-image pixels.
   * @returns `[K, outputSize, outputSize, C]` in the order of `rois`.
   */
  extract(feats: readonly tf.Tensor4D[], rois: tf.Tensor2D): tf.Tensor4D {
    const { featmapStrides, outputSize, samplingRatio, aligned } = this.options;
    const numLevels = featmapStrides.length;
    if (feats.length < numLevels) {
      throw new Error(`SingleRoIExtractor: ${feats.length} feature levels given, featmapStrides expects ${numLevels}`);
    }
    const align = (f: tf.Tensor4D, r: tf.Tensor2D, stride: number): tf.Tensor4D => roiAlign(f, r, { outputSize, spatialScale: 1 / stride, samplingRatio, aligned });
    if (numLevels === 1) return align(feats[0], rois, featmapStrides[0]);
    const data = rois.dataSync();
    const levels = this.mapRoiLevels(data, numLevels);
    const k = levels.length;
    return tf.tidy(() => {
      const parts: tf.Tensor4D[] = [];
      const order: number[] = []; // order[j] = the RoI whose features are row j of the concatenation
      for (let l = 0; l < numLevels; l++) {
        const inds: number[] = [];
        for (let r = 0; r < k; r++) if (levels[r] === l) inds.push(r);
        if (inds.length === 0) continue;
        const subset = new Float32Array(inds.length * 5);
        inds.forEach((r, j) => subset.set(data.subarray(r * 5, r * 5 + 5), j * 5));
        parts.push(align(feats[l], tf.tensor2d(subset, [inds.length, 5]), featmapStrides[l]));
        order.push(...inds);
      }
      if (parts.length === 0) return tf.zeros([0, outputSize, outputSize, feats[0].shape[3]]) as tf.Tensor4D;
      const inverse = new Int32Array(k);
      order.forEach((r, j) => (inverse[r] = j));
      return tf.gather(tf.concat(parts, 0), tf.tensor1d(inverse, 'int32')) as tf.Tensor4D; // [K, out, out, C]
    });
  }
}
