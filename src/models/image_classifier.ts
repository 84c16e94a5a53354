import { tf } from '../core/tf.js';
import { ConfigError } from '../core/errors.js';
import type { Backbone } from '../backbones/backbone.js';
import type { ComponentConfig } from '../registry/options.js';
import type { ComponentSpec } from '../registry/registry.js';
import { BACKBONES, HEADS, type ModelContext } from '../registry/registries.js';
import { isClsHead, type ClsHead, type ClsHeadTrainLogits } from '../heads/classification/cls_head.js';
import type { Batch } from '../structures/data_sample.js';
import type { ClassPrediction } from '../structures/prediction.js';
import { Model, type LossDict } from './base_model.js';
import { globalRng } from '../core/rng.js';
import { MIXUP_DEFAULTS, Mixup, rngMixupDraws, type MixupOptions } from './batch_augments/mixup.js';

/** Options of {@link ImageClassifier}. */
export interface ImageClassifierOptions {
  /** Backbone config. */
  backbone: ComponentConfig | null;
  /** Classification head config. */
  head: ComponentConfig | null;
  /**
   * timm-style Mixup/CutMix applied to every training batch (see `MixupOptions`:
   * `mixupAlpha`, `cutmixAlpha`, `cutmixMinmax`, `prob`, `switchProb`, `mode`,
   * `correctLam`, `labelSmoothing`), or null. The head's loss must take soft targets. Default null.
   */
  batchAugments: Partial<MixupOptions> | null;
}

/** The heads an {@link ImageClassifier} accepts: any {@link ClsHead}. */
export type ClassificationHead = ClsHead;

/** Backbone → classification head. Parameters: `backbone.*`, `head.*`. */
export class ImageClassifier extends Model {
  readonly task = 'classification' as const;

  constructor(
    readonly backbone: Backbone,
    readonly head: ClassificationHead,
    /** Mixup/CutMix of training batches (drawn from the seeded global generator), or null. */
    readonly mixup: Mixup | null = null,
  ) {
    super();
    this.addModule('backbone', backbone);
    this.addModule('head', head);
  }

  /** `[B, H, W, 3]` → logits `[B, numClasses]`. */
  forward(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.head.forward(this.backbone.forward(images)));
  }

  /**
   * Training-time logits: `cls` from the class head and, for DeiT-style heads
   * with a distillation token, `dist` from the distillation head (else null).
   */
  forwardTrain(images: tf.Tensor4D): ClsHeadTrainLogits {
    const features = this.backbone.forward(images);
    try {
      if (this.head.forwardTrain !== undefined) return this.head.forwardTrain(features);
      return { cls: this.head.forward(features), dist: null };
    } finally {
      tf.dispose(features);
    }
  }

  /** The int32 labels `[B]` of a batch. */
  labels(batch: Batch): tf.Tensor1D {
    return tf.tensor1d(
      batch.samples.map((s, i) => {
        if (s.gtLabel === undefined) throw new Error(`ImageClassifier: sample ${i} (${s.imgPath}) has no gtLabel`);
        return s.gtLabel;
      }),
      'int32',
    );
  }

  forwardRaw(images: tf.Tensor4D): tf.Tensor[] {
    return [this.forward(images)];
  }

  /** The head's loss; in training mode with {@link mixup}, on mixed images against soft targets `[B, K]`. */
  loss(batch: Batch): LossDict {
    return tf.tidy(() => {
      if (this.mixup !== null && this.training) {
        const labels = batch.samples.map((s, i) => {
          if (s.gtLabel === undefined) throw new Error(`ImageClassifier: sample ${i} (${s.imgPath}) has no gtLabel`);
          return s.gtLabel;
        });
        const mixed = this.mixup.apply(batch.inputs, labels, rngMixupDraws(globalRng()));
        return { [this.head.lossFn.name]: this.head.loss(this.forward(mixed.inputs), mixed.target) };
      }
      return { [this.head.lossFn.name]: this.head.loss(this.forward(batch.inputs), this.labels(batch)) };
    });
  }

  /** Softmax scores and arg-max per image. */
  async predict(batch: Batch): Promise<ClassPrediction[]> {
    const probs = tf.tidy(() => tf.softmax(this.forward(batch.inputs)));
    const [b, k] = probs.shape;
    const data = probs.dataSync() as Float32Array;
    probs.dispose();
    const out: ClassPrediction[] = [];
    for (let i = 0; i < b; i++) {
      const scores = data.slice(i * k, (i + 1) * k);
      let label = 0;
      for (let j = 1; j < k; j++) if (scores[j] > scores[label]) label = j;
      out.push({ kind: 'class', scores, label });
    }
    return out;
  }
}

/** Registry entry of {@link ImageClassifier}. */
export const imageClassifierSpec: ComponentSpec<ImageClassifierOptions, ImageClassifier, ModelContext> = {
  name: 'ImageClassifier',
  description: 'backbone + classification head',
  defaults: { backbone: null, head: null, batchAugments: null },
  kinds: { batchAugments: ['object', 'null'] },
  children: { backbone: { registry: 'backbones' }, head: { registry: 'heads' } },
  required: ['backbone', 'head'],
  docs: { backbone: 'backbone config', head: 'classification head config', batchAugments: 'timm Mixup/CutMix options for training batches, or null' },
  build(options, context, path) {
    const backbone = BACKBONES.build(options.backbone, {}, `${path}.backbone`);
    const head = HEADS.build(options.head, { inputs: backbone.outputSpecs, numClasses: context.numClasses }, `${path}.head`);
    if (!isClsHead(head)) {
      throw new ConfigError(
        `${path}.head: ImageClassifier needs a classification head (the ClsHead interface: headKind 'classification', numClasses, forward, loss), got '${String(options.head?.type)}'`,
      );
    }
    let mixup: Mixup | null = null;
    if (options.batchAugments !== null) {
      const where = `${path}.batchAugments`;
      for (const key of Object.keys(options.batchAugments)) {
        if (!(key in MIXUP_DEFAULTS)) throw new ConfigError(`Unknown option '${key}' at ${where}.${key} for Mixup; valid: ${Object.keys(MIXUP_DEFAULTS).join(', ')}`);
      }
      if (!head.lossFn.targets.includes('soft')) throw new ConfigError(`${where}: Mixup gives soft targets, but the head's loss takes only ${head.lossFn.targets.join(', ')}`);
      try {
        mixup = new Mixup(options.batchAugments, head.numClasses);
      } catch (err) {
        if (err instanceof ConfigError) throw new ConfigError(`${where}: ${err.message}`);
        throw err;
      }
    }
    return new ImageClassifier(backbone, head, mixup);
  },
};
