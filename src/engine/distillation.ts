/**
 * Knowledge distillation of classifiers (Hinton et al. 2015; DeiT, Touvron et
 * al. 2021): a frozen teacher, built from its own config and weights, guides a
 * student through an extra loss term.
 *
 * With student logits `s` (the distillation head's when the student has a
 * distillation token, else the class head's), teacher logits `t`, labels `y`
 * and weight α:
 *
 *   loss = (1 − α) · CE(s_cls, y) + α · L_distill
 *   soft: L_distill = T² · mean_batch KL(softmax(t/T) ‖ softmax(s/T))
 *   hard: L_distill = CE(s, argmax t)          (DeiT's hard distillation)
 */
import { tf } from '../core/tf.js';
import { ConfigError } from '../core/errors.js';
import { loadConfig } from '../config/load_config.js';
import { validateConfig, type DistillationConfig } from '../config/schema.js';
import { buildModel } from '../models/build_model.js';
import { Model, type LossDict } from '../models/base_model.js';
import { ImageClassifier } from '../models/image_classifier.js';
import { loadWeightsInto } from '../checkpoint/weights.js';
import type { Batch } from '../structures/data_sample.js';
import type { Prediction } from '../structures/prediction.js';

/** `T² · mean over the batch of KL(softmax(teacher/T) ‖ softmax(student/T))`. Logits `[B, K]`. */
export function softDistillationLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(student.div(temperature), -1);
    const logPt = tf.logSoftmax(teacher.div(temperature), -1);
    const kl = logPt.exp().mul(logPt.sub(logPs)).sum(-1); // [B]
    return kl.mean().mul(temperature * temperature) as tf.Scalar;
  });
}

/** Cross-entropy of the student against the teacher's arg-max classes (DeiT hard distillation). Logits `[B, K]`. */
export function hardDistillationLoss(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const targets = teacher.argMax(-1); // [B]
    const logPs = tf.logSoftmax(student, -1);
    return logPs.mul(tf.oneHot(targets, student.shape[1]).cast('float32')).sum(-1).neg().mean() as tf.Scalar;
  });
}

/**
 * A student trained against a frozen teacher: used for the training step only;
 * the optimizer, evaluation and saved weights are the student's (which this
 * wrapper does not own).
 */
export class Distiller extends Model {
  readonly task = 'classification' as const;
  private teacherLogits: tf.Tensor2D | null = null;

  constructor(
    readonly student: ImageClassifier,
    readonly teacher: Model & { forward(images: tf.Tensor4D): tf.Tensor2D },
    readonly options: DistillationConfig,
  ) {
    super();
    teacher.freeze();
    teacher.eval();
  }

  get backbone(): ImageClassifier['backbone'] {
    return this.student.backbone;
  }

  /** Teacher logits, computed outside the gradient tape. */
  override beforeLoss(batch: Batch): void {
    this.afterLoss();
    this.teacherLogits = tf.tidy(() => this.teacher.forward(batch.inputs));
  }

  override afterLoss(): void {
    this.teacherLogits?.dispose();
    this.teacherLogits = null;
  }

  loss(batch: Batch): LossDict {
    const teacher = this.teacherLogits;
    if (teacher === null) throw new Error('Distiller.loss: beforeLoss(batch) was not called');
    const { alpha, temperature, type } = this.options;
    return tf.tidy(() => {
      const { cls, dist } = this.student.forwardTrain(batch.inputs);
      if (cls.shape[1] !== teacher.shape[1]) {
        throw new ConfigError(`distillation: the student predicts ${cls.shape[1]} classes but the teacher ${teacher.shape[1]}`);
      }
      const base = this.student.head.loss(cls, this.student.labels(batch));
      const target = dist ?? cls;
      const distill = type === 'soft' ? softDistillationLoss(target, teacher, temperature) : hardDistillationLoss(target, teacher);
      return { loss_ce: base.mul(1 - alpha) as tf.Scalar, loss_distill: distill.mul(alpha) as tf.Scalar };
    });
  }

  predict(batch: Batch): Promise<Prediction[]> {
    return this.student.predict(batch);
  }

  forwardRaw(images: tf.Tensor4D): tf.Tensor[] {
    return this.student.forwardRaw(images);
  }

  /** Frees the teacher (the student belongs to the runner). */
  override dispose(): void {
    this.afterLoss();
    this.teacher.dispose();
  }
}

/**
 * Builds the frozen teacher of a distillation config: its own config, its weights (strict).
 * @param numClasses the student's dataset classes, used where the teacher's config leaves it unset.
 */
export async function buildTeacher(config: DistillationConfig, numClasses: number | null = null): Promise<ImageClassifier> {
  if (config.teacherConfig === null || config.teacherWeights === null) {
    throw new ConfigError('distillation: teacherConfig and teacherWeights are both required');
  }
  const teacherConfig = validateConfig(await loadConfig(config.teacherConfig), config.teacherConfig);
  const teacher = buildModel(teacherConfig, numClasses);
  if (!(teacher instanceof ImageClassifier)) {
    throw new ConfigError(`distillation.teacherConfig ${config.teacherConfig}: the teacher must be an ImageClassifier, got ${teacher.constructor.name}`);
  }
  loadWeightsInto(teacher, config.teacherWeights);
  return teacher;
}
