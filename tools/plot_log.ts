/**
 * Plots the loss, learning-rate and validation-metric curves of a run.
 *
 *   npm run plot-log -- <work-dir> [--out curves.png]
 */
import { plotLog } from '../src/visualization/log_curves.js';
import { flagString, parseArgs, runTool, usage, UsageError, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  out: { kind: 'string', help: 'PNG to write (default <work-dir>/curves.png)' },
  help: { kind: 'boolean', help: 'show this help' },
};
const USAGE = usage('npm run plot-log -- <work-dir> [--out F]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  if (args.positional.length !== 1) throw new UsageError('expected one work dir');
  console.log(`wrote ${await plotLog(args.positional[0], flagString(args, 'out'))}`);
}

runTool(main, USAGE);
