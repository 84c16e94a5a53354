/** Layer ids of parameters, reported by backbones for layer-wise learning-rate decay. */

/** A parameter's layer id for layer-wise lr decay: `lr scale = rate^(numLayers + 1 − layerId)`. */
export interface LayerId {
  /** Depth of the parameter: 0 for the stem … `numLayers + 1` for everything after the backbone. */
  layerId: number;
  /** Number of backbone layers (blocks). */
  numLayers: number;
}
