/**
 * Prints the fully resolved config: bases merged, `--cfg-options` applied,
 * every key validated against the registered components.
 *
 *   npm run print-config -- --config F [--cfg-options a.b=1 ...] [--json]
 */
import { COMMON_FLAGS, loadToolConfig, parseArgs, runTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  config: COMMON_FLAGS.config,
  'cfg-options': COMMON_FLAGS['cfg-options'],
  json: { kind: 'boolean', help: 'print only the JSON (no comment line), e.g. for the browser demo' },
  help: COMMON_FLAGS.help,
};
const USAGE = usage('npm run print-config -- --config F [--cfg-options k=v ...] [--json]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const { raw, file } = await loadToolConfig(args);
  if (args.flags.get('json') !== true) console.log(`// ${file} (resolved and validated)`);
  console.log(JSON.stringify(raw, null, 2));
}

runTool(main, USAGE);
