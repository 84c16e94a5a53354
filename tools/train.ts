/**
 * Trains the model of a config.
 *
 *   npm run train -- --config F [--work-dir D] [--data-root R] [--cfg-options k=v ...]
 *                    [--resume] [--load-from W] [--backend B]
 *
 * Writes into the work dir (default `work_dirs/<config name>`): periodic and
 * best checkpoints (`*.ckpt.safetensors`, with optimizer and loader state),
 * `scalars.jsonl` (the log), `metrics.json` (last evaluation) and
 * `latest.safetensors` (the final weights).
 */
import { basename, extname, join } from 'node:path';
import { Runner } from '../src/engine/runner.js';
import { NonFiniteLossError } from '../src/engine/train_step.js';
import { COMMON_FLAGS, flagBool, flagString, loadToolConfig, parseArgs, runTool, setupTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  'work-dir': { kind: 'string', help: 'directory for checkpoints and logs (default work_dirs/<config name>)' },
  'data-root': { kind: 'string', help: 'overrides the dataRoot of every dataset in the config' },
  resume: { kind: 'boolean', help: 'continue from the newest checkpoint in the work dir' },
  'load-from': { kind: 'string', help: 'start from these weights (.safetensors or a converted/convertible .pth)' },
};
const USAGE = usage('npm run train -- --config F [options]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const { config, file } = await loadToolConfig(args);
  await setupTool(args, config.backend);
  const workDir = flagString(args, 'work-dir') ?? config.workDir ?? join('work_dirs', basename(file, extname(file)));
  const runner = await Runner.create(config, {
    workDir,
    dataRoot: flagString(args, 'data-root'),
    resume: flagBool(args, 'resume') || config.resume,
    loadFrom: flagString(args, 'load-from') ?? config.loadFrom,
  });
  try {
    const result = await runner.train();
    if (result.metrics !== null) console.log(`final metrics: ${JSON.stringify(result.metrics)}`);
  } catch (err) {
    if (err instanceof NonFiniteLossError) {
      console.error(`${err.name}: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  } finally {
    runner.dispose();
  }
}

runTool(main, USAGE);
