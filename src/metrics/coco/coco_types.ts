/**
 * Types of COCO object-detection data: the ground-truth file (`instances_*.json`)
 * and the detection results file (a JSON array of scored boxes), as read by
 * pycocotools' `COCO` and `COCO.loadRes`.
 */
import type { CocoSegmentation, CompressedRle, UncompressedRle } from '../../structures/mask/coco_mask_api.js';

/** An axis-aligned box `[x, y, width, height]` in pixels, (x, y) the top-left corner. */
export type CocoBox = [number, number, number, number];

/** One entry of the ground truth's `images` list (only `id` is used by the evaluation). */
export interface CocoImage {
  /** Unique integer image id. */
  id: number;
  /** Image file name, when the file gives one. */
  file_name?: string;
  /** Image width in pixels, when the file gives one. */
  width?: number;
  /** Image height in pixels, when the file gives one. */
  height?: number;
}

/** One ground-truth object of the `annotations` list. */
export interface CocoAnnotation {
  /** Unique integer annotation id. */
  id: number;
  /** Id of the image (in `images`) the object belongs to. */
  image_id: number;
  /** Id of the object's category (in `categories`). */
  category_id: number;
  /** Box `[x, y, w, h]`, with w > 0 and h > 0. */
  bbox: CocoBox;
  /**
   * Object area in pixels². pycocotools uses this field, not `w*h`, to put the
   * object into the small / medium / large ranges (for COCO it is the mask area).
   */
  area: number;
  /** 1 for a crowd region: never counted as a miss, may absorb any number of detections. */
  iscrowd: 0 | 1;
  /** Polygons or RLE of the object (needed by `segm` evaluation only; checked there). */
  segmentation?: CocoSegmentation;
}

/** One entry of the ground truth's `categories` list. */
export interface CocoCategory {
  /** Unique integer category id. */
  id: number;
  /** Category name, when the file gives one. */
  name?: string;
  /** Super-category name, when the file gives one. */
  supercategory?: string;
}

/** A validated COCO ground-truth dataset. */
export interface CocoGroundTruth {
  /** All images of the dataset, with or without annotations. */
  images: CocoImage[];
  /** All ground-truth objects. */
  annotations: CocoAnnotation[];
  /** All categories; their ids are the categories evaluated. */
  categories: CocoCategory[];
}

/** One detection of a results file. */
export interface CocoDetection {
  /** Id of an image of the ground truth. */
  image_id: number;
  /**
   * Predicted category id. Detections of a category that the ground truth does
   * not list are ignored by the evaluation, as pycocotools does.
   */
  category_id: number;
  /** Box `[x, y, w, h]`, with w >= 0 and h >= 0. */
  bbox: CocoBox;
  /** Confidence score; higher is more confident. */
  score: number;
  /** Predicted mask as an RLE (needed by `segm` evaluation only). */
  segmentation?: CompressedRle | UncompressedRle;
  /**
   * Area used for the small / medium / large ranges, as pycocotools' `loadRes` sets it: the
   * box's `w * h` when the file's first result has a box (even for `segm`), else the mask's
   * area. When absent, `bbox` evaluation uses `w * h` and `segm` evaluation the mask area.
   */
  area?: number;
}
