/**
 * `DistillationHook`: trains the runner's classifier (the student) through a
 * {@link Distiller} against the frozen teacher the runner was given
 * (`Runner.create` loads it from `distillation.teacherConfig/teacherWeights`).
 * Evaluation and the saved weights stay the student's. Built from the config's
 * `distillation` section.
 */
import { ConfigError } from '../../core/errors.js';
import type { DistillationConfig } from '../../config/schema.js';
import { ImageClassifier } from '../../models/image_classifier.js';
import { Distiller } from '../distillation.js';
import { PRIORITIES, type Hook, type HookRunner } from './hook.js';

/** Swaps the loss model for a distiller before training. Priority HIGHEST (before any hook looks at the training step). */
export class DistillationHook implements Hook {
  readonly name = 'DistillationHook';
  priority: number = PRIORITIES.HIGHEST;
  private distiller: Distiller | null = null;
  private readonly teacher: ImageClassifier;

  /**
   * @param teacher the frozen teacher (owned by this hook from now on).
   * @throws ConfigError without a teacher.
   */
  constructor(
    readonly options: DistillationConfig,
    teacher: ImageClassifier | undefined,
  ) {
    if (teacher === undefined) throw new ConfigError('distillation: build the runner with Runner.create so that the teacher is loaded');
    this.teacher = teacher;
  }

  beforeRun(runner: HookRunner): void {
    if (this.distiller !== null) return;
    const teacher = this.teacher;
    if (!(runner.model instanceof ImageClassifier)) throw new ConfigError('distillation: the student must be an ImageClassifier');
    this.distiller = new Distiller(runner.model, teacher, this.options);
    runner.setLossModel(this.distiller);
    const o = this.options;
    runner.progress.message(`distillation: ${o.type}, alpha ${o.alpha}, T ${o.temperature}, ` + `teacher ${o.teacherConfig} (${teacher.numParameters().toLocaleString('en')} parameters, frozen)`);
  }

  /** Frees the teacher. */
  dispose(): void {
    if (this.distiller !== null) this.distiller.dispose();
    else this.teacher.dispose();
    this.distiller = null;
  }
}
