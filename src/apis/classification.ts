/** Helpers for presenting classification outputs. */
import { createRequire } from 'node:module';
import type { RootConfig } from '../config/schema.js';
import { isPlainObject } from '../registry/options.js';

/** One entry of a top-k list. */
export interface TopKEntry {
  /** Class index. */
  label: number;
  /** Class name, when known. */
  name: string | null;
  /** Softmax probability. */
  score: number;
}

/** The k most probable classes of one row of logits (softmax applied here). */
export function topK(logits: readonly number[], k: number, names: readonly string[] | null): TopKEntry[] {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps
    .map((e, label) => ({ label, score: e / sum }))
    .sort((a, b) => b.score - a.score || a.label - b.label)
    .slice(0, k)
    .map((e) => ({ ...e, name: names?.[e.label] ?? null }));
}

const require = createRequire(import.meta.url);

/**
 * Class names for a classifier's outputs: the config's `classNames` of the
 * test dataset when present, the ImageNet-1k names for 1000 outputs, else null.
 */
export function classNamesFor(config: RootConfig, numOutputs: number): string[] | null {
  const dataset = config.testDataloader?.dataset;
  if (isPlainObject(dataset) && Array.isArray(dataset.classes)) return dataset.classes.map(String);
  if (numOutputs === 1000) return require('../datasets/meta/imagenet_classes.json') as string[];
  return null;
}
