/**
 * Who holds the tensor bytes at the peak of a step, for `npm run bench -- --train --memory`.
 *
 * The step is run twice (it must allocate the same way each time, as a training step on a fixed
 * batch does). Run 1 finds the kernel call after which tfjs held the most bytes; run 2 stops at
 * that call and sums the bytes of every live tensor buffer by the kernel that produced it, split
 * into forward (recorded on a gradient tape) and backward/other kernels. A tensor buffer is counted
 * once however many tensors share it (tape-saved clones share their buffer).
 *
 * Implementation: a wrapper around the engine's `runKernelFunc`, installed for the audit only
 * and removed afterwards.
 */
import { tf } from '../core/tf.js';

/** Bytes held at the peak by the outputs of one kernel. */
export interface PeakHolder {
  /**
   * `forward:<Kernel>` (run while a gradient tape records) or `backward:<Kernel>` (anything else);
   * ` (tape copy)` marks the clones the tape saves for backward (a real copy on wasm, whose Identity kernel copies).
   */
  holder: string;
  bytes: number;
  /** Live buffers it produced. */
  buffers: number;
}

/** Result of {@link auditPeakMemory}. */
export interface PeakMemoryAudit {
  /**
   * Peak of `tf.memory().numBytes` during the step. tfjs counts bytes per tensor handle, so a
   * buffer shared by several tensors (reshape views, tape clones on cpu) counts several times there;
   * the holders count each buffer once and sum to less.
   */
  peakBytes: number;
  /** Bytes held before the step (weights, optimizer state, inputs). */
  baselineBytes: number;
  /** Kernel calls before the peak, of all calls in the step. */
  peakAtCall: number;
  totalCalls: number;
  /** Unique buffers live at the peak that kernels made during the step, by producing kernel, largest first. */
  holders: PeakHolder[];
}

interface KernelParams {
  kernelName?: string;
  inputs?: Record<string, tf.Tensor | undefined>;
}

interface EngineInternals {
  runKernelFunc: (params: KernelParams) => tf.Tensor | tf.Tensor[];
  state: { numBytes: number; gradientDepth: number; kernelDepth: number; tensorInfo: WeakMap<object, unknown> };
}

type Observer = (name: string, outputs: tf.Tensor[], engine: EngineInternals, params: KernelParams) => void;

function withKernelObserver(observer: Observer, step: () => void): void {
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.runKernelFunc;
  engine.runKernelFunc = function (this: EngineInternals, params) {
    const phase = engine.state.gradientDepth > 0 ? 'forward' : 'backward';
    const out = original.call(this, params);
    const name = `${phase}:${params.kernelName ?? 'customGrad'}`;
    observer(name, Array.isArray(out) ? out : [out], engine, params);
    return out;
  };
  try {
    step();
  } finally {
    engine.runKernelFunc = original;
  }
}

/** Runs `step` twice and reports the holders of its peak tensor bytes (see the module comment). */
export function auditPeakMemory(step: () => void): PeakMemoryAudit {
  const engine = tf.engine() as unknown as EngineInternals;
  const baselineBytes = engine.state.numBytes;
  let peakBytes = baselineBytes;
  let peakAtCall = 0;
  let calls = 0;
  withKernelObserver((_, __, e) => {
    calls++;
    if (e.state.numBytes > peakBytes) {
      peakBytes = e.state.numBytes;
      peakAtCall = calls;
    }
  }, step);
  const totalCalls = calls;

  const producers = new Map<object, { holder: string; bytes: number }>();
  const pendingClones = new Map<object, Array<{ dataId: object; bytes: number }>>();
  let snapshot: PeakHolder[] | null = null;
  calls = 0;
  withKernelObserver((name, outputs, e, params) => {
    calls++;
    if (snapshot !== null) return;
    // The tape saves tensors as clones (the Identity kernel, a copy on wasm) inside the producing
    // kernel's call, before that kernel's outputs are seen here: credit a clone to its source's producer.
    const source = params.kernelName === 'Identity' && e.state.kernelDepth > 0 ? params.inputs?.x : undefined;
    const inputIds = new Set(Object.values(params.inputs ?? {}).map((t) => t?.dataId));
    for (const t of outputs) {
      // A buffer shared with an input (Reshape; Identity on cpu) is the input's: counted already, or older than the step.
      if (producers.has(t.dataId) || inputIds.has(t.dataId)) continue;
      const bytes = t.size * bytesPerElement(t.dtype);
      if (source !== undefined && source.dataId !== t.dataId) {
        const from = producers.get(source.dataId);
        if (from !== undefined) producers.set(t.dataId, { holder: `${from.holder} (tape copy)`, bytes });
        else pendingClones.set(source.dataId, [...(pendingClones.get(source.dataId) ?? []), { dataId: t.dataId, bytes }]);
        continue;
      }
      producers.set(t.dataId, { holder: name, bytes });
      for (const c of pendingClones.get(t.dataId) ?? []) producers.set(c.dataId, { holder: `${name} (tape copy)`, bytes: c.bytes });
      pendingClones.delete(t.dataId);
    }
    if (calls !== peakAtCall) return;
    const byHolder = new Map<string, PeakHolder>();
    for (const [dataId, p] of producers) {
      if (!e.state.tensorInfo.has(dataId)) continue;
      const h = byHolder.get(p.holder) ?? { holder: p.holder, bytes: 0, buffers: 0 };
      h.bytes += p.bytes;
      h.buffers++;
      byHolder.set(p.holder, h);
    }
    snapshot = [...byHolder.values()].sort((a, b) => b.bytes - a.bytes);
  }, step);
  return { peakBytes, baselineBytes, peakAtCall, totalCalls, holders: snapshot ?? [] };
}

function bytesPerElement(dtype: tf.DataType): number {
  return dtype === 'complex64' ? 8 : dtype === 'string' ? 0 : 4;
}

/** The audit as text (the first `limit` holders). */
export function formatPeakAudit(audit: PeakMemoryAudit, limit = 20): string {
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const stepBytes = audit.peakBytes - audit.baselineBytes;
  const lines = [
    `peak tensor bytes ${mb(audit.peakBytes)} = ${mb(audit.baselineBytes)} before the step (weights, optimizer state, batch) + ${mb(stepBytes)} allocated in it, ` +
      `reached at kernel call ${audit.peakAtCall} of ${audit.totalCalls}`,
    `  live buffers made in the step: ${mb(audit.holders.reduce((a, h) => a + h.bytes, 0))} (each buffer once; tfjs counts shared buffers per tensor)`,
    `  ${'holder (phase:kernel that produced it)'.padEnd(44)} ${'MiB'.padStart(9)} ${'buffers'.padStart(8)} ${'% of step'.padStart(9)}`,
  ];
  for (const h of audit.holders.slice(0, limit)) {
    const pct = stepBytes > 0 ? (100 * h.bytes) / stepBytes : 0;
    lines.push(`  ${h.holder.padEnd(44)} ${(h.bytes / 2 ** 20).toFixed(1).padStart(9)} ${String(h.buffers).padStart(8)} ${pct.toFixed(1).padStart(9)}`);
  }
  if (audit.holders.length > limit) lines.push(`  … ${audit.holders.length - limit} more holders`);
  return lines.join('\n');
}
