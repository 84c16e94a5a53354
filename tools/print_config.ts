/**
 * Prints the fully resolved config: bases merged, `--cfg-options` applied,
 * every key validated against the registered components.
 *
 *   npm run print-config -- --config F [--cfg-options a.b=1 ...]
 */
import { COMMON_FLAGS, loadToolConfig, parseArgs, runTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  config: COMMON_FLAGS.config,
  'cfg-options': COMMON_FLAGS['cfg-options'],
  help: COMMON_FLAGS.help,
};
const USAGE = usage('npm run print-config -- --config F [--cfg-options k=v ...]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const { raw, file } = await loadToolConfig(parseArgs(argv, FLAGS));
  console.log(`// ${file} (resolved and validated)`);
  console.log(JSON.stringify(raw, null, 2));
}

runTool(main, USAGE);
