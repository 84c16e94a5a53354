/**
 * A small bounded cache of constant tensors (masks, index tables) shared by
 * all forward passes. Entries are created with `tf.keep`, so they survive the
 * `tf.tidy` that happens to be active when they are first needed; the oldest
 * entry is disposed when the cache is full.
 */
import { tf } from './tf.js';

/** A keyed cache of kept tensors. */
export class TensorCache {
  private readonly entries = new Map<string, tf.Tensor>();

  /** @param capacity maximum number of entries. Default 64. */
  constructor(private readonly capacity = 64) {}

  /** Returns the cached tensor for `key`, creating it with `make` on first use. */
  get<T extends tf.Tensor>(key: string, make: () => T): T {
    const hit = this.entries.get(key);
    if (hit !== undefined && !hit.isDisposed) return hit as T;
    const value = tf.keep(tf.tidy(make));
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, tf.Tensor];
      this.entries.delete(oldestKey);
      oldest.dispose();
    }
    return value;
  }

  /** Disposes every entry. */
  clear(): void {
    for (const t of this.entries.values()) t.dispose();
    this.entries.clear();
  }
}
