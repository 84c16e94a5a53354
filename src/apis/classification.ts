/** Helpers for presenting classification outputs. */
import { createRequire } from 'node:module';
import type { RootConfig } from '../config/schema.js';
import { isPlainObject } from '../registry/options.js';

export { topK, type TopKEntry } from './top_k.js';

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
