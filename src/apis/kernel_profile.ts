/**
 * Per-kernel time table of one run of a function (tf.profile), for `npm run bench -- --profile`.
 */
import { tf } from '../core/tf.js';

/** One row of a {@link KernelTimeTable}: every call of one kernel. */
export interface KernelTimeRow {
  /** Kernel name (`BatchMatMul`, `Conv2DBackpropFilter`, ...; a custom-gradient op shows its scope name). */
  kernel: string;
  calls: number;
  totalMs: number;
  /** Share of the summed kernel time, 0–100. */
  percent: number;
}

/** Kernel times of one run, slowest kernel first. */
export interface KernelTimeTable {
  rows: KernelTimeRow[];
  /** Sum of all kernel times (kernels nested in a custom-gradient op are counted inside it too). */
  totalKernelMs: number;
  /** Wall-clock time of the profiled run (profiling overhead included). */
  wallMs: number;
}

/** Runs `step` once under `tf.profile` and sums kernel times by kernel name. `step` must dispose what it creates. */
export async function profileKernels(step: () => tf.Tensor[] | void): Promise<KernelTimeTable> {
  const start = performance.now();
  const info = await tf.profile(async () => {
    const out = step();
    if (out !== undefined) {
      await Promise.all(out.map((t) => t.data()));
      tf.dispose(out);
    }
  });
  const wallMs = performance.now() - start;
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const row = byName.get(k.name) ?? { calls: 0, ms: 0 };
    row.calls++;
    row.ms += ms;
    byName.set(k.name, row);
  }
  const totalKernelMs = [...byName.values()].reduce((a, r) => a + r.ms, 0);
  const rows = [...byName.entries()]
    .map(([kernel, r]) => ({ kernel, calls: r.calls, totalMs: r.ms, percent: totalKernelMs > 0 ? (100 * r.ms) / totalKernelMs : 0 }))
    .sort((a, b) => b.totalMs - a.totalMs);
  return { rows, totalKernelMs, wallMs };
}

/** The table as text: kernel, calls, total ms, % (the first `limit` rows). */
export function formatKernelTable(title: string, table: KernelTimeTable, limit = 25): string {
  const lines = [`${title}: ${table.totalKernelMs.toFixed(0)} ms in kernels, ${table.wallMs.toFixed(0)} ms wall (profiled)`];
  lines.push(`  ${'kernel'.padEnd(32)} ${'calls'.padStart(7)} ${'total ms'.padStart(10)} ${'%'.padStart(6)}`);
  for (const r of table.rows.slice(0, limit)) {
    lines.push(`  ${r.kernel.padEnd(32)} ${String(r.calls).padStart(7)} ${r.totalMs.toFixed(1).padStart(10)} ${r.percent.toFixed(1).padStart(6)}`);
  }
  if (table.rows.length > limit) lines.push(`  … ${table.rows.length - limit} more kernels`);
  return lines.join('\n');
}
