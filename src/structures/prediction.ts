/** What models predict for one image, in the frame of the original image. */
import type { BitmapMasks, LabelMap } from './data_sample.js';

/** A classifier's prediction. */
export interface ClassPrediction {
  kind: 'class';
  /** Softmax scores `[numClasses]`. */
  scores: Float32Array;
  /** Arg-max class. */
  label: number;
}

/** A segmentor's prediction, resized to the original image. */
export interface SegPrediction {
  kind: 'seg';
  /** Class index per pixel, `[oriH, oriW]`. */
  labelMap: LabelMap;
}

/** A detector's prediction, in original-image pixels. */
export interface DetPrediction {
  kind: 'det';
  /** `[N·4]` boxes x1, y1, x2, y2. */
  bboxes: Float32Array;
  /** `[N]` scores, descending. */
  scores: Float32Array;
  /** `[N]` contiguous class indices. */
  labels: Int32Array;
  /**
   * Instance segmentation: one binary mask per box, `N × oriH × oriW` (pasted into the
   * original image and thresholded, as mmdet's `pred_instances.masks`); absent for box-only detectors.
   */
  masks?: BitmapMasks;
}

/** Any prediction. */
export type Prediction = ClassPrediction | SegPrediction | DetPrediction;
