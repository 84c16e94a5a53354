import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { auditPeakMemory } from '../src/apis/memory_audit.js';
import { profileKernels } from '../src/apis/kernel_profile.js';
import { useBackend } from './helpers.js';

/** A training-like step with a known peak: two saved activations of 1 MiB each, then backward. */
function step(w: tf.Variable, x: tf.Tensor): void {
  const { value, grads } = tf.variableGrads(() => {
    const h = tf.matMul(x, w); // [512, 512] = 1 MiB, saved for the relu and matmul backward
    return tf.relu(h).square().sum() as tf.Scalar;
  }, [w]);
  value.dispose();
  tf.dispose(Object.values(grads));
}

describe.each(['cpu', 'wasm'] as const)('memory audit and kernel profile (%s)', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('peak holders account for the step bytes; nothing leaks', () => {
    const w = tf.variable(tf.randomNormal([512, 512], 0, 0.05, 'float32', 1), true, `audit_w_${backend}`);
    const x = tf.randomNormal([512, 512], 0, 1, 'float32', 2);
    step(w, x);
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    const audit = auditPeakMemory(() => step(w, x));
    expect(tf.memory().numTensors).toBe(before);
    expect(audit.baselineBytes).toBe(bytesBefore);
    const stepBytes = audit.peakBytes - audit.baselineBytes;
    const held = audit.holders.reduce((a, h) => a + h.bytes, 0);
    expect(held).toBeLessThanOrEqual(stepBytes); // tfjs counts shared buffers once per tensor, the audit once
    expect(held).toBeGreaterThanOrEqual(3 * 2 ** 20); // h, relu(h) and a 1 MiB gradient are alive together
    expect(stepBytes).toBeGreaterThanOrEqual(2 * 2 ** 20); // at least the matmul output and a gradient
    expect(audit.holders.some((h) => h.holder.startsWith('forward:BatchMatMul'))).toBe(true);
    expect(audit.peakAtCall).toBeGreaterThan(0);
    expect(audit.peakAtCall).toBeLessThanOrEqual(audit.totalCalls);
    w.dispose();
    x.dispose();
  });

  it('the kernel table counts every call of a kernel and sums to 100%', async () => {
    const a = tf.randomNormal([64, 64]);
    const table = await profileKernels(() => [tf.tidy(() => tf.matMul(a, a).add(1).matMul(a))]);
    const mm = table.rows.find((r) => r.kernel === 'BatchMatMul');
    expect(mm?.calls).toBe(2);
    const pct = table.rows.reduce((s, r) => s + r.percent, 0);
    if (table.totalKernelMs > 0) expect(pct).toBeCloseTo(100, 5);
    a.dispose();
  });
});
