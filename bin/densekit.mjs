#!/usr/bin/env node
/**
 * `densekit <command> [flags]`: the command-line tools of the package.
 *
 * Runs the TypeScript source (`tools/<command>.ts`) in a checkout, or the
 * compiled tool (`dist/tools/<command>.js`) of an installed package (which ships no tools/).
 * tsx is registered first so TypeScript config files load in both cases.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const COMMANDS = {
  train: 'train',
  eval: 'eval',
  infer: 'infer',
  convert: 'convert',
  bench: 'bench',
  'print-config': 'print_config',
  'plot-log': 'plot_log',
  list: 'list_components',
  'coco-eval': 'coco_eval',
  'make-sample-data': 'make_sample_data',
  'browse-dataset': 'browse_dataset',
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);

if (command === undefined || command === '--help' || command === '-h' || !(command in COMMANDS)) {
  const known = Object.keys(COMMANDS).join(' | ');
  const line = command === undefined || command.startsWith('-') ? '' : `densekit: unknown command '${command}'\n`;
  process.stderr.write(`${line}usage: densekit <${known}> [flags]   (densekit <command> --help for its flags)\n`);
  process.exit(command === undefined || command.startsWith('-') ? 0 : 1);
}

const compiled = join(root, 'dist/tools', `${COMMANDS[command]}.js`);
const source = join(root, 'tools', `${COMMANDS[command]}.ts`);
const file = existsSync(source) ? source : compiled; // a checkout runs its sources, a package its dist/
register();
// The tools read their flags from process.argv.slice(2) and some check argv[1] is their own file.
process.argv = [process.argv[0], file, ...rest];
await import(pathToFileURL(file).href);
