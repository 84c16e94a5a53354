/**
 * Box IoU with COCO crowd handling, the `bbIou` routine of the COCO mask API.
 */
import type { CocoBox } from './coco_types.js';

/**
 * IoU of every detection with every ground-truth box, row-major `[D, G]`
 * (`out[d * G + g]`). For a crowd ground truth the union is the detection's
 * own area, so the value is the fraction of the detection inside the crowd
 * region. Boxes that do not overlap (width or height of the intersection <= 0)
 * get 0. The arithmetic follows the C code operation for operation.
 */
export function bboxIou(dts: readonly CocoBox[], gts: readonly CocoBox[], iscrowd: ArrayLike<number>): Float64Array {
  const D = dts.length;
  const G = gts.length;
  const out = new Float64Array(D * G);
  for (let g = 0; g < G; g++) {
    const gb = gts[g];
    const ga = gb[2] * gb[3];
    const crowd = iscrowd[g] !== 0;
    for (let d = 0; d < D; d++) {
      const db = dts[d];
      const da = db[2] * db[3];
      const w = Math.min(db[2] + db[0], gb[2] + gb[0]) - Math.max(db[0], gb[0]);
      if (w <= 0) continue;
      const h = Math.min(db[3] + db[1], gb[3] + gb[1]) - Math.max(db[1], gb[1]);
      if (h <= 0) continue;
      const inter = w * h;
      const union = crowd ? da : da + ga - inter;
      out[d * G + g] = inter / union;
    }
  }
  return out;
}
