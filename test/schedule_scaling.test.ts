/**
 * `--cfg-options trainCfg.maxIters=N` scales the file's iteration schedule with
 * the run (issue 13: "Shortening a run (`trainCfg.maxIters=7`) fails in the
 * schedule"); explicit `paramScheduler` overrides turn the scaling off, and
 * what cannot be scaled is still refused naming the keys to change.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig } from '../src/config/schema.js';
import { scaleBoundary, scaleScheduleToLength } from '../src/config/scale_schedule.js';
import { buildSchedule } from '../src/engine/build.js';
import { registerBuiltins } from '../src/registry/builtins.js';
import { runToolProcess } from './helpers.js';

const MINI = 'configs/segmentation/swin-mini_upernet_ade.ts'; // LinearLR [0, 30), PolyLR [30, 600)

registerBuiltins();

describe('scaleBoundary', () => {
  it('keeps 0 and the end, and keeps inner boundaries strictly inside', () => {
    expect(scaleBoundary(0, 600, 7)).toBe(0);
    expect(scaleBoundary(600, 600, 7)).toBe(7);
    expect(scaleBoundary(30, 600, 7)).toBe(2); // 0.35 rounds to 0, held at 2 (a warm-up needs 2 steps)
    expect(scaleBoundary(30, 600, 2)).toBe(1); // no room for 2: held below the end
    expect(scaleBoundary(590, 600, 7)).toBe(6); // 6.9 rounds to 7, held below the end
    expect(scaleBoundary(30, 600, 1200)).toBe(60);
    expect(scaleBoundary(700, 600, 60)).toBe(160); // past the end stays past it (then refused)
  });
});

describe('scaleScheduleToLength', () => {
  it('scales begin, end, milestones and tMax of iteration schedulers; leaves epoch ones alone', () => {
    const config = {
      paramScheduler: [
        { type: 'LinearLR', begin: 0, end: 100 },
        { type: 'MultiStepLR', begin: 100, end: 1000, milestones: [400, 800] },
        { type: 'CosineAnnealingLR', begin: 100, tMax: 900 },
        { type: 'MultiStepLR', byEpoch: true, begin: 0, end: 12, milestones: [8, 11] },
      ],
    };
    const changes = scaleScheduleToLength(config, 1000, 100);
    expect(config.paramScheduler).toEqual([
      { type: 'LinearLR', begin: 0, end: 10 },
      { type: 'MultiStepLR', begin: 10, end: 100, milestones: [40, 80] },
      { type: 'CosineAnnealingLR', begin: 10, tMax: 90 },
      { type: 'MultiStepLR', byEpoch: true, begin: 0, end: 12, milestones: [8, 11] },
    ]);
    expect(changes).toEqual([
      'paramScheduler.0.end 100 → 10',
      'paramScheduler.1.begin 100 → 10',
      'paramScheduler.1.end 1000 → 100',
      'paramScheduler.1.milestones [400,800] → [40,80]',
      'paramScheduler.2.begin 100 → 10',
      'paramScheduler.2.tMax 900 → 90',
    ]);
  });
});

describe('loadConfig with --cfg-options trainCfg.maxIters', () => {
  it('shortens the mini schedule with the run instead of refusing it', async () => {
    const notes: string[] = [];
    const raw = await loadConfig(MINI, { cfgOptions: ['trainCfg.maxIters=7'], log: (l) => notes.push(l) });
    const config = validateConfig(raw, MINI);
    expect(config.paramScheduler.map((s) => [s.type, s.begin, s.end])).toEqual([
      ['LinearLR', 0, 2],
      ['PolyLR', 2, undefined],
    ]);
    expect(notes).toEqual([
      'trainCfg.maxIters 600 → 7: the schedule is scaled with it (paramScheduler.0.end 30 → 2, paramScheduler.1.begin 30 → 2); ' + 'set paramScheduler keys in --cfg-options to choose them yourself',
    ]);
    // The schedule builds: the warm-up reaches the full lr at iteration 1, then poly decay.
    const schedule = buildSchedule(config.paramScheduler, 1e-3, 1, 7);
    expect(schedule.lrAt(0, 1e-3)).toBeCloseTo(1e-6, 12);
    expect(schedule.lrAt(1, 1e-3)).toBeCloseTo(1e-3, 12);
    expect(schedule.lrAt(6, 1e-3)).toBeLessThan(schedule.lrAt(2, 1e-3));
  });

  it('lengthens it too (the warm-up keeps its 5 % of the run)', async () => {
    const config = validateConfig(await loadConfig(MINI, { cfgOptions: ['trainCfg.maxIters=1200'] }), MINI);
    expect(config.paramScheduler.map((s) => [s.begin, s.end])).toEqual([
      [0, 60],
      [60, undefined],
    ]);
  });

  it('keeps the schedule as given when paramScheduler keys are overridden too', async () => {
    const raw = await loadConfig(MINI, { cfgOptions: ['trainCfg.maxIters=7', 'paramScheduler.0.end=3', 'paramScheduler.1.begin=3'] });
    expect((raw.paramScheduler as { begin: number; end?: number }[]).map((s) => [s.begin, s.end])).toEqual([
      [0, 3],
      [3, undefined],
    ]);
  });

  it('without scaling (scaleSchedule: false), or where it cannot scale (1 iteration), names the keys to change', async () => {
    const unscaled = await loadConfig(MINI, { cfgOptions: ['trainCfg.maxIters=7'], scaleSchedule: false });
    expect(() => validateConfig(unscaled, MINI)).toThrow(/paramScheduler\.0\.end \(30\) is beyond trainCfg\.maxIters \(7\): set paramScheduler\.0\.end to at most 7/);
    const one = await loadConfig(MINI, { cfgOptions: ['trainCfg.maxIters=1'] });
    expect(() => validateConfig(one, MINI)).toThrow(/paramScheduler\.0\.end \(30\) is beyond trainCfg\.maxIters \(1\)/);
  });

  it('leaves a bad maxIters to validation, which names it', async () => {
    const raw = await loadConfig(MINI, { cfgOptions: ['trainCfg.maxIters=abc'] });
    expect(() => validateConfig(raw, MINI)).toThrow(/trainCfg\.maxIters/);
  });

  it('print-config says on stderr what the schedule became, and --json stays pure JSON', () => {
    const r = runToolProcess('print_config', ['--config', MINI, '--json', '--cfg-options', 'trainCfg.maxIters=20'], 'cpu');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('densekit: trainCfg.maxIters 600 → 20: the schedule is scaled with it (paramScheduler.0.end 30 → 2, paramScheduler.1.begin 30 → 2)');
    const printed = JSON.parse(r.stdout) as { paramScheduler: { begin: number; end?: number }[] };
    expect(printed.paramScheduler.map((s) => [s.begin, s.end ?? null])).toEqual([
      [0, 2],
      [2, null],
    ]);
  });
});
