/**
 * Minimal SVG charts (line and bar) rendered to PNG with sharp: enough for
 * loss/lr/metric curves and backbone comparisons, with no plotting dependency.
 */
import sharp from 'sharp';

/** One line of a line chart. */
export interface Series {
  name: string;
  points: Array<[number, number]>;
}

/** A line-chart panel. */
export interface LinePanel {
  title: string;
  xLabel: string;
  series: Series[];
  /** Logarithmic y axis (e.g. for learning rates). Default false. */
  logY?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/** SVG of one panel at (x0, y0) with size (w, h). */
function panelSvg(panel: LinePanel, x0: number, y0: number, w: number, h: number): string {
  const left = x0 + 64;
  const right = x0 + w - 16;
  const top = y0 + 34;
  const bottom = y0 + h - 44;
  const pts = panel.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!panel.logY || y > 0));
  const parts: string[] = [`<text x="${x0 + w / 2}" y="${y0 + 20}" font-size="15" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`];
  if (pts.length === 0) {
    parts.push(`<text x="${x0 + w / 2}" y="${y0 + h / 2}" font-size="13" text-anchor="middle" fill="#888">no data</text>`);
    return parts.join('');
  }
  const ty = (y: number): number => (panel.logY ? Math.log10(y) : y);
  const xs = pts.map(([x]) => x);
  const ys = pts.map(([, y]) => ty(y));
  let [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const px = (x: number): number => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const py = (y: number): number => bottom - ((ty(y) - yMin) / (yMax - yMin)) * (bottom - top);
  parts.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#444"/>`);
  for (const t of niceTicks(xMin, xMax)) {
    parts.push(`<line x1="${px(t)}" y1="${bottom}" x2="${px(t)}" y2="${bottom + 4}" stroke="#444"/>`);
    parts.push(`<text x="${px(t)}" y="${bottom + 17}" font-size="11" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(yMin, yMax)) {
    const y = bottom - ((t - yMin) / (yMax - yMin)) * (bottom - top);
    parts.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" font-size="11" text-anchor="end">${formatTick(panel.logY ? 10 ** t : t)}</text>`);
  }
  parts.push(`<text x="${(left + right) / 2}" y="${bottom + 34}" font-size="12" text-anchor="middle">${escapeXml(panel.xLabel)}</text>`);
  panel.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const valid = s.points.filter(([, y]) => Number.isFinite(y) && (!panel.logY || y > 0));
    if (valid.length === 0) return;
    const d = valid.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
    if (valid.length <= 30) for (const [x, y] of valid) parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="2.5" fill="${color}"/>`);
    parts.push(`<rect x="${left + 8}" y="${top + 8 + i * 16}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${left + 22}" y="${top + 17 + i * 16}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  return parts.join('');
}

/** Renders panels side by side (wrapping after `columns`) to a PNG file. */
export async function writeLinePanelsPng(path: string, panels: LinePanel[], columns = 3, panelWidth = 420, panelHeight = 300): Promise<void> {
  const cols = Math.min(columns, Math.max(1, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const width = cols * panelWidth;
  const height = rows * panelHeight;
  const body = panels.map((p, i) => panelSvg(p, (i % cols) * panelWidth, Math.floor(i / cols) * panelHeight, panelWidth, panelHeight)).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif"><rect width="100%" height="100%" fill="white"/>${body}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
}

/** One bar of a bar chart. */
export interface Bar {
  label: string;
  value: number;
}

/** Renders bar charts (one per metric) side by side to a PNG file. */
export async function writeBarChartsPng(path: string, charts: Array<{ title: string; bars: Bar[] }>, panelWidth = 360, panelHeight = 300): Promise<void> {
  const width = charts.length * panelWidth;
  const parts: string[] = [];
  charts.forEach((chart, c) => {
    const x0 = c * panelWidth;
    const left = x0 + 56;
    const right = x0 + panelWidth - 16;
    const top = 40;
    const bottom = panelHeight - 56;
    const max = Math.max(...chart.bars.map((b) => b.value), 1e-12);
    parts.push(`<text x="${x0 + panelWidth / 2}" y="22" font-size="15" text-anchor="middle" font-weight="bold">${escapeXml(chart.title)}</text>`);
    parts.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#444"/>`);
    const slot = (right - left) / Math.max(1, chart.bars.length);
    chart.bars.forEach((b, i) => {
      const h = (b.value / max) * (bottom - top);
      const x = left + i * slot + slot * 0.15;
      parts.push(`<rect x="${x}" y="${bottom - h}" width="${slot * 0.7}" height="${h}" fill="${COLORS[i % COLORS.length]}"/>`);
      parts.push(`<text x="${x + slot * 0.35}" y="${bottom - h - 5}" font-size="11" text-anchor="middle">${formatTick(b.value)}</text>`);
      parts.push(`<text x="${x + slot * 0.35}" y="${bottom + 16}" font-size="11" text-anchor="middle">${escapeXml(b.label)}</text>`);
    });
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${panelHeight}" font-family="DejaVu Sans, Arial, sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
}
