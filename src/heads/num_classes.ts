/** The class count of a head: its own `numClasses` option, else the dataset's. */
import { ConfigError } from '../core/errors.js';
import type { HeadContext } from '../registry/registries.js';

/**
 * Resolves a head's class count: the head's `numClasses` option when set, else the
 * number of classes the model builder took from the dataset (`context.numClasses`).
 * @throws ConfigError naming `<path>.numClasses` when neither is a positive integer.
 */
export function resolveHeadNumClasses(own: number | null, context: HeadContext, path: string): number {
  const numClasses = own ?? context.numClasses;
  if (numClasses === null) {
    throw new ConfigError(`${path}.numClasses: not set and not known from a dataset (set it, or use a dataset that declares its classes)`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ConfigError(`${path}.numClasses: expected a positive integer, got ${numClasses}`);
  return numClasses;
}
