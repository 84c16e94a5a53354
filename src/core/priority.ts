/**
 * Hook priorities with mmengine's names and numbers (`mmengine/runner/priority.py`):
 * a lower number runs earlier. Kept in core so that config validation and the
 * engine share one table.
 */
import { ConfigError } from './errors.js';

/** Priority names and their numbers. */
export const PRIORITIES = {
  HIGHEST: 0,
  VERY_HIGH: 10,
  HIGH: 30,
  ABOVE_NORMAL: 40,
  NORMAL: 50,
  BELOW_NORMAL: 60,
  LOW: 70,
  VERY_LOW: 90,
  LOWEST: 100,
} as const;

/** A priority name of {@link PRIORITIES}. */
export type PriorityName = keyof typeof PRIORITIES;

/** A priority as configs give it: a name of {@link PRIORITIES} or an integer in [0, 100]. */
export type Priority = PriorityName | number;

/**
 * The number of a priority.
 * @param path config path named in the error.
 * @throws ConfigError for an unknown name or a number outside [0, 100].
 */
export function priorityValue(priority: unknown, path: string): number {
  if (typeof priority === 'number' && Number.isInteger(priority) && priority >= 0 && priority <= 100) return priority;
  if (typeof priority === 'string' && Object.hasOwn(PRIORITIES, priority)) return PRIORITIES[priority as PriorityName];
  throw new ConfigError(`${path}: expected a priority name (${Object.keys(PRIORITIES).join(', ')}) or an integer in [0, 100], got ${JSON.stringify(priority)}`);
}
