/**
 * What flows from datasets through transforms to models: one `DataSample` of
 * metadata and host-side targets per image, and a `Batch` of stacked images.
 * (The counterpart of mmengine's data samples.)
 */
import type { tf } from '../core/tf.js';

/** A dense label map in host memory, row-major `[height, width]`. */
export interface LabelMap {
  data: Uint8Array;
  height: number;
  width: number;
}

/**
 * Binary instance masks of one image (mmdet's `BitmapMasks`): `count` masks of
 * `height × width`, row-major, 1 inside the instance and 0 outside.
 */
export interface BitmapMasks {
  /** `[count · height · width]` bytes of 0/1; mask `i` starts at `i · height · width`. */
  data: Uint8Array;
  /** Number of masks (instances). */
  count: number;
  height: number;
  width: number;
}

/** Ground-truth boxes of one image, in the pixel frame of the transformed image. */
export interface InstanceTargets {
  /** `[N·4]` boxes as x1, y1, x2, y2. */
  bboxes: Float32Array;
  /** `[N]` contiguous class indices (0-based). */
  labels: Int32Array;
  /** `N` instance masks aligned with `bboxes` in the same frame (instance segmentation); absent for box-only data. */
  masks?: BitmapMasks;
}

/** Metadata and targets of one image. */
export interface DataSample {
  /** Source image file ('' for in-memory inputs). */
  imgPath: string;
  /** `[H, W]` of the decoded image. */
  oriShape: [number, number];
  /** `[H, W]` after resizing/cropping, before batch padding. */
  imgShape: [number, number];
  /** `[sx, sy]` from the original image to `imgShape`. Default [1, 1]. */
  scaleFactor: [number, number];
  /** Whether the image was flipped horizontally. */
  flip: boolean;
  /** Dataset-specific id (e.g. the COCO image id). */
  imgId?: number;
  /** Class index, for classification. */
  gtLabel?: number;
  /** Label map aligned with the transformed image, for segmentation. */
  gtSemSeg?: LabelMap;
  /** Boxes and labels, for detection. */
  gtInstances?: InstanceTargets;
  /** Boxes to ignore in training (crowd regions), x1,y1,x2,y2. */
  gtIgnoreBboxes?: Float32Array;
  /** Label PNG of a segmentation sample, read by `LoadAnnotations`. */
  segMapPath?: string;
  /** Map label 0 to 255 and shift the others down by one when loading the label map (ADE20K). Default false. */
  reduceZeroLabel?: boolean;
  /** Number of classes; label values must be below it (or the ignore index). */
  numClasses?: number;
  /** Label value ignored in training and evaluation. Default 255. */
  ignoreIndex?: number;
  /** `[H, W]` after `Pad` (the image's size; `imgShape` keeps the unpadded size). */
  padShape?: [number, number];
  /** Direction of the last `RandomFlip` ('horizontal' | 'vertical' | 'diagonal'), null if it did not flip. */
  flipDirection?: 'horizontal' | 'vertical' | 'diagonal' | null;
}

/** A batch: images stacked (and padded) into one tensor, with their samples. */
export interface Batch {
  /** `[B, H, W, 3]` float32, normalised. */
  inputs: tf.Tensor4D;
  /** One per image, in order. */
  samples: DataSample[];
}

/** Creates a sample for an in-memory image of size `h × w`. */
export function sampleForImage(h: number, w: number, imgPath = ''): DataSample {
  return { imgPath, oriShape: [h, w], imgShape: [h, w], scaleFactor: [1, 1], flip: false };
}
