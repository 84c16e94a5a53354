/** Issue 13.1: training checkpoints (`iter_N`, `best_*`) are usable by eval, infer, convert and --load-from. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/registry/builtins.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig } from '../src/config/schema.js';
import { Runner } from '../src/engine/runner.js';
import { writeStripesImageFolder } from '../src/datasets/sample/stripes_dataset.js';
import { writeNpy } from '../src/checkpoint/npy.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import { useBackend, quietProgress, runToolProcess } from './helpers.js';

const CONFIG = new URL('./fixtures/configs/tiny_cls.ts', import.meta.url).pathname;
/** The stripes set has 3 classes; infer and convert build the model without reading the data. */
const CLASSES = ['--cfg-options', 'model.head.numClasses=3'];
let root = '';
let data = '';
let workDir = '';

beforeAll(async () => {
  await useBackend('wasm');
  root = mkdtempSync(join(tmpdir(), 'densekit-ckpt-use-'));
  data = join(root, 'stripes');
  workDir = join(root, 'work');
  await writeStripesImageFolder(data, { numTrainPerClass: 4, numValPerClass: 2, size: 32, seed: 3 });
  const config = validateConfig(await loadConfig(CONFIG), CONFIG);
  const runner = new Runner(config, { workDir, dataRoot: data, progress: quietProgress() });
  await runner.train();
  runner.dispose();
  writeNpy(join(root, 'x.npy'), { dtype: 'float32', shape: [1, 3, 32, 32], data: new Float32Array(3 * 32 * 32).map((_, i) => Math.sin(i)) });
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function checkpointFiles(): string[] {
  const files = readdirSync(workDir);
  const periodic = files
    .filter((f) => /^iter_\d+\.ckpt\.safetensors$/.test(f))
    .sort()
    .pop();
  const best = files.find((f) => /^best_.*\.ckpt\.safetensors$/.test(f));
  expect(periodic, files.join(', ')).toBeDefined();
  expect(best, files.join(', ')).toBeDefined();
  return [periodic as string, best as string];
}

describe('training checkpoints are weights every tool reads', () => {
  it('eval and infer accept iter_N and best_* checkpoints, with the same results as latest.safetensors', () => {
    const [periodic] = checkpointFiles();
    const latest = join(workDir, 'latest.safetensors');
    const logits = (weights: string, tag: string): number[] => {
      const out = join(root, `${tag}.json`);
      const r = runToolProcess('infer', ['--config', CONFIG, '--weights', weights, '--input', join(root, 'x.npy'), '--out', out, ...CLASSES]);
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(readFileSync(out, 'utf8')) as { logits: number[][] }).logits.flat();
    };
    const evalMetrics = (weights: string, tag: string): Record<string, number> => {
      const out = join(root, `${tag}_metrics.json`);
      const r = runToolProcess('eval', ['--config', CONFIG, '--weights', weights, '--data-root', data, '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>;
    };
    // the final periodic checkpoint (iteration 8) holds the same weights as latest.safetensors
    expect(periodic).toBe('iter_8.ckpt.safetensors');
    expect(logits(join(workDir, periodic), 'periodic')).toEqual(logits(latest, 'latest'));
    expect(evalMetrics(join(workDir, periodic), 'periodic')).toEqual(evalMetrics(latest, 'latest'));
  }, 180_000);

  it('the best checkpoint evaluates to the metric it was kept for', () => {
    const [, best] = checkpointFiles();
    const out = join(root, 'best_metrics.json');
    const r = runToolProcess('eval', ['--config', CONFIG, '--weights', join(workDir, best), '--data-root', data, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const state = JSON.parse(readSafetensors(join(workDir, best)).metadata.state) as { best: { value: number } };
    const metrics = JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>;
    expect(metrics['accuracy/top1']).toBeCloseTo(state.best.value, 6);
    const inf = runToolProcess('infer', ['--config', CONFIG, '--weights', join(workDir, best), '--input', join(root, 'x.npy'), '--out', join(root, 'b.json'), ...CLASSES]);
    expect(inf.status, inf.stderr).toBe(0);
  }, 120_000);

  it('convert takes the model weights out of a training checkpoint; --load-from takes the checkpoint directly', async () => {
    const [periodic, best] = checkpointFiles();
    const out = join(root, 'plain.safetensors');
    const conv = runToolProcess('convert', [join(workDir, best), out, '--config', CONFIG, ...CLASSES]);
    expect(conv.status, conv.stderr).toBe(0);
    expect(conv.stdout).toContain('missing (0)');
    expect(conv.stdout).toContain('unexpected (0)');
    const plain = readSafetensors(out).tensors;
    expect([...plain.keys()].some((k) => k.startsWith('optimizer.') || k.startsWith('model.'))).toBe(false);

    const config = validateConfig(await loadConfig(CONFIG, { cfgOptions: ['trainCfg.maxIters=1', 'paramScheduler=[]'] }), CONFIG);
    const progress = quietProgress();
    const runner = new Runner(config, { workDir: join(root, 'finetune'), dataRoot: data, progress });
    const report = runner.loadFrom(join(workDir, periodic));
    runner.dispose();
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.loaded.length).toBe(plain.size);
  }, 120_000);
});
