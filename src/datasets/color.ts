/**
 * Per-pixel colour-space conversions used by the photometric transforms, in
 * the two conventions the reference libraries use:
 *
 * - OpenCV's float conversion (`cv2.cvtColor(img_f32, COLOR_RGB2HSV)`), used by
 *   mmseg/mmdet `PhotoMetricDistortion`: H in degrees `[0, 360)`, S in `[0, 1]`,
 *   V on the scale of the input (0..255 here).
 * - torchvision's tensor conversion (`_rgb2hsv` / `_hsv2rgb`), used by
 *   `ColorJitter`'s hue step: H, S, V all in `[0, 1]` for inputs in `[0, 1]`.
 *
 * Every function writes its three outputs into `out` and returns it, so callers
 * can reuse one buffer per image.
 */

/** A reusable three-element output buffer. */
export type Triple = [number, number, number];

const FLT_EPSILON = 1.1920928955078125e-7;

/** OpenCV `RGB2HSV_f`: returns `[h (deg), s, v]`. */
export function rgbToHsvOpenCV(r: number, g: number, b: number, out: Triple): Triple {
  let v = r;
  let vmin = r;
  if (v < g) v = g;
  if (v < b) v = b;
  if (vmin > g) vmin = g;
  if (vmin > b) vmin = b;
  const diff = v - vmin;
  const s = diff / (Math.abs(v) + FLT_EPSILON);
  const k = 60 / (diff + FLT_EPSILON);
  let h: number;
  if (v === r) h = (g - b) * k;
  else if (v === g) h = (b - r) * k + 120;
  else h = (r - g) * k + 240;
  if (h < 0) h += 360;
  out[0] = h;
  out[1] = s;
  out[2] = v;
  return out;
}

/** Index of `[b, g, r]` in `[v, v(1−s), v(1−s·f), v(1−s(1−f))]` per sector (OpenCV's table). */
const SECTOR_DATA: ReadonlyArray<readonly [number, number, number]> = [
  [1, 3, 0],
  [1, 0, 2],
  [3, 0, 1],
  [0, 2, 1],
  [0, 1, 3],
  [2, 1, 0],
];

/** OpenCV `HSV2RGB_f` (H in degrees): returns `[r, g, b]`. */
export function hsvToRgbOpenCV(h: number, s: number, v: number, out: Triple): Triple {
  if (s === 0) {
    out[0] = v;
    out[1] = v;
    out[2] = v;
    return out;
  }
  let hh = (h * 6) / 360;
  hh %= 6;
  if (hh < 0) hh += 6;
  let sector = Math.floor(hh);
  hh -= sector;
  if (sector < 0 || sector >= 6) {
    sector = 0;
    hh = 0;
  }
  const tab0 = v;
  const tab1 = v * (1 - s);
  const tab2 = v * (1 - s * hh);
  const tab3 = v * (1 - s * (1 - hh));
  const tab = [tab0, tab1, tab2, tab3];
  const [bi, gi, ri] = SECTOR_DATA[sector];
  out[0] = tab[ri];
  out[1] = tab[gi];
  out[2] = tab[bi];
  return out;
}

/** torchvision `_rgb2hsv` for one pixel in `[0, 1]`: returns `[h, s, v]`, all in `[0, 1]`. */
export function rgbToHsvTorch(r: number, g: number, b: number, out: Triple): Triple {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  const eqc = maxc === minc;
  const cr = maxc - minc;
  const s = cr / (eqc ? 1 : maxc);
  const div = eqc ? 1 : cr;
  const rc = (maxc - r) / div;
  const gc = (maxc - g) / div;
  const bc = (maxc - b) / div;
  let h: number;
  if (maxc === r) h = bc - gc;
  else if (maxc === g) h = 2 + rc - bc;
  else h = 4 + gc - rc;
  // torch.fmod(h / 6 + 1, 1): h/6 + 1 > 0 always, so fmod equals the JS remainder.
  h = (h / 6 + 1) % 1;
  out[0] = h;
  out[1] = s;
  out[2] = maxc;
  return out;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** torchvision `_hsv2rgb` for one pixel (h, s, v in `[0, 1]`): returns `[r, g, b]`. */
export function hsvToRgbTorch(h: number, s: number, v: number, out: Triple): Triple {
  const i0 = Math.floor(h * 6);
  const f = h * 6 - i0;
  const p = clamp01(v * (1 - s));
  const q = clamp01(v * (1 - s * f));
  const t = clamp01(v * (1 - s * (1 - f)));
  const i = ((i0 % 6) + 6) % 6;
  switch (i) {
    case 0:
      out[0] = v;
      out[1] = t;
      out[2] = p;
      break;
    case 1:
      out[0] = q;
      out[1] = v;
      out[2] = p;
      break;
    case 2:
      out[0] = p;
      out[1] = v;
      out[2] = t;
      break;
    case 3:
      out[0] = p;
      out[1] = q;
      out[2] = v;
      break;
    case 4:
      out[0] = t;
      out[1] = p;
      out[2] = v;
      break;
    default:
      out[0] = v;
      out[1] = p;
      out[2] = q;
  }
  return out;
}

/** ITU-R 601-2 luma as torchvision's `rgb_to_grayscale`: `0.2989 r + 0.587 g + 0.114 b`. */
export function grayTorch(r: number, g: number, b: number): number {
  return 0.2989 * r + 0.587 * g + 0.114 * b;
}
