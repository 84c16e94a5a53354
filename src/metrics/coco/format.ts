/**
 * Presentation of the 12 COCO bbox summary numbers: pycocotools' printed
 * lines and an mmdetection-style metrics dictionary.
 */

/** The 12 COCO bbox summary numbers under mmdetection's names (fractions 0..1, -1 when undefined). */
export interface CocoBboxMetrics {
  /** AP @[IoU=0.50:0.95, area=all, maxDets=100] (stats[0]). */
  bbox_mAP: number;
  /** AP @[IoU=0.50, area=all, maxDets=100] (stats[1]). */
  bbox_mAP_50: number;
  /** AP @[IoU=0.75, area=all, maxDets=100] (stats[2]). */
  bbox_mAP_75: number;
  /** AP of small objects, area <= 32² (stats[3]). */
  bbox_mAP_s: number;
  /** AP of medium objects, 32² <= area <= 96² (stats[4]). */
  bbox_mAP_m: number;
  /** AP of large objects, area >= 96² (stats[5]). */
  bbox_mAP_l: number;
  /** AR with 1 detection per image (stats[6]). */
  bbox_AR_1: number;
  /** AR with 10 detections per image (stats[7]). */
  bbox_AR_10: number;
  /** AR with 100 detections per image (stats[8]). */
  bbox_AR_100: number;
  /** AR of small objects (stats[9]). */
  bbox_AR_s: number;
  /** AR of medium objects (stats[10]). */
  bbox_AR_m: number;
  /** AR of large objects (stats[11]). */
  bbox_AR_l: number;
}

/** Metric names in the order of pycocotools' `stats`. */
export const COCO_BBOX_METRIC_KEYS: readonly (keyof CocoBboxMetrics)[] = [
  'bbox_mAP',
  'bbox_mAP_50',
  'bbox_mAP_75',
  'bbox_mAP_s',
  'bbox_mAP_m',
  'bbox_mAP_l',
  'bbox_AR_1',
  'bbox_AR_10',
  'bbox_AR_100',
  'bbox_AR_s',
  'bbox_AR_m',
  'bbox_AR_l',
];

function checkStats(stats: readonly number[]): void {
  if (stats.length !== 12) {
    throw new RangeError(`COCO bbox stats have ${stats.length} values; expected the 12 numbers of summarize()`);
  }
}

/**
 * Python's `'{:.{digits}f}'.format(x)`: like `toFixed`, except that a value
 * exactly halfway between two results rounds to the even last digit (JS rounds
 * it away from zero), and -0 keeps its sign.
 */
export function formatFixedPython(x: number, digits: number): string {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const mag = Math.abs(x);
  if (!Number.isFinite(mag) || mag >= 1e20) return x.toFixed(digits);
  const exact = mag.toFixed(20); // exact enough to see a true tie
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + digits);
  const truncated = exact.slice(0, digits > 0 ? dot + 1 + digits : dot);
  const isTie = /^50*$/.test(rest);
  const lastDigit = Number(truncated[truncated.length - 1]);
  const body = isTie && lastDigit % 2 === 0 ? truncated : mag.toFixed(digits);
  return sign + body;
}

/**
 * The 12 lines pycocotools' `summarize()` prints, joined by `\n` (no trailing
 * newline), e.g.
 * ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.372`.
 *
 * @param stats - the 12 numbers of {@link evaluateCocoBbox}.
 * @param maxDets - the maxDets parameter used (default `[1, 10, 100]`).
 */
export function formatCocoStats(stats: readonly number[], maxDets: readonly number[] = [1, 10, 100]): string {
  checkStats(stats);
  const rows: [boolean, string | null, string, number][] = [
    [true, null, 'all', 100],
    [true, '0.50', 'all', maxDets[2]],
    [true, '0.75', 'all', maxDets[2]],
    [true, null, 'small', maxDets[2]],
    [true, null, 'medium', maxDets[2]],
    [true, null, 'large', maxDets[2]],
    [false, null, 'all', maxDets[0]],
    [false, null, 'all', maxDets[1]],
    [false, null, 'all', maxDets[2]],
    [false, null, 'small', maxDets[2]],
    [false, null, 'medium', maxDets[2]],
    [false, null, 'large', maxDets[2]],
  ];
  return rows
    .map(([ap, iou, area, md], i) => {
      const title = (ap ? 'Average Precision' : 'Average Recall').padEnd(18);
      const type = ap ? '(AP)' : '(AR)';
      const iouStr = (iou ?? '0.50:0.95').padEnd(9);
      return ` ${title} ${type} @[ IoU=${iouStr} | area=${area.padStart(6)} | maxDets=${String(md).padStart(3)} ] = ${formatFixedPython(stats[i], 3)}`;
    })
    .join('\n');
}

/** Names the 12 numbers as mmdetection does (`bbox_mAP`, ..., `bbox_AR_l`), values unchanged. */
export function cocoStatsToMetrics(stats: readonly number[]): CocoBboxMetrics {
  checkStats(stats);
  const [mAP, mAP50, mAP75, mAPs, mAPm, mAPl, ar1, ar10, ar100, ars, arm, arl] = stats;
  return {
    bbox_mAP: mAP,
    bbox_mAP_50: mAP50,
    bbox_mAP_75: mAP75,
    bbox_mAP_s: mAPs,
    bbox_mAP_m: mAPm,
    bbox_mAP_l: mAPl,
    bbox_AR_1: ar1,
    bbox_AR_10: ar10,
    bbox_AR_100: ar100,
    bbox_AR_s: ars,
    bbox_AR_m: arm,
    bbox_AR_l: arl,
  };
}
