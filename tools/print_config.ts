/**
 * Prints the fully resolved config: bases merged, `--cfg-options` applied,
 * every key validated against the registered components and cross-checked
 * (classes, class weights, schedule). With `--data-root`, the datasets are
 * also opened there and their classes checked against the model, as `train` would.
 *
 *   npm run print-config -- --config F [--cfg-options a.b=1 ...] [--data-root R] [--json]
 */
import { buildDataset } from '../src/engine/build.js';
import { checkDatasetClasses } from '../src/config/cross_checks.js';
import { COMMON_FLAGS, flagString, loadToolConfig, parseArgs, runTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  config: COMMON_FLAGS.config,
  'cfg-options': COMMON_FLAGS['cfg-options'],
  json: { kind: 'boolean', help: 'print only the JSON (no comment lines), e.g. for the browser demo' },
  'data-root': { kind: 'string', help: 'also open the datasets under this root and check their classes against the model' },
  help: COMMON_FLAGS.help,
};
const USAGE = usage('npm run print-config -- --config F [--cfg-options k=v ...] [--data-root R] [--json]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const { raw, file, config } = await loadToolConfig(args);
  const dataRoot = flagString(args, 'data-root');
  const checked: string[] = [];
  if (dataRoot !== undefined) {
    for (const split of ['trainDataloader', 'valDataloader', 'testDataloader'] as const) {
      const section = config[split];
      if (section === null) continue;
      const dataset = buildDataset(section, split, dataRoot);
      checkDatasetClasses(config as unknown as Record<string, unknown>, dataset.classNames, `${split}.dataset`);
      checked.push(`${split}: ${dataset.length} samples, ${dataset.classNames.length} classes`);
    }
  }
  if (args.flags.get('json') !== true) {
    console.log(`// ${file} (resolved and validated${dataRoot === undefined ? '' : `; data checked under ${dataRoot}`})`);
    for (const line of checked) console.log(`// ${line}`);
  }
  console.log(JSON.stringify(raw, null, 2));
}

runTool(main, USAGE);
