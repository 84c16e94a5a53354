/**
 * Parameter groups from `optimWrapper.paramwiseCfg`, following mmengine's
 * `DefaultOptimWrapperConstructor` and, with `layerDecayRate`, mmpretrain's
 * `LearningRateDecayOptimWrapperConstructor`.
 */
import { ConfigError } from '../core/errors.js';
import type { Module, Parameter } from '../nn/module.js';
import type { ParamGroupInput, ParamRef } from './optimizer.js';
import type { LayerId } from '../nn/layer_id.js';

/** Class names of normalisation layers (matched against `constructor.name`). */
export const NORM_LAYER_NAMES: ReadonlySet<string> = new Set([
  'LayerNorm',
  'BatchNorm1d',
  'BatchNorm2d',
  'BatchNorm3d',
  'SyncBatchNorm',
  'GroupNorm',
  'InstanceNorm1d',
  'InstanceNorm2d',
  'InstanceNorm3d',
]);

/** The per-key options of `paramwiseCfg.customKeys`. */
export interface CustomKeyOptions {
  /** Multiplier of the learning rate. Default 1. */
  lrMult?: number;
  /** Multiplier of the weight decay. Default 1. */
  decayMult?: number;
}

/** The paramwise options (the `optimWrapper.paramwiseCfg` config section). */
export interface ParamwiseOptions {
  /** Weight-decay multiplier of normalisation layers' weights and biases. Default null (no rule). */
  normDecayMult?: number | null;
  /** Weight-decay multiplier of parameters named `bias` (see {@link buildParamGroups}). Default null. */
  biasDecayMult?: number | null;
  /** Substring of a parameter name → multipliers; the longest matching key wins. Default `{}`. */
  customKeys?: Record<string, unknown>;
  /** Layer-wise learning-rate decay rate (null = off). Default null. */
  layerDecayRate?: number | null;
}

/** Options of {@link buildParamGroups}. */
export interface BuildParamGroupsOptions {
  /**
   * Whether a parameter belongs to a normalisation layer (use
   * {@link normParamPredicate}). Required when `normDecayMult` is set; by
   * default no parameter is a norm parameter.
   */
  isNormParam?: (name: string) => boolean;
  /** Layer id of a parameter (e.g. `(n) => swinLayerId(n, depths)`). Required when `layerDecayRate` is set. */
  layerId?: (name: string) => LayerId;
}

/** One merged group, described for the training log. */
export interface ParamGroupSummary {
  /** Label of the group (`group{i}`), as in the optimizer. */
  label: string;
  /** Learning rate at the base lr (before schedules): `lr · lrMult`. */
  lr: number;
  /** Weight decay: `weightDecay · decayMult`. */
  weightDecay: number;
  /** Multiplier of the base learning rate. */
  lrMult: number;
  /** Multiplier of the base weight decay. */
  decayMult: number;
  /** Number of parameter tensors. */
  numTensors: number;
  /** Number of scalar parameters. */
  numElements: number;
  /** Parameter names with numeric indices replaced by `*`, deduplicated, in order. */
  patterns: string[];
  /** Layer ids of the parameters (layer-wise decay only), sorted. */
  layerIds: number[];
}

/** What {@link buildParamGroups} returns. */
export interface ParamGroupsResult {
  /** The groups, for the optimizer's constructor (build context `{groups}`). */
  groups: ParamGroupInput[];
  /** One summary per group. */
  summaries: ParamGroupSummary[];
  /** Settings worth a warning (unmatched custom keys, ignored options). */
  warnings: string[];
  /** Names of the parameters left out because they do not require gradients. */
  frozen: string[];
}

/** Base hyper-parameters of the optimizer the groups are built for. */
export interface OptimizerDefaults {
  /** Base learning rate. */
  lr: number;
  /** Base weight decay. */
  weightDecay: number;
}

/**
 * A predicate telling whether a parameter belongs to a normalisation layer of
 * `model`, decided from the owning module's class ({@link NORM_LAYER_NAMES}),
 * never from the parameter's name. Names are those of `model.namedParameters()`.
 */
export function normParamPredicate(model: Module, normLayerNames: ReadonlySet<string> = NORM_LAYER_NAMES): (name: string) => boolean {
  const names = new Set<string>();
  for (const [prefix, module] of model.namedModules()) {
    if (!normLayerNames.has(module.constructor.name)) continue;
    for (const [name] of module.namedParameters(prefix)) names.add(name);
  }
  return (name) => names.has(name);
}

/** Learning-rate scale of a layer: `rate^(numLayers + 1 − layerId)` (mmpretrain's `decay_rate**(max_id − layer_id − 1)`). */
export function layerDecayScale(id: LayerId, rate: number): number {
  return rate ** (id.numLayers + 1 - id.layerId);
}

/** Orders custom keys as mmengine does: longest first, ties alphabetically. */
export function sortCustomKeys(keys: Iterable<string>): string[] {
  return [...keys].sort().sort((a, b) => b.length - a.length);
}

function parseCustomKeys(raw: Record<string, unknown>): Map<string, Required<CustomKeyOptions>> {
  const out = new Map<string, Required<CustomKeyOptions>>();
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(`optimWrapper.paramwiseCfg.customKeys.${key}: expected {lrMult?, decayMult?}, got ${JSON.stringify(value)}`);
    }
    const entry: Required<CustomKeyOptions> = { lrMult: 1, decayMult: 1 };
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k !== 'lrMult' && k !== 'decayMult') {
        throw new ConfigError(`Unknown option '${k}' at optimWrapper.paramwiseCfg.customKeys.${key}. Valid options: lrMult, decayMult`);
      }
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new ConfigError(`optimWrapper.paramwiseCfg.customKeys.${key}.${k}: expected a number ≥ 0, got ${JSON.stringify(v)}`);
      }
      entry[k] = v;
    }
    out.set(key, entry);
  }
  return out;
}

/** Name with numeric path components replaced by `*`: `layers.0.blocks.1.x` → `layers.*.blocks.*.x`. */
export function namePattern(name: string): string {
  return name
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? '*' : p))
    .join('.');
}

/**
 * Builds optimizer parameter groups from named parameters and `paramwiseCfg`.
 *
 * Only parameters with `requiresGrad` are included. Each parameter gets an
 * `lrMult` and a `decayMult` (lr = base lr · lrMult, wd = base wd · decayMult);
 * parameters with identical multipliers are merged into one group, groups in
 * order of first appearance.
 *
 * Without `layerDecayRate` (mmengine `DefaultOptimWrapperConstructor`), per parameter:
 * 1. the longest key of `customKeys` that is a substring of its full name (ties:
 *    alphabetically first) sets `lrMult` and `decayMult` (each default 1), and
 *    no other rule applies;
 * 2. otherwise, a parameter of a normalisation layer gets `decayMult = normDecayMult`
 *    when that is set;
 * 3. otherwise, a parameter whose local name is `bias` gets
 *    `decayMult = biasDecayMult` when that is set. As in mmengine's code (its
 *    docstring says otherwise), this includes biases of normalisation layers
 *    when `normDecayMult` is unset.
 *
 * With `layerDecayRate` (mmpretrain `LearningRateDecayOptimWrapperConstructor`):
 * `lrMult = layerDecayScale(layerId(name), rate)`, and the decay rules above
 * choose only `decayMult` (a custom key's `lrMult` is ignored, as in mmpretrain;
 * a warning is returned).
 *
 * @param namedParams e.g. `model.namedParameters()`.
 * @param optimizerDefaults base lr and weight decay (for the summaries).
 * @throws ConfigError on malformed `customKeys`; Error when a rule needs an
 *   option (`isNormParam`, `layerId`) that is missing.
 */
export function buildParamGroups(
  namedParams: Iterable<readonly [string, Parameter]>,
  optimizerDefaults: OptimizerDefaults,
  paramwiseCfg: ParamwiseOptions = {},
  options: BuildParamGroupsOptions = {},
): ParamGroupsResult {
  const customKeys = parseCustomKeys(paramwiseCfg.customKeys ?? {});
  const sortedKeys = sortCustomKeys(customKeys.keys());
  const normDecayMult = paramwiseCfg.normDecayMult ?? null;
  const biasDecayMult = paramwiseCfg.biasDecayMult ?? null;
  const layerDecayRate = paramwiseCfg.layerDecayRate ?? null;
  if (normDecayMult !== null && options.isNormParam === undefined) {
    throw new Error('buildParamGroups: normDecayMult is set but no isNormParam predicate was given (use normParamPredicate(model))');
  }
  if (layerDecayRate !== null && options.layerId === undefined) {
    throw new Error('buildParamGroups: layerDecayRate is set but no layerId function was given (e.g. swinLayerId)');
  }
  const isNorm = options.isNormParam ?? (() => false);
  const warnings: string[] = [];
  const frozen: string[] = [];
  const usedKeys = new Set<string>();

  interface Draft {
    lrMult: number;
    decayMult: number;
    params: ParamRef[];
    numElements: number;
    patterns: string[];
    layerIds: Set<number>;
  }
  const drafts = new Map<string, Draft>();
  let ignoredLrMult = false;

  for (const [name, param] of namedParams) {
    if (!param.requiresGrad) {
      frozen.push(name);
      continue;
    }
    let lrMult = 1;
    let decayMult = 1;
    const key = sortedKeys.find((k) => name.includes(k));
    if (key !== undefined) {
      usedKeys.add(key);
      const custom = customKeys.get(key) as Required<CustomKeyOptions>;
      lrMult = custom.lrMult;
      decayMult = custom.decayMult;
      if (layerDecayRate !== null && custom.lrMult !== 1) ignoredLrMult = true;
    } else if (normDecayMult !== null && isNorm(name)) {
      decayMult = normDecayMult;
    } else if (biasDecayMult !== null && (name === 'bias' || name.endsWith('.bias'))) {
      decayMult = biasDecayMult;
    }
    let layerIdValue: number | null = null;
    if (layerDecayRate !== null) {
      const id = (options.layerId as (n: string) => LayerId)(name);
      layerIdValue = id.layerId;
      lrMult = layerDecayScale(id, layerDecayRate);
    }
    const groupKey = `${lrMult}|${decayMult}`;
    let draft = drafts.get(groupKey);
    if (draft === undefined) {
      draft = { lrMult, decayMult, params: [], numElements: 0, patterns: [], layerIds: new Set() };
      drafts.set(groupKey, draft);
    }
    draft.params.push({ name, variable: param.variable });
    draft.numElements += param.variable.size;
    const pattern = namePattern(name);
    if (!draft.patterns.includes(pattern)) draft.patterns.push(pattern);
    if (layerIdValue !== null) draft.layerIds.add(layerIdValue);
  }

  for (const key of sortedKeys) {
    if (!usedKeys.has(key)) warnings.push(`paramwiseCfg.customKeys '${key}' matches no trainable parameter`);
  }
  if (ignoredLrMult) warnings.push('paramwiseCfg.customKeys lrMult is ignored with layerDecayRate (as in mmpretrain)');

  const groups: ParamGroupInput[] = [];
  const summaries: ParamGroupSummary[] = [];
  [...drafts.values()].forEach((d, i) => {
    const label = `group${i}`;
    groups.push({ params: d.params, lrMult: d.lrMult, decayMult: d.decayMult, label });
    summaries.push({
      label,
      lr: optimizerDefaults.lr * d.lrMult,
      weightDecay: optimizerDefaults.weightDecay * d.decayMult,
      lrMult: d.lrMult,
      decayMult: d.decayMult,
      numTensors: d.params.length,
      numElements: d.numElements,
      patterns: d.patterns,
      layerIds: [...d.layerIds].sort((a, b) => a - b),
    });
  });
  return { groups, summaries, warnings, frozen };
}

/**
 * One line per group for the training log, e.g.
 * `group1: 24 tensors (1,234 params), lr 1.000e-4 (×1), wd 0 (×0): backbone.layers.*.blocks.*.norm1.weight, …`.
 *
 * @param maxPatterns patterns listed per group before eliding. Default 6.
 */
export function formatParamGroups(summaries: readonly ParamGroupSummary[], maxPatterns = 6): string[] {
  return summaries.map((s) => {
    const shown = s.patterns.slice(0, maxPatterns).join(', ');
    const more = s.patterns.length > maxPatterns ? `, … (+${s.patterns.length - maxPatterns} more)` : '';
    const layers = s.layerIds.length > 0 ? `, layers ${s.layerIds.join(',')}` : '';
    return (
      `${s.label}: ${s.numTensors} tensors (${s.numElements.toLocaleString('en-US')} params), ` +
      `lr ${s.lr.toExponential(3)} (×${formatMult(s.lrMult)}), wd ${formatNum(s.weightDecay)} (×${formatMult(s.decayMult)})` +
      `${layers}: ${shown}${more}`
    );
  });
}

function formatMult(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

function formatNum(x: number): string {
  return x === 0 ? '0' : x.toExponential(3);
}
