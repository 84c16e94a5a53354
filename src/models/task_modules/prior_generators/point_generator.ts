/**
 * Points of anchor-free dense heads (FCOS), as mmdetection's `MlvlPointGenerator`
 * (mmdet/models/task_modules/prior_generators/point_generator.py, mmdet 3.x).
 *
 * mmdet 3.x `AnchorFreeHead` (hence `FCOSHead`) builds `MlvlPointGenerator(strides)`
 * with the default offset 0.5, so a level's points are the centres of its
 * cells: `((x + 0.5)·stride, (y + 0.5)·stride)` — the same as mmdet 2.x FCOS's
 * `x·stride + stride // 2` for even strides.
 */

/** Options of {@link MlvlPointGenerator}. */
export interface PointGeneratorOptions {
  /** Stride of each level, in pixels. Default `[8, 16, 32, 64, 128]`. */
  strides: number[];
  /** Offset of the points in units of the stride. Default 0.5 (FCOS). */
  offset: number;
}

/** FCOS's point settings. */
export const FCOS_POINT_OPTIONS: PointGeneratorOptions = { strides: [8, 16, 32, 64, 128], offset: 0.5 };

/**
 * Generates the points of every level. Order is row-major (y outer, x inner),
 * which matches an NHWC head output `[1, H, W, C]` flattened to `[H·W, C]`.
 */
export class MlvlPointGenerator {
  /** Resolved options. */
  readonly options: PointGeneratorOptions;

  /** @param options overrides of {@link FCOS_POINT_OPTIONS}. */
  constructor(options: Partial<PointGeneratorOptions> = {}) {
    this.options = { ...FCOS_POINT_OPTIONS, ...options };
  }

  /** Number of levels. */
  get numLevels(): number {
    return this.options.strides.length;
  }

  /**
   * Points of one level for a feature map of `featH × featW`.
   * @returns `[featH·featW·2]` (x, y) in input-image pixels; point `y·featW + x`
   *   is `((x + offset)·stride, (y + offset)·stride)`.
   */
  gridPoints(level: number, featH: number, featW: number): Float32Array {
    const stride = this.stride(level);
    const { offset } = this.options;
    const out = new Float32Array(featH * featW * 2);
    let k = 0;
    for (let y = 0; y < featH; y++) {
      const py = (y + offset) * stride;
      for (let x = 0; x < featW; x++) {
        out[k++] = (x + offset) * stride;
        out[k++] = py;
      }
    }
    return out;
  }

  /**
   * Points of every level (mmdet's `grid_priors` with `with_stride=False`).
   * @param featmapSizes `[numLevels]` feature map sizes `[h, w]`, finest first.
   * @returns one `[H_l·W_l·2]` array per level.
   */
  gridPointsAll(featmapSizes: ReadonlyArray<readonly [number, number]>): Float32Array[] {
    if (featmapSizes.length !== this.numLevels) {
      throw new RangeError(`MlvlPointGenerator: ${featmapSizes.length} feature maps for ${this.numLevels} levels`);
    }
    return featmapSizes.map(([h, w], l) => this.gridPoints(l, h, w));
  }

  /**
   * Which points of one level lie on cells covered by the image: the first
   * `min(ceil(padH/stride), featH)` rows and `min(ceil(padW/stride), featW)` columns.
   * @param padShape `[h, w]` of the image after padding.
   * @returns `[featH·featW]` 1 = valid, 0 = outside the image.
   */
  validFlags(level: number, featH: number, featW: number, padShape: readonly [number, number]): Uint8Array {
    const stride = this.stride(level);
    const validH = Math.min(Math.ceil(padShape[0] / stride), featH);
    const validW = Math.min(Math.ceil(padShape[1] / stride), featW);
    const out = new Uint8Array(featH * featW);
    for (let y = 0; y < validH; y++) out.fill(1, y * featW, y * featW + validW);
    return out;
  }

  private stride(level: number): number {
    const s = this.options.strides[level];
    if (s === undefined) throw new RangeError(`MlvlPointGenerator: level ${level} of ${this.numLevels}`);
    return s;
  }
}
