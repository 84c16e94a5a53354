/**
 * Checks across config sections that no single component's schema can make:
 * the class list of every split, the heads' `numClasses` and the losses'
 * `classWeight` against the class count, and the schedule against the
 * training length. Run at load time (so `print-config` catches them) and, with
 * the class count read from the data, when a run builds its datasets.
 */
import { ConfigError } from '../core/errors.js';
import { isPlainObject } from '../registry/options.js';

const SPLITS = ['trainDataloader', 'valDataloader', 'testDataloader'] as const;

/**
 * Copies a top-level `classes` list into every split's dataset that has a
 * `classes` option (`datasetHasClasses` tells), so the class names are set in one place.
 * Datasets that read their classes from the data (ImageFolder, COCO) are checked
 * against it when built ({@link checkDatasetClasses}).
 */
export function applyTopLevelClasses(raw: Record<string, unknown>, datasetHasClasses: (type: string) => boolean): void {
  const classes = raw.classes;
  if (classes === undefined || classes === null) return;
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string')) {
    throw new ConfigError(`Option classes: expected a non-empty list of class names, got ${JSON.stringify(classes)}`);
  }
  for (const split of SPLITS) {
    const dataset = (raw[split] as { dataset?: unknown } | null | undefined)?.dataset;
    if (isPlainObject(dataset) && typeof dataset.type === 'string' && datasetHasClasses(dataset.type)) dataset.classes = [...classes];
  }
}

/** The class count a config states: top-level `classes`, else the datasets' `classes` lists (which must agree). */
export function configuredClassCount(config: Record<string, unknown>): { count: number; source: string } | null {
  const top = config.classes;
  if (Array.isArray(top)) return { count: top.length, source: 'classes' };
  let found: { count: number; source: string; names: string } | null = null;
  for (const split of SPLITS) {
    const classes = (config[split] as { dataset?: { classes?: unknown } } | null | undefined)?.dataset?.classes;
    if (!Array.isArray(classes)) continue;
    const here = { count: classes.length, source: `${split}.dataset.classes`, names: JSON.stringify(classes) };
    if (found !== null && found.names !== here.names) {
      throw new ConfigError(`${here.source} (${here.names}) differs from ${found.source} (${found.names}): every split needs the same classes; ` + `set them once with the top-level 'classes' option`);
    }
    found ??= here;
  }
  return found === null ? null : { count: found.count, source: found.source };
}

/**
 * Checks every `numClasses` and `classWeight` under `model` against the class count.
 * A `classWeight` is checked against its head's own `numClasses` when set.
 * @throws ConfigError naming the key path, both numbers and what to change.
 */
export function checkClassCounts(model: unknown, classes: { count: number; source: string } | null): void {
  const walk = (node: unknown, path: string, headClasses: { count: number; source: string } | null): void => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, `${path}.${i}`, headClasses));
      return;
    }
    if (!isPlainObject(node)) return;
    let own = headClasses;
    if (typeof node.numClasses === 'number') {
      if (classes !== null && node.numClasses !== classes.count) {
        throw new ConfigError(
          `${path}.numClasses is ${node.numClasses}, but ${classes.source} has ${classes.count} classes: ` + `set ${path}.numClasses to ${classes.count} (or null to take it from the dataset)`,
        );
      }
      own = { count: node.numClasses, source: `${path}.numClasses` };
    }
    if (Array.isArray(node.classWeight) && own !== null && node.classWeight.length !== own.count) {
      throw new ConfigError(`${path}.classWeight has ${node.classWeight.length} entries, but ${own.source} gives ${own.count} classes: ` + `give ${path}.classWeight ${own.count} weights (or null)`);
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'classWeight') walk(v, `${path}.${k}`, own);
  };
  walk(model, 'model', classes);
}

/** Checks the class names a dataset read from its data against the top-level `classes`, then the class counts. */
export function checkDatasetClasses(config: Record<string, unknown>, classNames: readonly string[], datasetPath: string): void {
  const top = config.classes;
  if (Array.isArray(top) && JSON.stringify(top) !== JSON.stringify(classNames)) {
    throw new ConfigError(`classes (${JSON.stringify(top)}) differs from the classes ${datasetPath} found in its data (${JSON.stringify(classNames)})`);
  }
  checkClassCounts(config.model, { count: classNames.length, source: `${datasetPath} (from its data)` });
}

/**
 * Checks an iteration-based schedule against `trainCfg.maxIters`: a scheduler
 * that begins at or after the end of training can never act and leaves the
 * one after it an empty range.
 * @throws ConfigError naming exactly the keys to change.
 */
export function checkScheduleLength(config: Record<string, unknown>): void {
  const trainCfg = config.trainCfg as { by?: unknown; maxIters?: unknown } | null | undefined;
  if (!isPlainObject(trainCfg) || (trainCfg.by ?? 'iter') !== 'iter' || typeof trainCfg.maxIters !== 'number') return;
  const maxIters = trainCfg.maxIters;
  const schedulers = Array.isArray(config.paramScheduler) ? config.paramScheduler : [];
  schedulers.forEach((s, i) => {
    if (!isPlainObject(s) || s.byEpoch === true) return;
    const begin = typeof s.begin === 'number' ? s.begin : 0;
    const where = `paramScheduler.${i}`;
    if (begin >= maxIters) {
      throw new ConfigError(
        `${where}.begin (${begin}) is not below trainCfg.maxIters (${maxIters}), so ${where} (${String(s.type)}) never acts: ` +
          `set trainCfg.maxIters above ${begin}, or lower ${where}.begin${i > 0 ? ` (and paramScheduler.${i - 1}.end)` : ''} below ${maxIters}`,
      );
    }
    if (typeof s.end === 'number' && s.end > maxIters) {
      throw new ConfigError(`${where}.end (${s.end}) is beyond trainCfg.maxIters (${maxIters}): set ${where}.end to at most ${maxIters}, or raise trainCfg.maxIters`);
    }
  });
}
