/**
 * Batches of a dataset, shuffled under a seed, loaded ahead of the model.
 *
 * Randomness is derived, not carried: the order of epoch e comes from
 * `Rng(hash(seed, e))` and each sample's augmentation from
 * `Rng(hash(seed, e, index))`. A loader positioned at (epoch, batch) therefore
 * yields exactly the batches an uninterrupted run would, which makes resuming
 * exact without saving generator states.
 */
import { Rng } from '../core/rng.js';
import { DataError } from '../core/errors.js';
import type { BaseDataset } from '../datasets/base_dataset.js';
import type { PipelineResults } from '../datasets/transforms/transform.js';
import type { Batch } from '../structures/data_sample.js';
import { collate } from './collate.js';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Samples per batch. */
  batchSize: number;
  /** Reshuffle every epoch. */
  shuffle: boolean;
  /** Drop the last incomplete batch. */
  dropLast: boolean;
  /** Batches prepared ahead (asynchronous prefetch depth); 0 loads on demand. */
  prefetch: number;
  /** Base seed of order and augmentation. */
  seed: number;
  /** Skip samples whose files cannot be decoded (counted in {@link DataLoader.skipped}) instead of failing. */
  skipCorrupt: boolean;
}

/** Where a loader stands: epoch and batch index within it. */
export interface LoaderPosition {
  epoch: number;
  batch: number;
}

/** Mixes integers into a 32-bit seed (FNV-1a over the words). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    let v = p >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= v & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      v >>>= 8;
    }
  }
  return h >>> 0;
}

/** Iterates over batches of a dataset. */
export class DataLoader {
  /** Samples skipped as corrupt so far (with `skipCorrupt`). */
  skipped = 0;
  /** Paths of skipped samples (first 100). */
  readonly skippedPaths: string[] = [];
  private position: LoaderPosition = { epoch: 0, batch: 0 };
  private readonly queue = new Map<string, Promise<PipelineResults[]>>();

  constructor(
    readonly dataset: BaseDataset,
    readonly options: DataLoaderOptions,
  ) {
    if (dataset.length === 0) throw new DataError(`${dataset.constructor.name} at ${dataset.dataRoot} has no samples`);
    if (options.dropLast && dataset.length < options.batchSize) {
      throw new DataError(`${dataset.constructor.name}: ${dataset.length} samples, fewer than one batch of ${options.batchSize} (dropLast)`);
    }
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    const n = this.dataset.length / this.options.batchSize;
    return this.options.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** Current position (the batch {@link next} will return). */
  getPosition(): LoaderPosition {
    return { ...this.position };
  }

  /** Moves to a position (e.g. when resuming); drops prefetched batches. */
  setPosition(position: LoaderPosition): void {
    this.position = { ...position };
    this.queue.clear();
  }

  /** Sample order of an epoch. */
  epochOrder(epoch: number): number[] {
    const order = Array.from({ length: this.dataset.length }, (_, i) => i);
    return this.options.shuffle ? new Rng(mixSeed(this.options.seed, epoch)).shuffle(order) : order;
  }

  private key(p: LoaderPosition): string {
    return `${p.epoch}:${p.batch}`;
  }

  private advance(p: LoaderPosition): LoaderPosition {
    return p.batch + 1 >= this.batchesPerEpoch ? { epoch: p.epoch + 1, batch: 0 } : { epoch: p.epoch, batch: p.batch + 1 };
  }

  private async loadSample(index: number, epoch: number): Promise<PipelineResults> {
    const n = this.dataset.length;
    for (let attempt = 0; attempt < n; attempt++) {
      const i = (index + attempt) % n;
      try {
        return await this.dataset.get(i, new Rng(mixSeed(this.options.seed, epoch, i)));
      } catch (err) {
        if (!(this.options.skipCorrupt && err instanceof DataError)) throw err;
        this.skipped++;
        if (this.skippedPaths.length < 100) this.skippedPaths.push(this.dataset.sampleInfo(i).imgPath);
      }
    }
    throw new DataError(`${this.dataset.constructor.name}: every sample failed to load`);
  }

  private async loadBatch(p: LoaderPosition): Promise<PipelineResults[]> {
    const order = this.epochOrder(p.epoch);
    const start = p.batch * this.options.batchSize;
    const indices = order.slice(start, start + this.options.batchSize);
    return Promise.all(indices.map((i) => this.loadSample(i, p.epoch)));
  }

  /** Host-side samples are queued; tensors are made only when a batch is taken, so nothing leaks if the queue is dropped. */
  private schedule(p: LoaderPosition): Promise<PipelineResults[]> {
    const key = this.key(p);
    let pending = this.queue.get(key);
    if (pending === undefined) {
      pending = this.loadBatch(p);
      pending.catch(() => undefined); // surfaced when awaited
      this.queue.set(key, pending);
    }
    return pending;
  }

  /**
   * The batch at the current position; advances and starts loading the next
   * `prefetch` batches in the background. The caller disposes `batch.inputs`.
   */
  async next(): Promise<{ batch: Batch; position: LoaderPosition }> {
    const here = this.position;
    const pending = this.schedule(here);
    let ahead = here;
    for (let i = 0; i < this.options.prefetch; i++) {
      ahead = this.advance(ahead);
      this.schedule(ahead);
    }
    const items = await pending;
    this.queue.delete(this.key(here));
    this.position = this.advance(here);
    return { batch: collate(items), position: here };
  }

  /** Every batch of one pass in order, without shuffling effects on training position (for evaluation). */
  async *iterateOnce(): AsyncGenerator<Batch> {
    const saved = this.position;
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      const p = { epoch: 0, batch: b };
      const pending = this.schedule(p);
      for (let k = 1; k <= this.options.prefetch && b + k < this.batchesPerEpoch; k++) this.schedule({ epoch: 0, batch: b + k });
      const items = await pending;
      this.queue.delete(this.key(p));
      yield collate(items);
    }
    this.position = saved;
  }
}
