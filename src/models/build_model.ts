/** Building the model of a config. */
import type { RootConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { MODELS } from '../registry/registries.js';
import { Model } from './base_model.js';

/**
 * Builds `config.model`.
 * @param numClasses known from a dataset, used where the config leaves it unset.
 */
export function buildModel(config: RootConfig, numClasses: number | null = null): Model {
  const model = MODELS.build(config.model, { numClasses }, 'model');
  if (!(model instanceof Model)) throw new ConfigError(`model: '${String(config.model?.type)}' did not build a Model`);
  return model;
}
