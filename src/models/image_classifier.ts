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

/** Options of {@link ImageClassifier}. */
export interface ImageClassifierOptions {
  /** Backbone config. */
  backbone: ComponentConfig | null;
  /** Classification head config. */
  head: ComponentConfig | null;
}

/** The heads an {@link ImageClassifier} accepts: any {@link ClsHead}. */
export type ClassificationHead = ClsHead;

/** Backbone → classification head. Parameters: `backbone.*`, `head.*`. */
export class ImageClassifier extends Model {
  readonly task = 'classification' as const;

  constructor(
    readonly backbone: Backbone,
    readonly head: ClassificationHead,
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

  loss(batch: Batch): LossDict {
    return tf.tidy(() => ({ [this.head.lossFn.name]: this.head.loss(this.forward(batch.inputs), this.labels(batch)) }));
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
  defaults: { backbone: null, head: null },
  children: { backbone: { registry: 'backbones' }, head: { registry: 'heads' } },
  required: ['backbone', 'head'],
  docs: { backbone: 'backbone config', head: 'classification head config' },
  build(options, context, path) {
    const backbone = BACKBONES.build(options.backbone, {}, `${path}.backbone`);
    const head = HEADS.build(options.head, { inputs: backbone.outputSpecs, numClasses: context.numClasses }, `${path}.head`);
    if (!isClsHead(head)) {
      throw new ConfigError(
        `${path}.head: ImageClassifier needs a classification head (the ClsHead interface: headKind 'classification', numClasses, forward, loss), got '${String(options.head?.type)}'`,
      );
    }
    return new ImageClassifier(backbone, head);
  },
};
