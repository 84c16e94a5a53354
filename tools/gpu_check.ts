/**
 * The first GPU run as one command (issue 11): on the `tensorflow` backend (tfjs-node-gpu), prints
 * the device TensorFlow uses, then runs the Swin-T parity tests, forward and training benchmarks of
 * Swin-T (224) and the Swin-T UperNet (512x512), and 20 training iterations of a mini config, and
 * writes one JSON report.
 *
 *   npm run gpu-check [-- --out gpu-check.json] [--allow-cpu]
 *
 * Without a GPU it stops with a clear error after the device check; `--allow-cpu` runs the same
 * steps on the CPU build (this is how it is tested on machines without a GPU).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeLibraryInfo, selectBackend } from '../src/core/backend.js';
import { ConfigError } from '../src/core/errors.js';
import { flagBool, flagString, parseArgs, runTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  out: { kind: 'string', help: 'JSON report (default work_dirs/gpu_check/report.json)' },
  'allow-cpu': { kind: 'boolean', help: 'run the steps even when TensorFlow sees no GPU' },
};
const USAGE = usage('npm run gpu-check [-- --out F] [--allow-cpu]', FLAGS);

/** One step of the check and how it went. */
interface StepReport {
  name: string;
  command: string;
  ok: boolean;
  seconds: number;
  /** Parsed results: a bench JSON, vitest counts, or the tail of the output on failure. */
  result: unknown;
}

const ENV = { ...process.env, DENSEKIT_BACKEND: 'tensorflow', TF_FORCE_GPU_ALLOW_GROWTH: process.env.TF_FORCE_GPU_ALLOW_GROWTH ?? 'true' };

function runStep(name: string, cmd: string, args: string[], parse: () => unknown): StepReport {
  console.error(`gpu-check: ${name}: ${cmd} ${args.join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: ENV, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  const ok = r.status === 0;
  let result: unknown;
  try {
    result = parse();
  } catch {
    result = null;
  }
  if (!ok || result === null) result = { output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20) };
  console.error(`gpu-check: ${name}: ${ok ? 'ok' : 'FAILED'} in ${seconds.toFixed(0)} s`);
  return { name, command: `${cmd} ${args.join(' ')}`, ok, seconds, result };
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function nvidiaSmi(): string | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total,compute_cap', '--format=csv,noheader'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const out = flagString(args, 'out') ?? join('work_dirs', 'gpu_check', 'report.json');
  const work = join('work_dirs', 'gpu_check');
  mkdirSync(work, { recursive: true });

  await selectBackend({ requested: 'tensorflow' });
  const info = nativeLibraryInfo();
  const smi = nvidiaSmi();
  console.log(`device: TF ${info?.tfVersion ?? '?'} on ${info?.usingGpu === true ? 'GPU' : 'CPU'}; nvidia-smi: ${smi ?? 'not available'}`);
  if (info?.usingGpu !== true && !flagBool(args, 'allow-cpu')) {
    throw new ConfigError(
      'TensorFlow sees no GPU: the tensorflow backend runs on CPU. Install @tensorflow/tfjs-node-gpu with CUDA 11.x ' +
        'and cuDNN 8 (see README, "GPU"), or build it with npm run setup-native -- --gpu; --allow-cpu runs the check anyway.',
    );
  }

  const steps: StepReport[] = [];
  const parity = join(work, 'parity.json');
  steps.push(
    runStep('Swin-T parity (torchvision and official checkpoints)', 'npx', ['vitest', 'run', 'test/swin_conversion.test.ts', `--outputFile.json=${parity}`], () => {
      const r = readJson(parity) as { numPassedTests: number; numFailedTests: number };
      return { passed: r.numPassedTests, failed: r.numFailedTests };
    }),
  );
  const benches: Array<[string, string, string, string]> = [
    ['Swin-T forward + training, batch 8 at 224', 'configs/classification/swin-t_in1k.ts', '8', '224x224'],
    ['Swin-T UperNet forward + training, batch 2 at 512x512', 'configs/segmentation/swin-t_upernet_ade20k-512.ts', '2', '512x512'],
  ];
  for (const [k, [name, config, batch, size]] of benches.entries()) {
    const json = join(work, `bench_${k}.json`);
    steps.push(runStep(name, 'npx', ['tsx', 'tools/bench.ts', '--config', config, '--batch', batch, '--size', size, '--train', '--iters', '5', '--warmup', '2', '--json', json], () => readJson(json)));
  }
  const data = join(work, 'data', 'shapes');
  if (!existsSync(join(data, 'annotations'))) spawnSync('npx', ['tsx', 'tools/make_sample_data.ts', data], { stdio: 'inherit' });
  steps.push(
    runStep(
      '20 training iterations of configs/segmentation/swin-mini_upernet_ade.ts',
      'npx',
      [
        'tsx',
        'tools/train.ts',
        '--config',
        'configs/segmentation/swin-mini_upernet_ade.ts',
        '--data-root',
        data,
        '--work-dir',
        join(work, 'train'),
        '--cfg-options',
        'trainCfg.maxIters=20',
        'trainCfg.valInterval=20',
        'paramScheduler=[]',
      ],
      () => ({ weights: existsSync(join(work, 'train', 'latest.safetensors')) }),
    ),
  );

  const report = {
    tool: 'gpu-check',
    date: new Date().toISOString(),
    device: { tfVersion: info?.tfVersion ?? null, usingGpu: info?.usingGpu ?? false, nvidiaSmi: smi },
    env: { TF_FORCE_GPU_ALLOW_GROWTH: ENV.TF_FORCE_GPU_ALLOW_GROWTH, CUDA_CACHE_MAXSIZE: process.env.CUDA_CACHE_MAXSIZE ?? null },
    ok: steps.every((s) => s.ok),
    steps,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`gpu-check: ${report.ok ? 'all steps passed' : 'some steps FAILED'}; report: ${out}`);
  if (!report.ok) process.exitCode = 1;
}

runTool(main, USAGE);
