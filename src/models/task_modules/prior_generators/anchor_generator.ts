/**
 * Anchors of anchor-based dense heads (RetinaNet), as mmdetection's
 * `AnchorGenerator` (mmdet/models/task_modules/prior_generators/anchor_generator.py,
 * mmdet 3.x).
 *
 * Everything is computed on the host with float32 rounding after every
 * operation, in PyTorch's order, so that the anchors are bit-identical to
 * mmdet's (which matters: the assigner compares IoUs for equality).
 */

const f32 = Math.fround;

/** Options of {@link AnchorGenerator}; mmdet's argument names in camelCase. */
export interface AnchorGeneratorOptions {
  /** Stride of each level, in pixels (square strides). Default `[8, 16, 32, 64, 128]`. */
  strides: number[];
  /** Height/width ratios of the base anchors. Default `[0.5, 1, 2]`. */
  ratios: number[];
  /** Explicit anchor scales, or null to derive them from the octave options. Default null. */
  scales: number[] | null;
  /** Base size of each level, or null to use the strides. Default null. */
  baseSizes: number[] | null;
  /** Order the base anchors ratio-major (scales vary fastest), as mmdet 2.x+. Default true. */
  scaleMajor: boolean;
  /** Octave base scale (RetinaNet: 4). Used when `scales` is null. Default 4. */
  octaveBaseScale: number | null;
  /** Scales per octave (RetinaNet: 3): scales are `octaveBaseScale · 2^(i/scalesPerOctave)`. Default 3. */
  scalesPerOctave: number | null;
  /** Centre of the base anchor in units of the base size, in [0, 1]. Default 0. */
  centerOffset: number;
  /**
   * Round the base anchors' corners to integers (half to even), as torchvision's
   * `AnchorGenerator.generate_anchors` does; mmdet does not. Default false.
   */
  roundBaseAnchors?: boolean;
}

/** RetinaNet's anchor settings (configs/_base_/models/retinanet_r50_fpn.py). */
export const RETINANET_ANCHOR_OPTIONS: AnchorGeneratorOptions = {
  strides: [8, 16, 32, 64, 128],
  ratios: [0.5, 1, 2],
  scales: null,
  baseSizes: null,
  scaleMajor: true,
  octaveBaseScale: 4,
  scalesPerOctave: 3,
  centerOffset: 0,
};

/**
 * Generates the base anchors of every level and the anchors of a feature-map
 * grid. Anchor order is mmdet's: locations row-major (y outer, x inner) and,
 * for each location, all its base anchors — which is also the order of a
 * head's NHWC output `[1, H, W, A·C]` flattened to `[H·W·A, C]`.
 */
export class AnchorGenerator {
  /** Resolved options. */
  readonly options: AnchorGeneratorOptions;
  /** `[numLevels]` base anchors of each level, each `[A·4]` x1,y1,x2,y2 centred on (0, 0) (+ offset). */
  readonly baseAnchors: Float32Array[];
  /** Float32 scales actually used, `[S]`. */
  readonly scales: Float32Array;

  /** @param options overrides of {@link RETINANET_ANCHOR_OPTIONS}. */
  constructor(options: Partial<AnchorGeneratorOptions> = {}) {
    const o: AnchorGeneratorOptions = { ...RETINANET_ANCHOR_OPTIONS, ...options };
    if (options.scales !== undefined && options.scales !== null && options.octaveBaseScale === undefined) {
      o.octaveBaseScale = null;
      o.scalesPerOctave = null;
    }
    if (o.centerOffset < 0 || o.centerOffset > 1) {
      throw new RangeError(`AnchorGenerator: centerOffset must be in [0, 1], got ${o.centerOffset}`);
    }
    const octave = o.octaveBaseScale !== null && o.scalesPerOctave !== null;
    if (octave === (o.scales !== null)) {
      throw new RangeError('AnchorGenerator: give either scales or octaveBaseScale with scalesPerOctave, not both');
    }
    const baseSizes = o.baseSizes ?? o.strides;
    if (baseSizes.length !== o.strides.length) {
      throw new RangeError(`AnchorGenerator: ${baseSizes.length} base sizes for ${o.strides.length} strides`);
    }
    this.options = o;
    if (o.scales !== null) {
      this.scales = Float32Array.from(o.scales);
    } else {
      const per = o.scalesPerOctave as number;
      const base = o.octaveBaseScale as number;
      // numpy float64, then torch.Tensor(...) rounds to float32.
      this.scales = Float32Array.from({ length: per }, (_, i) => Math.pow(2, i / per) * base);
    }
    this.baseAnchors = baseSizes.map((size) => this.levelBaseAnchors(size));
  }

  /** Number of levels. */
  get numLevels(): number {
    return this.options.strides.length;
  }

  /** `[numLevels]` number of base anchors A per location (ratios × scales). */
  get numBaseAnchors(): number[] {
    return this.baseAnchors.map((b) => b.length / 4);
  }

  private levelBaseAnchors(baseSize: number): Float32Array {
    const { ratios, scaleMajor, centerOffset } = this.options;
    const scales = this.scales;
    const xCenter = f32(centerOffset * baseSize);
    const yCenter = f32(centerOffset * baseSize);
    const hRatios = ratios.map((r) => f32(Math.sqrt(f32(r))));
    const wRatios = hRatios.map((h) => f32(1 / h));
    const ws: number[] = [];
    const hs: number[] = [];
    if (scaleMajor) {
      for (let r = 0; r < ratios.length; r++) {
        for (let s = 0; s < scales.length; s++) {
          ws.push(f32(f32(baseSize * wRatios[r]) * scales[s]));
          hs.push(f32(f32(baseSize * hRatios[r]) * scales[s]));
        }
      }
    } else {
      for (let s = 0; s < scales.length; s++) {
        for (let r = 0; r < ratios.length; r++) {
          ws.push(f32(f32(baseSize * scales[s]) * wRatios[r]));
          hs.push(f32(f32(baseSize * scales[s]) * hRatios[r]));
        }
      }
    }
    const out = new Float32Array(ws.length * 4);
    for (let a = 0; a < ws.length; a++) {
      const hw = f32(0.5 * ws[a]);
      const hh = f32(0.5 * hs[a]);
      out[4 * a] = xCenter - hw;
      out[4 * a + 1] = yCenter - hh;
      out[4 * a + 2] = xCenter + hw;
      out[4 * a + 3] = yCenter + hh;
    }
    if (this.options.roundBaseAnchors === true) for (let i = 0; i < out.length; i++) out[i] = roundHalfEven(out[i]);
    return out;
  }

  /**
   * Anchors of one level for a feature map of `featH × featW`.
   * @returns `[featH·featW·A·4]` x1,y1,x2,y2 in input-image pixels: anchor
   *   `(y·featW + x)·A + a` is base anchor `a` shifted by `(x·stride, y·stride)`.
   * @param stride `[strideH, strideW]` instead of the level's configured stride (torchvision derives
   *   it per image batch as `padded size // feature size`), or null. Default null.
   */
  gridAnchors(level: number, featH: number, featW: number, stride: readonly [number, number] | null = null): Float32Array {
    const base = this.levelBase(level);
    const [strideH, strideW] = stride ?? [this.options.strides[level], this.options.strides[level]];
    const numBase = base.length / 4;
    const out = new Float32Array(featH * featW * numBase * 4);
    let k = 0;
    for (let y = 0; y < featH; y++) {
      const sy = f32(y * strideH);
      for (let x = 0; x < featW; x++) {
        const sx = f32(x * strideW);
        for (let a = 0; a < numBase; a++) {
          out[k++] = base[4 * a] + sx;
          out[k++] = base[4 * a + 1] + sy;
          out[k++] = base[4 * a + 2] + sx;
          out[k++] = base[4 * a + 3] + sy;
        }
      }
    }
    return out;
  }

  /**
   * Anchors of every level (mmdet's `grid_priors`).
   * @param featmapSizes `[numLevels]` feature map sizes `[h, w]`, finest first.
   * @returns one `[H_l·W_l·A·4]` array per level.
   */
  gridAnchorsAll(featmapSizes: ReadonlyArray<readonly [number, number]>): Float32Array[] {
    this.checkLevels(featmapSizes.length);
    return featmapSizes.map(([h, w], l) => this.gridAnchors(l, h, w));
  }

  /**
   * Which anchors of one level lie on feature-map cells covered by the image
   * (mmdet's `single_level_valid_flags`): the first `min(ceil(padH/stride), featH)`
   * rows and `min(ceil(padW/stride), featW)` columns, all base anchors of a cell alike.
   * @param padShape `[h, w]` of the image after padding (its own, within the batch).
   * @returns `[featH·featW·A]` 1 = valid, 0 = outside the image.
   */
  validFlags(level: number, featH: number, featW: number, padShape: readonly [number, number]): Uint8Array {
    const stride = this.options.strides[level];
    const numBase = this.levelBase(level).length / 4;
    const validH = Math.min(Math.ceil(padShape[0] / stride), featH);
    const validW = Math.min(Math.ceil(padShape[1] / stride), featW);
    const out = new Uint8Array(featH * featW * numBase);
    for (let y = 0; y < validH; y++) {
      for (let x = 0; x < validW; x++) out.fill(1, (y * featW + x) * numBase, (y * featW + x + 1) * numBase);
    }
    return out;
  }

  /** {@link validFlags} of every level. */
  validFlagsAll(featmapSizes: ReadonlyArray<readonly [number, number]>, padShape: readonly [number, number]): Uint8Array[] {
    this.checkLevels(featmapSizes.length);
    return featmapSizes.map(([h, w], l) => this.validFlags(l, h, w, padShape));
  }

  private levelBase(level: number): Float32Array {
    const base = this.baseAnchors[level];
    if (base === undefined) throw new RangeError(`AnchorGenerator: level ${level} of ${this.numLevels}`);
    return base;
  }

  private checkLevels(n: number): void {
    if (n !== this.numLevels) {
      throw new RangeError(`AnchorGenerator: ${n} feature maps for ${this.numLevels} levels`);
    }
  }
}

/** `torch.round`: to the nearest integer, halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
