/**
 * Converts a PyTorch Swin checkpoint (official Microsoft, torchvision or
 * mmdetection/mmsegmentation/mmpretrain layout) into our safetensors weights,
 * or takes the model weights out of one of our training checkpoints
 * (`iter_N.ckpt.safetensors`, `best_*.ckpt.safetensors`; optimizer state dropped).
 *
 *   npm run convert -- <in.pth|in.ckpt.safetensors> <out.safetensors> [--layout L] [--config F]
 *
 * The layout is detected from the keys unless `--layout` names it. With
 * `--config`, the result is checked against that config's model: missing and
 * unexpected keys and shape mismatches are listed.
 */
import { extname } from 'node:path';
import { readPth, extractStateDict } from '../src/checkpoint/pth/read_pth.js';
import { convertStateDict, formatConversionReport, layoutNames } from '../src/checkpoint/convert/convert.js';
import { readWeights } from '../src/checkpoint/weights.js';
import type { ConversionReport, HostStateDict } from '../src/checkpoint/convert/layout.js';
import { writeSafetensors } from '../src/checkpoint/safetensors.js';
import { buildModel } from '../src/models/build_model.js';
import { COMMON_FLAGS, flagString, loadToolConfig, parseArgs, runTool, setupTool, usage, UsageError, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  layout: { kind: 'string', help: `force a layout: ${layoutNames().join(', ')}` },
  config: { kind: 'string', help: "check the converted keys and shapes against this config's model" },
  'cfg-options': COMMON_FLAGS['cfg-options'],
  backend: COMMON_FLAGS.backend,
  help: COMMON_FLAGS.help,
};
const USAGE = usage('npm run convert -- <in.pth|in.ckpt.safetensors> <out.safetensors> [options]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  if (args.positional.length !== 2) throw new UsageError('expected an input (.pth, or a .safetensors training checkpoint) and an output .safetensors');
  const [input, output] = args.positional;
  let state: HostStateDict;
  let report: ConversionReport | null = null;
  if (extname(input).toLowerCase() === '.safetensors') {
    const read = readWeights(input);
    state = read.state;
    console.log(`${input}: ${state.size} model tensors${read.fromTrainingCheckpoint === true ? ' (training checkpoint; optimizer state dropped)' : ''}`);
  } else {
    const raw = extractStateDict(readPth(input), input);
    ({ state, report } = convertStateDict(raw, { layout: flagString(args, 'layout'), source: input }));
    console.log(`${input}: ${raw.size} tensors`);
    console.log(formatConversionReport(report));
  }
  if (flagString(args, 'config') !== undefined) {
    const { config, file } = await loadToolConfig(args);
    await setupTool(args, 'cpu', 'convert (it checks on cpu; --backend overrides)');
    const model = buildModel(config);
    const own = model.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    const mismatched = [...own.entries()]
      .filter(([k, t]) => state.has(k) && state.get(k)?.shape.join(',') !== t.shape.join(','))
      .map(([k, t]) => `${k}: file [${state.get(k)?.shape.join(',')}] vs model [${t.shape.join(',')}]`);
    console.log(`checked against the model of ${file}:`);
    console.log(`  missing (${missing.length})${missing.length > 0 ? ': ' + missing.join(', ') : ''}`);
    console.log(`  unexpected (${unexpected.length})${unexpected.length > 0 ? ': ' + unexpected.join(', ') : ''}`);
    console.log(`  shape mismatches (${mismatched.length})${mismatched.length > 0 ? ':\n    ' + mismatched.join('\n    ') : ''}`);
    model.dispose();
  }
  writeSafetensors(output, state, { format: 'densekit', source: input, layout: report?.layout ?? 'native' });
  console.log(`wrote ${state.size} tensors to ${output}`);
}

runTool(main, USAGE);
