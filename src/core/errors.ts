/**
 * Error classes of the framework. Every message names the file, key or value
 * at fault and what was expected, so that a user can fix the input without
 * reading the source.
 */

/** A configuration problem: unknown key, unknown `type`, wrong value type. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A checkpoint that cannot be read, or whose tensors do not fit the model. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A dataset or input file problem: corrupt image, bad label map, bad annotation. */
export class DataError extends Error {
  override name = 'DataError';
}

/** A tensor shape that does not fit what a component expects. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Formats a shape as `[2,3,4]` for error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
