/**
 * Builds a run's hooks from its config: the default hooks (`defaultHooks`),
 * the NaN guard (`nanGuard`), distillation (`distillation`, when set) and the
 * user's `customHooks`, sorted by priority (stable: equal priorities keep this
 * order, as mmengine's `register_hook`).
 */
import type { RootConfig, HookConfig } from '../../config/schema.js';
import { HOOKS } from '../../registry/registries.js';
import type { ImageClassifier } from '../../models/image_classifier.js';
import { priorityValue, type Hook } from './hook.js';
import { NanGuardHook } from './nan_guard_hook.js';
import { DistillationHook } from './distillation_hook.js';

/** Builds one hook from its (validated) config; `priority` overrides the hook's own. */
export function buildHook(config: HookConfig, path: string): Hook {
  const { priority, ...rest } = config;
  const hook = HOOKS.build(rest, {}, path);
  if (priority !== undefined) hook.priority = priorityValue(priority, `${path}.priority`);
  return hook;
}

/** Inserts `hook` after every hook of lower or equal priority (stable order). */
export function insertByPriority(hooks: Hook[], hook: Hook): void {
  let i = hooks.length;
  while (i > 0 && hooks[i - 1].priority > hook.priority) i--;
  hooks.splice(i, 0, hook);
}

/** Every hook of a run, in calling order. */
export function buildHooks(config: RootConfig, teacher: ImageClassifier | undefined): Hook[] {
  const hooks: Hook[] = [];
  const dh = config.defaultHooks;
  insertByPriority(hooks, buildHook(dh.checkpoint, 'defaultHooks.checkpoint'));
  insertByPriority(hooks, buildHook(dh.logger, 'defaultHooks.logger'));
  if (dh.progressBar !== null) insertByPriority(hooks, buildHook(dh.progressBar, 'defaultHooks.progressBar'));
  insertByPriority(hooks, new NanGuardHook(config.nanGuard));
  if (config.distillation !== null) insertByPriority(hooks, new DistillationHook(config.distillation, teacher));
  config.customHooks.forEach((h, i) => insertByPriority(hooks, buildHook(h, `customHooks.${i}`)));
  return hooks;
}
