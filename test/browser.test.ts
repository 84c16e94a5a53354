/**
 * The demo page in a real browser (Debian's Chromium, headless, driven by
 * playwright-core; no browser download) against Node, with the same committed
 * tiny models and image: classification logits within 1e-4, the same label map,
 * the same boxes.
 *
 * Without Chromium the tests are skipped and say why, unless
 * DENSEKIT_REQUIRE_BROWSER=1 (as `.ci/run` sets), which makes a missing browser a failure.
 * DENSEKIT_CHROMIUM overrides the binary (default /usr/bin/chromium).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { initModel, type PredictionResult } from '../src/index.js';
import { buildDemoBundle, serveDemo } from '../tools/lib/demo_server.js';
import { readFileSync } from 'node:fs';

const CHROMIUM = process.env.DENSEKIT_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRED = process.env.DENSEKIT_REQUIRE_BROWSER === '1';
const FIXTURES = 'test/fixtures/browser';
const available = existsSync(CHROMIUM);
const skipReason = `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set DENSEKIT_CHROMIUM)`;

if (!available && !REQUIRED) console.warn(`test/browser.test.ts: skipped: ${skipReason}`);

/** A prediction as plain JSON (typed arrays → arrays), as it crosses from the page. */
type Plain = Record<string, unknown>;

function plain(result: PredictionResult): Plain {
  return JSON.parse(JSON.stringify(result, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v))) as Plain;
}

async function nodePrediction(name: string): Promise<Plain> {
  const config = JSON.parse(readFileSync(join(FIXTURES, `${name}.config.json`), 'utf8')) as Record<string, unknown>;
  const predictor = await initModel(config, { weights: join(FIXTURES, `${name}.safetensors`), backend: 'wasm', log: null });
  try {
    return plain(await predictor.predict(join(FIXTURES, 'image.png')));
  } finally {
    predictor.dispose();
  }
}

async function pagePrediction(page: Page, name: string, backend: string): Promise<{ result: Plain; timings: Record<string, number> }> {
  return page.evaluate(
    async ({ name, backend, dir }) => {
      await window.densekitDemo.ready;
      const r = await window.densekitDemo.run(`/repo/${dir}/${name}.config.json`, `/repo/${dir}/${name}.safetensors`, `/repo/${dir}/image.png`, backend as 'wasm');
      const result = JSON.parse(JSON.stringify(r.result, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));
      return { result, timings: r.timings };
    },
    { name, backend, dir: FIXTURES },
  );
}

function expectClose(actual: number[], expected: number[], tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst, `${what}: max |diff|`).toBeLessThanOrEqual(tol);
}

describe.skipIf(!available && !REQUIRED)(`demo page in Chromium equals Node${available ? '' : ` (${skipReason})`}`, () => {
  let browser: Browser;
  let page: Page;
  let server: Server;
  let bundleDir: string;
  const consoleLines: string[] = [];

  beforeAll(async () => {
    if (!available) throw new Error(`DENSEKIT_REQUIRE_BROWSER=1 but ${skipReason}`);
    bundleDir = mkdtempSync(join(tmpdir(), 'densekit-demo-'));
    await buildDemoBundle(bundleDir);
    const served = await serveDemo(0, bundleDir);
    server = served.server;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(served.url);
    await page.evaluate(() => window.densekitDemo.ready);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
  });

  it('classification: the same logits (1e-4) and top-5 on wasm', async () => {
    const node = await nodePrediction('cls');
    const { result } = await pagePrediction(page, 'cls', 'wasm');
    expect(result.task).toBe('classification');
    expectClose(result.logits as number[], node.logits as number[], 1e-4, 'logits');
    expect((result.top5 as Array<{ label: number }>).map((e) => e.label)).toEqual((node.top5 as Array<{ label: number }>).map((e) => e.label));
  });

  it('segmentation: the same label map on wasm', async () => {
    const node = await nodePrediction('seg');
    const { result } = await pagePrediction(page, 'seg', 'wasm');
    const a = result.labelMap as { data: number[]; height: number; width: number };
    const b = node.labelMap as { data: number[]; height: number; width: number };
    expect([a.height, a.width]).toEqual([72, 88]);
    expect([a.height, a.width]).toEqual([b.height, b.width]);
    expect(new Set(b.data).size, 'the map is not constant').toBeGreaterThan(1);
    expect(a.data).toEqual(b.data);
  });

  it('detection: the same boxes, scores and labels on wasm', async () => {
    const node = await nodePrediction('det');
    const { result } = await pagePrediction(page, 'det', 'wasm');
    type D = { bbox: number[]; score: number; label: number };
    const a = result.detections as D[];
    const b = node.detections as D[];
    expect(b.length).toBeGreaterThan(0);
    expect(a.length).toBe(b.length);
    expect(a.map((d) => d.label)).toEqual(b.map((d) => d.label));
    expectClose(
      a.flatMap((d) => d.bbox),
      b.flatMap((d) => d.bbox),
      1e-3,
      'boxes (px)',
    );
    expectClose(
      a.map((d) => d.score),
      b.map((d) => d.score),
      1e-5,
      'scores',
    );
  });

  it('webgl (where the headless browser has it): classification logits within 1e-3 of Node', async () => {
    const backends = await page.evaluate(() => window.densekitDemo.availableBackends());
    expect(backends).toContain('wasm');
    if (!backends.includes('webgl')) {
      console.warn(`webgl not available in this Chromium (backends: ${backends.join(', ')}); only wasm was compared`);
      return;
    }
    const node = await nodePrediction('cls');
    const { result } = await pagePrediction(page, 'cls', 'webgl');
    expectClose(result.logits as number[], node.logits as number[], 1e-3, 'webgl logits');
  });

  it('the page logged no errors', () => {
    expect(consoleLines.filter((l) => /error/i.test(l))).toEqual([]);
  });
});
