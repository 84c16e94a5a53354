import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../src/checkpoint/npy.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import { toFloat32 } from '../src/checkpoint/host_tensor.js';

const fx = new URL('./fixtures/swin/', import.meta.url).pathname;
const config = `${fx}swin_small_classifier.ts`;

function run(tool: string, args: string[]): { stdout: string; stderr: string; status: number } {
  try {
    const stdout = execFileSync('npx', ['tsx', `tools/${tool}.ts`, ...args], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, DENSEKIT_BACKEND: 'wasm' } });
    return { stdout, stderr: '', status: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; status: number };
    return { stdout: String(e.stdout), stderr: String(e.stderr), status: e.status };
  }
}

describe('npm run convert + npm run infer on a .npy reproduce PyTorch logits', () => {
  let dir: string;
  const io = readSafetensors(`${fx}swin_small_io.safetensors`).tensors;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'densekit-convert-'));
    for (const tag of ['60x84', '56x56']) {
      const input = io.get(`${tag}.input`);
      if (input === undefined) throw new Error('fixture input missing');
      writeNpy(join(dir, `${tag}.npy`), toFloat32(input));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [file, layout] of [
    ['swin_small_tv.pth', 'swin-torchvision'],
    ['swin_small_official.pth', 'swin-official'],
  ]) {
    it(`${file} (${layout}) at 60x84 and 56x56, within 1e-3`, () => {
      const weights = join(dir, `${layout}.safetensors`);
      const conv = run('convert', [`${fx}${file}`, weights, '--config', config]);
      expect(conv.status, conv.stderr).toBe(0);
      expect(conv.stdout).toContain(`layout: ${layout}`);
      expect(conv.stdout).toContain('missing (0)');
      expect(conv.stdout).toContain('unexpected (0)');
      for (const tag of ['60x84', '56x56']) {
        const out = join(dir, `${layout}_${tag}.json`);
        const inf = run('infer', ['--config', config, '--weights', weights, '--input', join(dir, `${tag}.npy`), '--out', out]);
        expect(inf.status, inf.stderr).toBe(0);
        const result = JSON.parse(readFileSync(out, 'utf8')) as { logits: number[][]; top5: Array<Array<{ label: number }>> };
        const expected = io.get(`${tag}.logits`);
        if (expected === undefined) throw new Error('fixture logits missing');
        const ref = toFloat32(expected).data;
        const got = result.logits.flat();
        expect(got.length).toBe(ref.length);
        const diff = Math.max(...got.map((v, i) => Math.abs(v - ref[i])));
        expect(diff, `${tag} max abs diff ${diff}`).toBeLessThan(1e-3);
        expect(result.top5[0].length).toBe(5);
      }
    });
  }

  it('rejects a .npy of the wrong rank or dtype with a clear error naming the file', () => {
    const weights = join(dir, 'w.safetensors');
    run('convert', [`${fx}swin_small_tv.pth`, weights]);
    const bad = join(dir, 'rank3.npy');
    writeNpy(bad, { dtype: 'float32', shape: [3, 8, 8], data: new Float32Array(192) });
    const r1 = run('infer', ['--config', config, '--weights', weights, '--input', bad]);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(/DataError: .*rank3\.npy: expected a float32 array shaped \[N,3,H,W\], got shape \[3,8,8\]/);
    const badType = join(dir, 'int.npy');
    writeNpy(badType, { dtype: 'int32', shape: [1, 3, 8, 8], data: new Int32Array(192) });
    const r2 = run('infer', ['--config', config, '--weights', weights, '--input', badType]);
    expect(r2.stderr).toMatch(/int\.npy: expected a float32 array shaped \[N,3,H,W\], got dtype int32/);
  });

  it('a truncated .pth and a checkpoint with a wrong shape are clear errors', () => {
    const truncated = join(dir, 'truncated.pth');
    writeFileSync(truncated, readFileSync(`${fx}swin_small_tv.pth`).subarray(0, 100_000));
    const r1 = run('convert', [truncated, join(dir, 'x.safetensors')]);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(/CheckpointError: .*truncated\.pth/);
    const weights = join(dir, 'w2.safetensors');
    run('convert', [`${fx}swin_small_tv.pth`, weights]);
    const r2 = run('infer', ['--config', config, '--weights', weights, '--input', join(dir, '60x84.npy'), '--cfg-options', 'model.head.numClasses=7']);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/CheckpointError: Cannot load 'head\.fc\.weight' from .*w2\.safetensors: checkpoint shape \[5,64\] does not fit model shape \[7,64\]/);
  });
});
