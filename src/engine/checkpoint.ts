/**
 * Training checkpoints: model weights, optimizer state, schedule position,
 * data-loader position and RNG state in one safetensors file, written
 * atomically (temp file, fsync, rename). A `last_checkpoint` file names the
 * newest one, as in mmengine.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { tf } from '../core/tf.js';
import { CheckpointError } from '../core/errors.js';
import { readSafetensors, writeSafetensors } from '../checkpoint/safetensors.js';
import { hostToTensor, tensorToHost } from '../checkpoint/weights.js';
import type { HostTensor } from '../checkpoint/host_tensor.js';
import { nonFiniteHostTensors } from './non_finite_guard.js';
import { HOOKS_PREFIX, MODEL_PREFIX, OPTIMIZER_PREFIX, TRAINING_CHECKPOINT_FORMAT as FORMAT } from '../checkpoint/training_checkpoint_format.js';

/** Non-tensor training state stored in a checkpoint's metadata. */
export interface TrainingState {
  /** Completed optimizer iterations. */
  iter: number;
  /** Epoch and batch of the next training batch. */
  loader: { epoch: number; batch: number };
  /** State of the model-side RNG (dropout, drop path). */
  rng: [number, number, number, number];
  /** Best value of the `saveBest` metric so far, and the iteration it was reached at. */
  best: { metric: string; value: number; iter: number } | null;
  /** Any further JSON-serialisable data (e.g. optimizer step counts). */
  extra: Record<string, unknown>;
}

/** What a checkpoint holds. */
export interface CheckpointContent {
  /** Model state dict. */
  model: Map<string, tf.Tensor>;
  /** Optimizer state tensors. */
  optimizer: Map<string, tf.Tensor>;
  /** Tensors of runner hooks (e.g. the EMA hook's averaged weights), by the hook's own names. */
  hooks?: Map<string, tf.Tensor>;
  state: TrainingState;
}

/** Name of the file that records the newest checkpoint. */
export const LAST_CHECKPOINT = 'last_checkpoint';

/**
 * Writes a checkpoint atomically.
 * @throws CheckpointError (and writes nothing) when a tensor holds NaN or ±Inf.
 */
export function writeCheckpoint(path: string, content: CheckpointContent): void {
  const host = new Map<string, HostTensor>();
  for (const [k, t] of content.model) host.set(`${MODEL_PREFIX}${k}`, tensorToHost(t));
  for (const [k, t] of content.optimizer) host.set(`${OPTIMIZER_PREFIX}${k}`, tensorToHost(t));
  for (const [k, t] of content.hooks ?? []) host.set(`${HOOKS_PREFIX}${k}`, tensorToHost(t));
  const bad = nonFiniteHostTensors(host);
  if (bad.length > 0) {
    throw new CheckpointError(`${path}: not written, ${bad.length} tensor(s) hold NaN or Inf (${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''})`);
  }
  writeSafetensors(path, host, { format: FORMAT, state: JSON.stringify(content.state) });
}

/** Reads a checkpoint written by {@link writeCheckpoint} (the caller disposes the tensors). */
export function readCheckpoint(path: string): CheckpointContent {
  if (!existsSync(path)) throw new CheckpointError(`Checkpoint not found: ${path}`);
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format !== FORMAT || metadata.state === undefined) {
    throw new CheckpointError(`${path} is not a training checkpoint (format '${metadata.format ?? 'none'}'); to start from weights use --load-from`);
  }
  const model = new Map<string, tf.Tensor>();
  const optimizer = new Map<string, tf.Tensor>();
  const hooks = new Map<string, tf.Tensor>();
  for (const [k, t] of tensors) {
    if (k.startsWith(MODEL_PREFIX)) model.set(k.slice(MODEL_PREFIX.length), hostToTensor(t, k));
    else if (k.startsWith(OPTIMIZER_PREFIX)) optimizer.set(k.slice(OPTIMIZER_PREFIX.length), hostToTensor(t, k));
    else if (k.startsWith(HOOKS_PREFIX)) hooks.set(k.slice(HOOKS_PREFIX.length), hostToTensor(t, k));
  }
  return { model, optimizer, hooks, state: JSON.parse(metadata.state) as TrainingState };
}

/** Options of {@link CheckpointManager}. */
export interface CheckpointManagerOptions {
  /** Keep this many periodic checkpoints (older ones are deleted). */
  maxKeep: number;
}

/** Names, writes, rotates and finds the checkpoints of a work dir. */
export class CheckpointManager {
  constructor(
    readonly workDir: string,
    readonly options: CheckpointManagerOptions,
  ) {}

  /** Path of the periodic checkpoint of iteration `iter`. */
  pathFor(iter: number): string {
    return join(this.workDir, `iter_${iter}.ckpt.safetensors`);
  }

  /** Path of a file of the work dir. */
  pathOf(file: string): string {
    return join(this.workDir, file);
  }

  /** Writes a periodic checkpoint, records it as the newest and deletes the oldest beyond `maxKeep`. */
  save(content: CheckpointContent): string {
    const path = this.pathFor(content.state.iter);
    writeCheckpoint(path, content);
    const tmp = join(this.workDir, `${LAST_CHECKPOINT}.tmp-${process.pid}`);
    writeFileSync(tmp, basename(path));
    renameSync(tmp, join(this.workDir, LAST_CHECKPOINT));
    const periodic = this.periodic();
    for (const old of periodic.slice(0, Math.max(0, periodic.length - this.options.maxKeep))) rmSync(join(this.workDir, old.file));
    return path;
  }

  /** Writes the best checkpoint for `metric`, replacing the previous best. */
  saveBest(content: CheckpointContent, metric: string): string {
    const safe = metric.replace(/[^A-Za-z0-9_.-]/g, '_');
    const path = join(this.workDir, `best_${safe}_iter_${content.state.iter}.ckpt.safetensors`);
    writeCheckpoint(path, content);
    for (const f of readdirSync(this.workDir)) {
      if (f.startsWith(`best_${safe}_iter_`) && f.endsWith('.ckpt.safetensors') && join(this.workDir, f) !== path) rmSync(join(this.workDir, f));
    }
    return path;
  }

  /** Periodic checkpoints on disk, oldest first. */
  periodic(): Array<{ file: string; iter: number }> {
    if (!existsSync(this.workDir)) return [];
    return readdirSync(this.workDir)
      .map((file) => ({ file, m: /^iter_(\d+)\.ckpt\.safetensors$/.exec(file) }))
      .filter((e): e is { file: string; m: RegExpExecArray } => e.m !== null)
      .map((e) => ({ file: e.file, iter: Number(e.m[1]) }))
      .sort((a, b) => a.iter - b.iter);
  }

  /**
   * Resume candidates, newest first: the file `last_checkpoint` names (when it
   * exists), then every periodic checkpoint by descending iteration.
   */
  candidates(): string[] {
    const out: string[] = [];
    const marker = join(this.workDir, LAST_CHECKPOINT);
    if (existsSync(marker)) {
      const path = join(this.workDir, readFileSync(marker, 'utf8').trim());
      if (existsSync(path) && statSync(path).isFile()) out.push(path);
    }
    for (const { file } of this.periodic().reverse()) {
      const path = join(this.workDir, file);
      if (!out.includes(path)) out.push(path);
    }
    return out;
  }

  /**
   * Removes temporary files that interrupted writes left in the work dir
   * (`*.tmp-<pid>[-<random>]` of processes that no longer run); returns their names.
   */
  removeStaleTempFiles(): string[] {
    if (!existsSync(this.workDir)) return [];
    const removed: string[] = [];
    for (const file of readdirSync(this.workDir)) {
      const m = /\.tmp-(\d+)(?:-[0-9a-f]+)?$/.exec(file);
      if (m === null) continue;
      const pid = Number(m[1]);
      if (pid !== process.pid && processAlive(pid)) continue;
      rmSync(join(this.workDir, file), { force: true });
      removed.push(file);
    }
    return removed;
  }

  /** The newest checkpoint to resume from, or null. */
  latest(): string | null {
    const marker = join(this.workDir, LAST_CHECKPOINT);
    if (existsSync(marker)) {
      const path = join(this.workDir, readFileSync(marker, 'utf8').trim());
      if (existsSync(path)) return path;
    }
    const all = this.periodic();
    return all.length > 0 ? join(this.workDir, all[all.length - 1].file) : null;
  }
}

/** Whether a process with this id runs (signal 0 probes without signalling). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A checkpoint {@link restoreNewestLoadable} passed over, and why. */
export interface SkippedCheckpoint {
  path: string;
  reason: string;
}

/**
 * Tries the resume candidates newest first and restores the first that loads:
 * `restore` throws for one that cannot be read or does not fit (truncated file,
 * wrong model, non-finite tensors). Returns the restored path (null when none
 * loaded) and the skipped files with their reasons.
 */
export function restoreNewestLoadable(manager: CheckpointManager, restore: (path: string) => void): { restored: string | null; skipped: SkippedCheckpoint[] } {
  const skipped: SkippedCheckpoint[] = [];
  for (const path of manager.candidates()) {
    try {
      restore(path);
      return { restored: path, skipped };
    } catch (err) {
      skipped.push({ path, reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  }
  return { restored: null, skipped };
}
