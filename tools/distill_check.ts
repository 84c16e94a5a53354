/**
 * The distillation experiment of the README: on the generated stripes set,
 * trains the mini Swin teacher, the mini DeiT student alone, and the same
 * student distilled from the teacher, then evaluates all three.
 *
 *   npm run distill-check -- [--work-dir D] [--backend B]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagString, parseArgs, runTool, usage, type FlagSpec, runNpmScript } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  'work-dir': { kind: 'string', help: 'default work_dirs/distill_check' },
  backend: { kind: 'string', help: 'tensorflow | wasm | cpu' },
  help: { kind: 'boolean', help: 'show this help' },
};
const USAGE = usage('npm run distill-check -- [options]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const dir = flagString(args, 'work-dir') ?? join('work_dirs', 'distill_check');
  const backend = flagString(args, 'backend') !== undefined ? ['--backend', flagString(args, 'backend') as string] : [];
  const data = join(dir, 'data');
  if (!existsSync(data)) runNpmScript('make-sample-data', [data, '--classification']);
  const teacherDir = join(dir, 'teacher');
  const runs: Array<[string, string, string[]]> = [
    ['teacher (swin-mini)', 'configs/classification/swin-mini_imagefolder.ts', []],
    ['student alone (deit-mini)', 'configs/classification/deit-mini_imagefolder.ts', []],
    ['student distilled', 'configs/classification/deit-mini_distill_imagefolder.ts', ['--cfg-options', `distillation.teacherWeights=${join(teacherDir, 'latest.safetensors')}`]],
  ];
  const results: string[] = [];
  for (const [name, config, extra] of runs) {
    const runDir = name.startsWith('teacher') ? teacherDir : join(dir, name.includes('distilled') ? 'distilled' : 'student');
    runNpmScript('train', ['--config', config, '--data-root', data, '--work-dir', runDir, ...backend, ...extra]);
    const out = join(runDir, 'eval_metrics.json');
    runNpmScript('eval', ['--config', config, '--weights', join(runDir, 'latest.safetensors'), '--data-root', data, '--out', out, ...backend, ...extra]);
    const top1 = (JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>)['accuracy/top1'];
    results.push(`${name.padEnd(28)} accuracy/top1 ${top1.toFixed(4)}`);
  }
  console.log(`\n${results.join('\n')}`);
}

runTool(main, USAGE);
