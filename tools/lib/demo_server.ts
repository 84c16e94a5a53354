/**
 * The browser demo: bundling `demo/app.ts` (the browser entry plus the page's
 * code) with esbuild, and a small static HTTP server for the page, the bundle,
 * the tfjs wasm binaries, files of the repository (weights, images) and
 * resolved configs. Used by `npm run demo`, the browser test and the in-browser
 * benchmark.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { loadConfig } from '../../src/config/load_config.js';
import { validateConfig } from '../../src/config/schema.js';
import { detectionMeta } from '../../src/apis/infer_detection.js';
import { datasetClassNames } from '../../src/apis/predictor.js';
import '../../src/registry/builtins.js';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const require = createRequire(import.meta.url);

/** Directory holding `tfjs-backend-wasm*.wasm`. */
function wasmDir(): string {
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

/** Bundles `demo/app.ts` into `<outDir>/app.js` (ESM, browser platform). Returns its size in bytes. */
export async function buildDemoBundle(outDir = join(REPO_ROOT, 'dist/demo')): Promise<{ outFile: string; bytes: number }> {
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'app.js');
  await build({
    entryPoints: [join(REPO_ROOT, 'demo/app.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: outFile,
    logLevel: 'warning',
    // tfjs-backend-wasm's Emscripten glue mentions Node modules behind a runtime check.
    external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto'],
  });
  return { outFile, bytes: statSync(outFile).size };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/** Config files under `configs/` (not `_base_`), repository-relative. */
export function listConfigs(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name !== '_base_' && name !== 'sweeps') walk(p);
      } else if (/\.(ts|js|json)$/.test(name)) out.push(relative(REPO_ROOT, p));
    }
  };
  walk(join(REPO_ROOT, 'configs'));
  return out;
}

/** A config file resolved and validated, with the class names Node would show. */
export async function resolvedConfigJson(file: string, cfgOptions: string[] = []): Promise<{ config: Record<string, unknown>; classNames: string[] | null }> {
  const raw = await loadConfig(file, { cfgOptions });
  const root = validateConfig(raw, file);
  const classNames = datasetClassNames(root) ?? detectionMeta(root).classNames;
  return { config: raw, classNames };
}

/** A repository path from a URL path, or null when it leaves the repository. */
function repoPath(urlPath: string): string | null {
  const p = resolve(REPO_ROOT, `.${decodeURIComponent(urlPath)}`);
  return p === REPO_ROOT || p.startsWith(REPO_ROOT + sep) ? p : null;
}

/**
 * Serves the demo on `127.0.0.1:port` (0: a free port):
 * `/` the page, `/app.js` the bundle (built first with {@link buildDemoBundle}),
 * `/wasm/*` the tfjs wasm binaries, `/api/configs` the config list,
 * `/api/config?path=F[&cfg=k=v...]` a resolved config (with `--cfg-options`), `/repo/<path>` any repository file.
 */
export async function serveDemo(port = 0, bundleDir = join(REPO_ROOT, 'dist/demo')): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      const sendFile = (file: string | null): void => {
        if (file === null || !existsSync(file) || !statSync(file).isFile()) return send(404, `not found: ${url.pathname}`);
        send(200, readFileSync(file), TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
      };
      try {
        if (url.pathname === '/' || url.pathname === '/index.html') return sendFile(join(REPO_ROOT, 'demo/index.html'));
        if (url.pathname === '/app.js') return sendFile(join(bundleDir, 'app.js'));
        if (url.pathname.startsWith('/wasm/')) return sendFile(join(wasmDir(), url.pathname.slice('/wasm/'.length).replace(/[/\\]/g, '')));
        if (url.pathname === '/api/configs') return send(200, JSON.stringify(listConfigs()), TYPES['.json']);
        if (url.pathname === '/api/config') {
          const file = repoPath(`/${url.searchParams.get('path') ?? ''}`);
          if (file === null || !existsSync(file)) return send(404, `config not found: ${url.searchParams.get('path')}`);
          return send(200, JSON.stringify(await resolvedConfigJson(file, url.searchParams.getAll('cfg'))), TYPES['.json']);
        }
        if (url.pathname.startsWith('/repo/')) return sendFile(repoPath(url.pathname.slice('/repo'.length)));
        send(404, `not found: ${url.pathname}`);
      } catch (err) {
        send(500, (err as Error).message);
      }
    })();
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return { server, url: `http://127.0.0.1:${actual}/` };
}
