/**
 * `npm run build`: compiles src/ and tools/ to ESM JavaScript with .d.ts into
 * dist/ (tsc, tsconfig.build.json), then copies the JSON data files that
 * modules read at run time (e.g. the ImageNet class names) and the CommonJS
 * files started as worker threads (the wasm pthread worker).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

let copied = 0;
const walk = (dir: string): void => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.json') || name.endsWith('.cjs')) {
      cpSync(p, join(root, 'dist', relative(root, p)));
      copied++;
    }
  }
};
walk(join(root, 'src'));
console.log(`built dist/ (tsc) and copied ${copied} JSON data / worker file(s)`);
