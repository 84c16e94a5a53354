import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swinLayerId } from '../src/backbones/swin/swin_layer_id.js';
import { tf } from '../src/core/tf.js';
import { Module } from '../src/nn/module.js';
import { Linear } from '../src/nn/layers/linear.js';
import { LayerNorm } from '../src/nn/layers/layer_norm.js';
import { zeros } from '../src/nn/init.js';
import { SwinTransformer } from '../src/backbones/swin/swin_transformer.js';
import { readSafetensors, serializeSafetensors } from '../src/checkpoint/safetensors.js';
import type { HostTensor } from '../src/checkpoint/host_tensor.js';
import { ConfigError } from '../src/core/errors.js';
import { Optimizer, type ParamGroupInput } from '../src/optim/optimizer.js';
import { AdamW } from '../src/optim/adamw.js';
import { SGD } from '../src/optim/sgd.js';
import { clipGradNorm } from '../src/optim/clip_grad.js';
import { buildParamGroups, formatParamGroups, normParamPredicate, type ParamGroupsResult } from '../src/optim/param_groups.js';
import { ConstantLR, CosineAnnealingLR, LinearLR, MultiStepLR, PolyLR, ScheduleSet } from '../src/optim/schedulers.js';
import { adamWSpec, linearLRSpec, polyLRSpec, sgdSpec } from '../src/optim/specs.js';
import { buildSchedule, optimizerBase } from '../src/engine/build.js';
import { registerBuiltins } from '../src/registry/builtins.js';
import { TEST_BACKENDS, fixture, loadFixture, maxAbsDiff, useBackend } from './helpers.js';

registerBuiltins();

const FIXTURE = new URL('./fixtures/optim/optim.safetensors', import.meta.url).pathname;
const NAMES = ['w1', 'b1', 'w2', 's', 'tiny'] as const;
const NSTEPS = 8;
const GAP = 4; // b1 has no gradient at this step
const LR_FACTORS = [0.1, 0.4, 0.7, 1.0, 1.0, 0.8, 0.5, 0.2];

type Vars = Map<string, tf.Variable>;

function freshParams(fx: Map<string, tf.Tensor>): Vars {
  return new Map(NAMES.map((n) => [n, tf.variable(fixture(fx, `init.${n}`).clone(), true)]));
}

/** Group A = [w1, w2, tiny] at the base lr / wd; group B = [b1, s] at half the lr, no decay. */
function groupsOf(vars: Vars): ParamGroupInput[] {
  const ref = (n: string) => ({ name: n, variable: vars.get(n) as tf.Variable });
  return [{ params: [ref('w1'), ref('w2'), ref('tiny')] }, { params: [ref('b1'), ref('s')], lrMult: 0.5, decayMult: 0 }];
}

function gradsAt(fx: Map<string, tf.Tensor>, t: number): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const n of NAMES) if (!(t === GAP && n === 'b1')) out.set(n, fixture(fx, `grad${t}.${n}`));
  return out;
}

function disposeVars(vars: Vars): void {
  for (const v of vars.values()) v.dispose();
}

/** Runs the fixture's gradient sequence, comparing with torch after every step. */
function checkRun(fx: Map<string, tf.Tensor>, tag: string, make: (groups: ParamGroupInput[]) => Optimizer, factors?: number[]): number {
  const vars = freshParams(fx);
  const opt = make(groupsOf(vars));
  let worst = 0;
  try {
    for (let t = 0; t < NSTEPS; t++) {
      if (factors !== undefined) opt.setLrFactor(factors[t]);
      opt.step(gradsAt(fx, t));
      for (const n of NAMES) {
        const d = maxAbsDiff(vars.get(n) as tf.Variable, fixture(fx, `${tag}.step${t}.${n}`));
        worst = Math.max(worst, d);
        expect(d, `${tag} step ${t} ${n}: max abs diff ${d}`).toBeLessThanOrEqual(1e-6);
      }
    }
    if (process.env.OPTIM_DEBUG) console.log(`${tag} on ${tf.getBackend()}: worst diff ${worst}`);
    expect(opt.stepCount).toBe(NSTEPS);
  } finally {
    opt.dispose();
    disposeVars(vars);
  }
  return worst;
}

function toHost(t: tf.Tensor): HostTensor {
  return t.dtype === 'int32' ? { dtype: 'int32', shape: [...t.shape], data: Int32Array.from(t.dataSync()) } : { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.dataSync()) };
}

function fromHost(h: HostTensor): tf.Tensor {
  return h.dtype === 'int32' ? tf.tensor(h.data as Int32Array, h.shape, 'int32') : tf.tensor(h.data as Float32Array, h.shape, 'float32');
}

describe.each(TEST_BACKENDS)('optimizers match torch on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
  });
  afterAll(() => tf.dispose([...fx.values()]));

  it('AdamW (two groups, one without decay, lr factor changing every step, a missing gradient)', () => {
    checkRun(fx, 'adamw', (groups) => new AdamW(groups, { lr: 1e-2, weightDecay: 0.05 }), LR_FACTORS);
  });

  it('AdamW built through its spec', () => {
    checkRun(fx, 'adamw', (groups) => adamWSpec.build({ ...adamWSpec.defaults, lr: 1e-2, weightDecay: 0.05 }, { groups }, 'optimizer'), LR_FACTORS);
  });

  it('SGD momentum 0.9 with weight decay', () => {
    checkRun(fx, 'sgd', (groups) => new SGD(groups, { lr: 0.02, momentum: 0.9, weightDecay: 0.01 }));
  });

  it('SGD Nesterov', () => {
    checkRun(fx, 'sgd_nesterov', (groups) => sgdSpec.build({ ...sgdSpec.defaults, lr: 0.02, momentum: 0.9, weightDecay: 0.01, nesterov: true }, { groups }, 'o'));
  });

  it('SGD with dampening', () => {
    checkRun(fx, 'sgd_damp', (groups) => new SGD(groups, { lr: 0.03, momentum: 0.8, dampening: 0.3, weightDecay: 0.02 }));
  });

  it('plain SGD (no momentum, no decay)', () => {
    checkRun(fx, 'sgd_plain', (groups) => new SGD(groups, { lr: 0.05 }));
  });

  it('per-group lr and weight decay follow lrMult / decayMult and setLrFactor', () => {
    const vars = freshParams(fx);
    const opt = new AdamW(groupsOf(vars), { lr: 2e-3, weightDecay: 0.05 });
    expect(opt.groups.map((g) => [g.lr, g.weightDecay])).toEqual([
      [2e-3, 0.05],
      [1e-3, 0],
    ]);
    opt.setLrFactor(0.25);
    expect(opt.lrs).toEqual([2e-3 * 0.25, 1e-3 * 0.25]);
    opt.dispose();
    disposeVars(vars);
  });

  it.each([
    ['c05', 0.5, 2, true],
    ['c2', 2, 2, true],
    ['c100', 100, 2, false],
    ['cinf', 0.3, Infinity, true],
  ] as const)('clipGradNorm %s matches torch.nn.utils.clip_grad_norm_', (tag, maxNorm, normType, clips) => {
    const grads = new Map(NAMES.map((n) => [n, fixture(fx, `clip.in.${n}`)]));
    const before = tf.memory().numTensors;
    const result = clipGradNorm(grads, maxNorm, normType);
    const total = fixture(fx, `clip.${tag}.total`).dataSync()[0];
    expect(Math.abs(result.totalNorm - total)).toBeLessThanOrEqual(1e-6 * Math.max(1, total));
    expect(result.clipped).toBe(clips);
    for (const n of NAMES) {
      const d = maxAbsDiff(result.grads.get(n) as tf.Tensor, fixture(fx, `clip.${tag}.${n}`));
      expect(d, `${tag} ${n}`).toBeLessThanOrEqual(1e-6);
    }
    if (!clips) for (const n of NAMES) expect(maxAbsDiff(result.grads.get(n) as tf.Tensor, grads.get(n) as tf.Tensor)).toBe(0);
    expect(tf.memory().numTensors).toBe(before + NAMES.length);
    tf.dispose([...result.grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['adamw', 'sgd'] as const)('%s state dict round trip (through safetensors) resumes bit-exactly', (kind) => {
    const make = (groups: ParamGroupInput[]): Optimizer =>
      kind === 'adamw' ? new AdamW(groups, { lr: 1e-2, weightDecay: 0.05 }) : new SGD(groups, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true });
    // Uninterrupted 6 steps (b1 has no gradient at step 4).
    const ref = freshParams(fx);
    const optRef = make(groupsOf(ref));
    for (let t = 0; t < 6; t++) {
      optRef.setLrFactor(LR_FACTORS[t]);
      optRef.step(gradsAt(fx, t));
    }
    // 3 steps, save params + optimizer state, restore into fresh objects, 3 more steps.
    const first = freshParams(fx);
    const optA = make(groupsOf(first));
    for (let t = 0; t < 3; t++) {
      optA.setLrFactor(LR_FACTORS[t]);
      optA.step(gradsAt(fx, t));
    }
    const state = optA.stateDict();
    expect([...state.keys()].sort()).toEqual(
      ['step_count', ...NAMES.flatMap((n) => (kind === 'adamw' ? [`state.${n}.step`, `state.${n}.exp_avg`, `state.${n}.exp_avg_sq`] : [`state.${n}.step`, `state.${n}.momentum_buffer`]))].sort(),
    );
    const bytes = serializeSafetensors(new Map([...state].map(([k, v]) => [k, toHost(v)])));
    const paramBytes = serializeSafetensors(new Map([...first].map(([k, v]) => [k, toHost(v)])));
    tf.dispose([...state.values()]);
    optA.dispose();
    disposeVars(first);

    const loadedState = new Map([...readSafetensors(bytes).tensors].map(([k, h]) => [k, fromHost(h)]));
    const resumed: Vars = new Map([...readSafetensors(paramBytes).tensors].map(([k, h]) => [k, tf.variable(fromHost(h), true)]));
    const optB = make(groupsOf(resumed));
    optB.loadStateDict(loadedState);
    tf.dispose([...loadedState.values()]);
    expect(optB.stepCount).toBe(3);
    for (let t = 3; t < 6; t++) {
      optB.setLrFactor(LR_FACTORS[t]);
      optB.step(gradsAt(fx, t));
    }
    expect(optB.stepCount).toBe(6);
    for (const n of NAMES) {
      expect(Array.from((resumed.get(n) as tf.Variable).dataSync()), n).toEqual(Array.from((ref.get(n) as tf.Variable).dataSync()));
    }
    // The per-parameter step of b1 lags by one (no gradient at step 4), as in torch.
    const s = optB.stateDict();
    expect(s.get('state.b1.step')?.dataSync()[0]).toBe(5);
    expect(s.get('state.w1.step')?.dataSync()[0]).toBe(6);
    tf.dispose([...s.values()]);
    optB.dispose();
    optRef.dispose();
    disposeVars(resumed);
    disposeVars(ref);
  });

  it('loadStateDict rejects state of the wrong shape or an unknown parameter', () => {
    const vars = freshParams(fx);
    const opt = new AdamW(groupsOf(vars));
    const bad = new Map<string, tf.Tensor>([
      ['state.w1.step', tf.scalar(1, 'int32')],
      ['state.w1.exp_avg', tf.zeros([3, 4])],
      ['state.w1.exp_avg_sq', tf.zeros([4, 3])],
    ]);
    expect(() => opt.loadStateDict(bad)).toThrow(/shape \[3,4\]/);
    const unknown = new Map<string, tf.Tensor>([['state.nope.step', tf.scalar(1, 'int32')]]);
    expect(() => opt.loadStateDict(unknown)).toThrow(/unknown parameter 'nope'/);
    tf.dispose([...bad.values(), ...unknown.values()]);
    opt.dispose();
    disposeVars(vars);
  });

  it.each(['adamw', 'sgd'] as const)('%s step leaks no tensor', (kind) => {
    const vars = freshParams(fx);
    const opt = kind === 'adamw' ? new AdamW(groupsOf(vars), { lr: 1e-2, weightDecay: 0.05 }) : new SGD(groupsOf(vars), { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const counts: number[] = [];
    for (let t = 0; t < 6; t++) {
      opt.setLrFactor(LR_FACTORS[t]);
      opt.step(gradsAt(fx, t));
      counts.push(tf.memory().numTensors);
    }
    // After step 2 (index 1) every state exists; steps 3..6 must not add tensors.
    expect(counts[4]).toBe(counts[1]);
    expect(counts[5]).toBe(counts[1]);
    const before = tf.memory().numTensors;
    opt.dispose();
    const slots = kind === 'adamw' ? 2 : 1;
    expect(tf.memory().numTensors).toBe(before - NAMES.length * slots);
    disposeVars(vars);
  });

  it('step rejects a gradient of the wrong shape', () => {
    const vars = freshParams(fx);
    const opt = new SGD(groupsOf(vars), { lr: 0.1 });
    const g = tf.zeros([3, 4]);
    expect(() => opt.step(new Map([['w1', g]]))).toThrow(/shape \[3,4\]/);
    g.dispose();
    opt.dispose();
    disposeVars(vars);
  });
});

// ---------------------------------------------------------------------------
// Schedules: closed forms written independently of src/optim/schedulers.ts.
// ---------------------------------------------------------------------------

/** Relative closeness for lr values (mmengine's chained recursion vs closed forms). */
function expectLr(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(expected), 1e-12) + 1e-15);
}

describe('learning-rate schedules', () => {
  it('LinearLR alone: base·(s + (1 − s)·i/(end − 1)), then constant', () => {
    const s = new ScheduleSet([new LinearLR({ startFactor: 0.25, end: 11 })], 0.1);
    for (let i = 0; i <= 30; i++) {
      const f = i < 11 ? 0.25 + (0.75 * i) / 10 : 1;
      expectLr(s.factorAt(i), f, `iter ${i}`);
    }
  });

  it('warm-up (LinearLR) then cosine to an absolute etaMin', () => {
    const base = 1e-3;
    const w = 1000;
    const T = 10000;
    const etaMin = 1e-6;
    const set = new ScheduleSet([new LinearLR({ startFactor: 1e-3, end: w }), new CosineAnnealingLR({ begin: w, end: T, etaMin })], base);
    const expected = (i: number): number => {
      if (i < w) return base * (1e-3 + ((1 - 1e-3) * i) / (w - 1));
      const k = Math.min(i, T - 1) - w;
      return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * k) / (T - w)))) / 2;
    };
    for (const i of [0, 1, 2, 500, 998, 999, 1000, 1001, 2500, 5500, 9000, 9998, 9999, 10000, 20000]) {
      expectLr(set.lrAt(i, base), expected(i), `iter ${i}`);
    }
    for (let i = 0; i < 12000; i += 37) expectLr(set.lrAt(i, base), expected(i), `iter ${i}`);
    // mmengine's chained recursion, replayed: the same values.
    for (const i of [999, 1000, 7777, 9999]) expectLr(set.lrBySimulation(i, base), expected(i), `simulated ${i}`);
  });

  it('mmseg recipe: LinearLR(1e-6, 1500 iters) then PolyLR(power 1) to 160k', () => {
    const set = buildSchedule(
      [
        { type: 'LinearLR', startFactor: 1e-6, byEpoch: false, begin: 0, end: 1500 },
        { type: 'PolyLR', power: 1.0, etaMin: 0.0, begin: 1500, end: 160000, byEpoch: false },
      ],
      6e-5,
      1,
      160000,
    );
    const expected = (i: number): number => {
      if (i < 1500) return 1e-6 + ((1 - 1e-6) * i) / 1499;
      const k = Math.min(i, 159999) - 1500;
      return 1 - k / (160000 - 1500 - 1);
    };
    for (const i of [0, 1, 749, 1498, 1499, 1500, 1501, 2000, 80000, 150000, 159998, 159999, 160000, 170000]) {
      expectLr(set.factorAt(i), expected(i), `iter ${i}`);
    }
    for (let i = 0; i < 160500; i += 1013) expectLr(set.factorAt(i), expected(i), `iter ${i}`);
    expect(set.factorAt(159999)).toBe(0);
    expectLr(set.lrBySimulation(80000, 6e-5), 6e-5 * expected(80000), 'simulated 80000');
  });

  it('PolyLR with power 0.9 and etaMin, alone', () => {
    const set = new ScheduleSet([new PolyLR({ power: 0.9, etaMin: 1e-4, end: 1000 })], 0.01);
    for (let i = 0; i < 1200; i += 7) {
      const k = Math.min(i, 999);
      expectLr(set.lrAt(i, 0.01), 1e-4 + (0.01 - 1e-4) * (1 - k / 999) ** 0.9, `iter ${i}`);
    }
  });

  it('mmdet recipe: iteration warm-up overlapping epoch-based MultiStepLR, converted to iterations', () => {
    const L = 100; // iterations per epoch
    const set = buildSchedule(
      [
        { type: 'LinearLR', startFactor: 0.001, byEpoch: false, begin: 0, end: 500 },
        { type: 'MultiStepLR', begin: 0, end: 12, byEpoch: true, milestones: [8, 11], gamma: 0.1 },
      ],
      0.02,
      L,
      12 * L,
    );
    const expected = (i: number): number => {
      const warm = i < 500 ? 0.001 + (0.999 * i) / 499 : 1;
      const decays = (i >= 8 * L ? 1 : 0) + (i >= 11 * L ? 1 : 0);
      return warm * 0.1 ** decays;
    };
    for (let i = 0; i < 1300; i += 3) expectLr(set.factorAt(i), expected(i), `iter ${i}`);
    expectLr(set.factorAt(1199), 0.01, 'last iter');
  });

  it('byEpoch conversion: begin/end/tMax times iterations per epoch', () => {
    const L = 50;
    const converted = new CosineAnnealingLR({ byEpoch: true, begin: 2, end: 10, etaMinRatio: 0.01 }, { itersPerEpoch: L });
    expect([converted.begin, converted.end, converted.tMax, converted.clock]).toEqual([100, 500, 400, 'iter']);
    const set = new ScheduleSet([converted], 1);
    for (let i = 0; i < 600; i += 11) {
      const k = Math.min(Math.max(i, 100), 499) - 100;
      expectLr(set.factorAt(i), 0.01 + (0.99 * (1 + Math.cos((Math.PI * k) / 400))) / 2, `iter ${i}`);
    }
    // Fractional epochs are truncated, as mmengine's int(begin * epoch_length).
    const frac = new LinearLR({ byEpoch: true, end: 2.5 }, { itersPerEpoch: 3 });
    expect([frac.begin, frac.end]).toEqual([0, 7]);
    // Default end: the training length (maxEpochs with byEpoch, else maxIters).
    expect(new PolyLR({ byEpoch: true }, { itersPerEpoch: 10, maxEpochs: 5 }).end).toBe(50);
    expect(new PolyLR({}, { maxIters: 1234 }).end).toBe(1234);
    expect(new MultiStepLR({ byEpoch: true, milestones: [3] }, { itersPerEpoch: 7, maxEpochs: 5 }).milestones).toEqual([21]);
  });

  it('unconverted byEpoch schedules change the lr only at epoch boundaries', () => {
    const L = 40;
    const set = new ScheduleSet([new CosineAnnealingLR({ byEpoch: true, convertToIterBased: false, end: 10 }, { itersPerEpoch: L })], 1);
    for (let i = 0; i < 500; i += 3) {
      const e = Math.min(Math.floor(i / L), 9);
      expectLr(set.factorAt(i), (1 + Math.cos((Math.PI * e) / 10)) / 2, `iter ${i}`);
    }
  });

  it('etaMinRatio and absolute etaMin per group (ScheduleSet.apply)', () => {
    const groups = [
      { lr: 0, initialLr: 1e-3 },
      { lr: 0, initialLr: 1e-4 },
    ];
    const ratio = new ScheduleSet([new CosineAnnealingLR({ end: 100, etaMinRatio: 0.1 })], 1e-3);
    ratio.apply({ groups }, 60);
    const c = (1 + Math.cos((Math.PI * 60) / 100)) / 2;
    expectLr(groups[0].lr, 1e-4 + 9e-4 * c, 'ratio group 0');
    expectLr(groups[1].lr, 1e-5 + 9e-5 * c, 'ratio group 1');
    const abs = new ScheduleSet([new CosineAnnealingLR({ end: 100, etaMin: 5e-5 })], 1e-3);
    abs.apply({ groups }, 60);
    expectLr(groups[0].lr, 5e-5 + (1e-3 - 5e-5) * c, 'abs group 0');
    expectLr(groups[1].lr, 5e-5 + (1e-4 - 5e-5) * c, 'abs group 1');
  });

  it('overlapping non-commuting schedulers and cosine restarts equal mmengine’s chained replay', () => {
    const base = 0.1;
    const sets = [
      new ScheduleSet([new LinearLR({ startFactor: 0.01, end: 100 }), new CosineAnnealingLR({ end: 1000, etaMin: 0.01 })], base),
      new ScheduleSet([new CosineAnnealingLR({ end: 1000, etaMin: 0.01 }), new LinearLR({ startFactor: 0.2, begin: 50, end: 150 })], base),
      new ScheduleSet([new CosineAnnealingLR({ tMax: 30, end: 200, etaMinRatio: 0.05 })], base),
      new ScheduleSet([new ConstantLR({ factor: 0.5, end: 20 }), new MultiStepLR({ milestones: [10, 30, 30], gamma: 0.5, begin: 5 })], base),
      new ScheduleSet([new LinearLR({ startFactor: 0.1, end: 30 }), new CosineAnnealingLR({ byEpoch: true, convertToIterBased: false, begin: 1, end: 8, etaMin: 1e-3 }, { itersPerEpoch: 25 })], base),
    ];
    for (const [si, set] of sets.entries()) {
      for (let i = 0; i < 260; i++) {
        const want = set.lrBySimulation(i, base);
        expectLr(set.lrAt(i, base), want, `set ${si} iter ${i}`);
      }
    }
    // ConstantLR: factor until end − 2, full lr from end − 1 (mmengine); MultiStepLR milestones count from begin.
    const cm = sets[3];
    expectLr(cm.factorAt(14), 0.5, 'before the first milestone (begin 5 + 10)');
    expectLr(cm.factorAt(15), 0.25, 'first milestone, constant factor still on');
    expectLr(cm.factorAt(18), 0.25, 'constant until end − 2');
    expectLr(cm.factorAt(19), 0.5, 'constant factor removed at end − 1');
    expectLr(cm.factorAt(34), 0.5, 'before the repeated milestone');
    expectLr(cm.factorAt(35), 1 / 8, 'repeated milestone decays twice');
  });

  it('schedules are pure functions of the iteration (any order of queries)', () => {
    const make = () => new ScheduleSet([new LinearLR({ startFactor: 0.01, end: 100 }), new CosineAnnealingLR({ end: 1000, etaMin: 0.01 })], 0.1);
    const a = make();
    const forward = Array.from({ length: 300 }, (_, i) => a.factorAt(i));
    const b = make();
    const backward = Array.from({ length: 300 }, (_, i) => b.factorAt(299 - i)).reverse();
    expect(backward).toEqual(forward);
  });

  it('spec builds and configuration errors', () => {
    const lin = linearLRSpec.build({ ...linearLRSpec.defaults, end: 10 }, {}, 'p');
    expect(lin.startFactor).toBeCloseTo(1 / 3, 15);
    const poly = polyLRSpec.build({ ...polyLRSpec.defaults }, { maxIters: 77 }, 'p');
    expect(poly.end).toBe(77);
    expect(() => new LinearLR({ begin: 5, end: 5 })).toThrow(ConfigError);
    expect(() => new LinearLR({ byEpoch: true, end: 5 })).toThrow(/iterations per epoch/);
    expect(() => new CosineAnnealingLR({ end: 5, etaMin: 0, etaMinRatio: 0.1 })).toThrow(ConfigError);
    expect(() => buildSchedule([{ type: 'CosineLR' }], 1, 1, 10)).toThrow(/Unknown schedulers type 'CosineLR' at paramScheduler\.0\.type\. Registered schedulers: .*CosineAnnealingLR/);
    expect(() => buildSchedule([{ type: 'PolyLR', powr: 2 }], 1, 1, 10)).toThrow(/Unknown option 'powr'/);
    expect(new ScheduleSet([], 0.1).factorAt(123)).toBe(1);
    expect(optimizerBase({ type: 'AdamW', lr: 1e-4 }, 'o')).toEqual({ lr: 1e-4, weightDecay: 0.01 });
    expect(optimizerBase({ type: 'SGD', lr: 0.01, momentum: 0.9 }, 'o')).toEqual({ lr: 0.01, weightDecay: 0 });
    expect(() => optimizerBase({ type: 'SGD' }, 'o')).toThrow(/lr/);
  });
});

// ---------------------------------------------------------------------------
// Parameter groups.
// ---------------------------------------------------------------------------

class BiasTableHolder extends Module {
  constructor() {
    super();
    this.addParameter('relative_position_bias_table', zeros([9, 2]));
  }
}

class Toy extends Module {
  constructor() {
    super();
    this.addModule('fc', new Linear(4, 3));
    this.addModule('norm', new LayerNorm(3)); // a norm layer named "norm"
    this.addModule('ln', new LayerNorm(3)); // a norm layer whose name does not say so
    this.addModule('denorm', new Linear(3, 3)); // not a norm layer, but its name contains "norm"
    this.addModule('attn', new BiasTableHolder());
    this.addModule('frozen', new Linear(2, 2)).freeze();
  }
}

/** name → [lrMult, decayMult] from a build result. */
function multsOf(result: ParamGroupsResult): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const g of result.groups) for (const p of g.params) out.set(p.name, [g.lrMult ?? 1, g.decayMult ?? 1]);
  return out;
}

describe('parameter groups (mmengine DefaultOptimWrapperConstructor rules)', () => {
  let model: Toy;
  beforeAll(async () => {
    await useBackend('cpu');
    model = new Toy();
  });
  afterAll(() => model.dispose());
  const base = { lr: 1e-3, weightDecay: 0.05 };

  it('normParamPredicate decides by module class, not by name', () => {
    const isNorm = normParamPredicate(model);
    expect(['norm.weight', 'norm.bias', 'ln.weight', 'ln.bias'].every(isNorm)).toBe(true);
    expect(['fc.weight', 'fc.bias', 'denorm.weight', 'denorm.bias', 'attn.relative_position_bias_table'].some(isNorm)).toBe(false);
  });

  it('Swin recipe: customKeys absolute_pos_embed / relative_position_bias_table / norm → decay 0', () => {
    const r = buildParamGroups(
      model.namedParameters(),
      base,
      {
        customKeys: {
          absolute_pos_embed: { decayMult: 0 },
          relative_position_bias_table: { decayMult: 0 },
          norm: { decayMult: 0 },
        },
      },
      { isNormParam: normParamPredicate(model) },
    );
    const m = multsOf(r);
    expect(Object.fromEntries(m)).toEqual({
      'fc.weight': [1, 1],
      'fc.bias': [1, 1],
      'norm.weight': [1, 0],
      'norm.bias': [1, 0],
      'ln.weight': [1, 1], // substring rule: "ln" does not contain "norm" (as mmengine)
      'ln.bias': [1, 1],
      'denorm.weight': [1, 0], // substring rule matches "denorm" (as mmengine)
      'denorm.bias': [1, 0],
      'attn.relative_position_bias_table': [1, 0],
    });
    expect(r.frozen).toEqual(['frozen.weight', 'frozen.bias']);
    expect(r.groups).toHaveLength(2); // merged: decay 1 and decay 0
    expect(r.summaries.map((s) => [s.numTensors, s.lr, s.weightDecay])).toEqual([
      [4, 1e-3, 0.05],
      [5, 1e-3, 0],
    ]);
    expect(r.warnings).toEqual(["paramwiseCfg.customKeys 'absolute_pos_embed' matches no trainable parameter"]);
    const lines = formatParamGroups(r.summaries);
    expect(lines[1]).toContain('attn.relative_position_bias_table');
    expect(lines[1]).toContain('wd 0 (×0)');
  });

  it('normDecayMult 0 and biasDecayMult 0 use the module type', () => {
    const m = multsOf(buildParamGroups(model.namedParameters(), base, { normDecayMult: 0, biasDecayMult: 0 }, { isNormParam: normParamPredicate(model) }));
    expect(Object.fromEntries(m)).toEqual({
      'fc.weight': [1, 1],
      'fc.bias': [1, 0],
      'norm.weight': [1, 0],
      'norm.bias': [1, 0],
      'ln.weight': [1, 0],
      'ln.bias': [1, 0],
      'denorm.weight': [1, 1],
      'denorm.bias': [1, 0],
      'attn.relative_position_bias_table': [1, 1],
    });
    // mmengine applies biasDecayMult to norm biases too when normDecayMult is unset.
    const onlyBias = multsOf(buildParamGroups(model.namedParameters(), base, { biasDecayMult: 0.5 }));
    expect(onlyBias.get('ln.bias')).toEqual([1, 0.5]);
    expect(onlyBias.get('ln.weight')).toEqual([1, 1]);
  });

  it('the longest custom key wins (ties alphabetically) and overrides the bias/norm rules', () => {
    const m = multsOf(
      buildParamGroups(
        model.namedParameters(),
        base,
        {
          normDecayMult: 0,
          biasDecayMult: 0,
          customKeys: {
            attn: { lrMult: 0.1 },
            'attn.relative': { lrMult: 0.5, decayMult: 0 },
            'fc.w': { lrMult: 2 },
            'c.we': { lrMult: 3 }, // same length as 'fc.w', alphabetically first
            'ln.bias': { lrMult: 4, decayMult: 2 },
          },
        },
        { isNormParam: normParamPredicate(model) },
      ),
    );
    expect(m.get('attn.relative_position_bias_table')).toEqual([0.5, 0]);
    expect(m.get('fc.weight')).toEqual([3, 1]);
    expect(m.get('fc.bias')).toEqual([1, 0]);
    expect(m.get('ln.bias')).toEqual([4, 2]); // custom key beats normDecayMult
    expect(m.get('ln.weight')).toEqual([1, 0]);
  });

  it('rejects malformed customKeys and a missing norm predicate', () => {
    expect(() => buildParamGroups(model.namedParameters(), base, { customKeys: { fc: { lr_mult: 1 } } })).toThrow(/Unknown option 'lr_mult'/);
    expect(() => buildParamGroups(model.namedParameters(), base, { normDecayMult: 0 })).toThrow(/isNormParam/);
  });

  it('swinLayerId follows mmpretrain (downsample = last block of its stage)', () => {
    const depths = [2, 2, 6, 2];
    const N = 12;
    const id = (n: string) => swinLayerId(n, depths).layerId;
    expect(id('backbone.patch_embed.proj.weight')).toBe(0);
    expect(id('backbone.patch_embed.norm.bias')).toBe(0);
    expect(id('backbone.absolute_pos_embed')).toBe(0);
    expect(swinLayerId('backbone.absolute_pos_embed', depths, { absPosEmbedAtStem: false }).layerId).toBe(N + 1);
    const starts = [0, 2, 4, 10];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < depths[i]; j++) {
        expect(id(`backbone.layers.${i}.blocks.${j}.attn.qkv.weight`)).toBe(starts[i] + j + 1);
      }
      if (i < 3) {
        expect(id(`backbone.layers.${i}.downsample.reduction.weight`)).toBe(starts[i] + depths[i]);
        expect(id(`backbone.layers.${i}.downsample.norm.weight`)).toBe(id(`backbone.layers.${i}.blocks.${depths[i] - 1}.norm2.weight`));
      }
    }
    expect(id('backbone.norm3.weight')).toBe(N + 1);
    expect(id('head.fc.weight')).toBe(N + 1);
    expect(id('decode_head.conv_seg.weight')).toBe(N + 1);
    expect(swinLayerId('backbone.layers.1.blocks.0.mlp.fc1.bias', depths).numLayers).toBe(N);
  });

  it('layer-wise lr decay on a real Swin: lrMult = rate^(numLayers + 1 − layerId), decay rules kept', () => {
    class Classifier extends Module {
      constructor() {
        super();
        this.addModule('backbone', new SwinTransformer({ arch: null, embedDim: 8, depths: [1, 2], numHeads: [1, 2], windowSize: 2, outIndices: [1], useAbsPosEmbed: true, pretrainImgSize: 16 }));
        this.addModule('head', new Linear(16, 3));
      }
    }
    const net = new Classifier();
    const rate = 0.9;
    const r = buildParamGroups(
      net.namedParameters(),
      base,
      { layerDecayRate: rate, normDecayMult: 0, customKeys: { relative_position_bias_table: { decayMult: 0, lrMult: 7 } } },
      { isNormParam: normParamPredicate(net), layerId: (n) => swinLayerId(n, [1, 2]) },
    );
    const m = multsOf(r);
    const expectedId = (n: string): number => {
      if (n.startsWith('backbone.patch_embed') || n === 'backbone.absolute_pos_embed') return 0;
      if (n.startsWith('backbone.layers.0.blocks.0.')) return 1;
      if (n.startsWith('backbone.layers.0.downsample.')) return 1;
      if (n.startsWith('backbone.layers.1.blocks.0.')) return 2;
      if (n.startsWith('backbone.layers.1.blocks.1.')) return 3;
      return 4;
    };
    expect(m.size).toBe(net.namedParameters().length);
    for (const [name, [lrMult, decayMult]] of m) {
      expect(lrMult, name).toBeCloseTo(rate ** (3 + 1 - expectedId(name)), 14);
      const isNormName = /(^|\.)norm\d*\.|norm[12]\./.test(name);
      const expectedDecay = name.includes('relative_position_bias_table') || isNormName ? 0 : 1;
      expect(decayMult, name).toBe(expectedDecay);
    }
    expect(m.get('head.weight')).toEqual([1, 1]);
    expect(r.warnings).toContain('paramwiseCfg.customKeys lrMult is ignored with layerDecayRate (as in mmpretrain)');
    // Groups merged by (lrMult, decayMult): 5 layer ids × {decay, no decay}.
    expect(r.groups.length).toBe(new Set([...m.values()].map(([a, b]) => `${a}|${b}`)).size);
    expect(r.summaries.find((s) => s.layerIds.includes(0))?.patterns).toContain('backbone.patch_embed.proj.weight');
    net.dispose();
  });
});
