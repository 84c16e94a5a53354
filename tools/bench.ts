/**
 * Forward (and training-step) throughput and peak memory of a config's model
 * on the selected backend, with random inputs.
 *
 *   npm run bench -- --config F [--batch N] [--size HxW] [--iters K] [--warmup W] [--train] [--json out.json]
 *   npm run bench -- --config F --train --memory   # also: who holds the peak tensor bytes of a training step
 *   npm run bench -- --config F --profile          # also: per-kernel time tables of a forward and a training step
 */
import { writeFileSync } from 'node:fs';
import { tf } from '../src/core/tf.js';
import { configuredNumClasses } from '../src/apis/infer_task.js';
import { buildModel } from '../src/models/build_model.js';
import { benchmark, mib, type BenchmarkResult } from '../src/apis/benchmark.js';
import { COMMON_FLAGS, flagBool, flagNumber, flagString, loadToolConfig, parseArgs, runTool, setupTool, usage, UsageError, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  batch: { kind: 'number', help: 'images per iteration (default 1)' },
  size: { kind: 'string', help: 'input HxW (default 224x224)' },
  iters: { kind: 'number', help: 'timed iterations (default 5)' },
  warmup: { kind: 'number', help: 'untimed iterations first (default 2)' },
  train: { kind: 'boolean', help: 'also time training steps (forward, backward, optimizer update)' },
  json: { kind: 'string', help: 'also write the results as JSON' },
  memory: { kind: 'boolean', help: 'with --train: print the top holders (by producing kernel) of the peak tensor bytes of a training step' },
  profile: { kind: 'boolean', help: 'print per-kernel time tables (kernel, calls, total ms, %) of one forward and one training step' },
};
const USAGE = usage('npm run bench -- --config F [--batch N] [--size HxW] [--train [--memory]] [--profile]', FLAGS);

function parseSize(text: string | undefined): [number, number] {
  if (text === undefined) return [224, 224];
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (m === null) throw new UsageError(`--size: expected HxW such as 224x224, got '${text}'`);
  return [Number(m[1]), Number(m[2])];
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const { config, file } = await loadToolConfig(args);
  const backend = await setupTool(args, config.backend);
  const batch = flagNumber(args, 'batch') ?? 1;
  const [h, w] = parseSize(flagString(args, 'size'));
  const iterations = flagNumber(args, 'iters') ?? 5;
  const warmup = flagNumber(args, 'warmup') ?? 2;
  // The model's class count when the config leaves it to the dataset: its `classes`, else 10 (random inputs).
  const model = buildModel(config, configuredNumClasses(config) ?? 10);
  model.eval();
  const images = tf.randomNormal([batch, h, w, 3]) as tf.Tensor4D;
  const results: Record<string, BenchmarkResult> = {};
  results.forward = await benchmark(() => tf.tidy(() => model.forwardRaw(images)), { batch, warmup, iterations });
  if (flagBool(args, 'train')) {
    const { trainStepBenchmark } = await import('../src/apis/train_step_benchmark.js');
    results.train = await trainStepBenchmark(model, config, { batch, height: h, width: w, warmup, iterations });
  }
  console.log(`${file} on ${backend}, batch ${batch}, ${h}x${w}, ${model.numParameters().toLocaleString('en')} parameters`);
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(8)} ${r.imagesPerSecond.toFixed(2)} img/s  ${r.msPerIteration.toFixed(0)} ms/iter  ` +
        `peak tensors ${mib(r.peakTensorBytes)}  peak RSS ${mib(r.peakRssBytes)}  wasm heap ${mib(r.wasmHeapBytes)}`,
    );
  }
  if (flagBool(args, 'memory') && !flagBool(args, 'train')) throw new UsageError('--memory audits a training step: add --train');
  if (flagBool(args, 'profile')) {
    const { profileKernels, formatKernelTable } = await import('../src/apis/kernel_profile.js');
    const forward = await profileKernels(() => tf.tidy(() => model.forwardRaw(images)));
    console.log(formatKernelTable('forward', forward));
    const { trainStepRunner } = await import('../src/apis/train_step_benchmark.js');
    const runner = trainStepRunner(model, config, { batch, height: h, width: w });
    try {
      runner.run(); // the optimizer creates its state in the first step; profile a steady one
      console.log(formatKernelTable('training step', await profileKernels(() => runner.run())));
    } finally {
      runner.dispose();
    }
  }
  if (flagBool(args, 'memory')) {
    const { auditPeakMemory, formatPeakAudit } = await import('../src/apis/memory_audit.js');
    const { trainStepRunner } = await import('../src/apis/train_step_benchmark.js');
    const runner = trainStepRunner(model, config, { batch, height: h, width: w });
    try {
      runner.run(); // optimizer state exists from here on, so both audited steps allocate alike
      console.log(`training step memory (batch ${batch}, ${h}x${w}):`);
      console.log(formatPeakAudit(auditPeakMemory(() => runner.run())));
      console.log(`peak RSS of the process ${mib(process.resourceUsage().maxRSS * 1024)}`);
    } finally {
      runner.dispose();
    }
  }
  const json = flagString(args, 'json');
  if (json !== undefined) writeFileSync(json, JSON.stringify({ config: file, backend, batch, size: [h, w], results }, null, 2));
  images.dispose();
  model.dispose();
}

runTool(main, USAGE);
