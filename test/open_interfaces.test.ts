/**
 * Issue 16 part 3: a head and a loss written outside the framework (here) plug
 * into an ImageClassifier and an EncoderDecoder by config, through the ClsHead,
 * DecodeHead and LogitLoss interfaces — no framework class is extended or named.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { ConfigError } from '../src/core/errors.js';
import { Module } from '../src/nn/module.js';
import { Linear } from '../src/nn/layers/linear.js';
import { Conv2d } from '../src/nn/layers/conv2d.js';
import { resizeBilinear } from '../src/nn/functional/resize.js';
import type { FeatureSpec } from '../src/backbones/backbone.js';
import { HEADS, LOSSES, MODELS } from '../src/registry/registries.js';
import type { ClsHead } from '../src/heads/classification/cls_head.js';
import type { DecodeHead, SegLossDict } from '../src/heads/segmentation/decode_head.js';
import { asLogitLoss, type LogitLoss, type LogitLossCall, type LogitTarget } from '../src/losses/loss.js';
import type { ComponentConfig } from '../src/registry/options.js';
import { ImageClassifier } from '../src/models/image_classifier.js';
import { EncoderDecoder } from '../src/models/encoder_decoder.js';
import { sampleForImage, type Batch } from '../src/structures/data_sample.js';
import { useBackend } from './helpers.js';

/** Mean squared error between softmax probabilities and one-hot targets (a user's loss). */
class ProbSquaredLoss implements LogitLoss {
  readonly name = 'loss_sq';
  readonly targets: readonly LogitTarget[] = ['labels', 'pixels'];
  constructor(readonly weight: number) {}
  forward(logits: tf.Tensor, target: tf.Tensor, call: LogitLossCall = {}): tf.Scalar {
    return tf.tidy(() => {
      const k = logits.shape[logits.rank - 1] as number;
      const p = tf.softmax(logits.reshape([-1, k])); // [N, K]
      const labels = target.reshape([-1]).cast('int32'); // [N]
      const valid = call.ignoreIndex == null ? tf.onesLike(labels).cast('float32') : labels.notEqual(call.ignoreIndex).cast('float32');
      const onehot = tf.oneHot(labels.mul(valid.cast('int32')), k).cast('float32');
      return p.sub(onehot).square().sum(-1).mul(valid).sum().div(valid.sum().maximum(1)).mul(this.weight) as tf.Scalar;
    });
  }
}

/** Max-pools the last feature map, then a linear layer (a user's classification head). */
class MaxPoolClsHead extends Module implements ClsHead {
  readonly headKind = 'classification' as const;
  readonly fc: Linear;
  constructor(
    inputs: readonly FeatureSpec[],
    readonly numClasses: number,
    readonly lossFn: LogitLoss,
  ) {
    super();
    this.fc = this.addModule('fc', new Linear(inputs[inputs.length - 1].channels, numClasses));
  }
  forward(features: tf.Tensor4D[]): tf.Tensor2D {
    return tf.tidy(() => this.fc.forward(features[features.length - 1].max([1, 2])) as tf.Tensor2D);
  }
  loss(logits: tf.Tensor2D, target: tf.Tensor1D | tf.Tensor2D): tf.Scalar {
    return this.lossFn.forward(logits, target);
  }
}

/** A 1×1 conv on the finest map (a user's decode head). */
class PointwiseDecodeHead extends Module implements DecodeHead {
  readonly headKind = 'segmentation' as const;
  readonly alignCorners = false;
  readonly conv: Conv2d;
  constructor(
    inputs: readonly FeatureSpec[],
    readonly numClasses: number,
    readonly lossFn: LogitLoss,
  ) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inputs[0].channels, numClasses, 1));
  }
  forward(features: readonly tf.Tensor4D[]): tf.Tensor4D {
    return this.conv.forward(features[0]);
  }
  predict(features: readonly tf.Tensor4D[], size: readonly [number, number]): tf.Tensor4D {
    return tf.tidy(() => resizeBilinear(this.forward(features), size, false));
  }
  loss(logits: tf.Tensor4D, labels: tf.Tensor3D, prefix = ''): SegLossDict {
    return tf.tidy(() => {
      const resized = resizeBilinear(logits, [labels.shape[1], labels.shape[2]], false);
      return { [`${prefix}${this.lossFn.name}`]: this.lossFn.forward(resized, labels, { ignoreIndex: 255 }) };
    });
  }
}

const buildLoss = (cfg: ComponentConfig, path: string, target: LogitTarget, owner: string): LogitLoss => asLogitLoss(LOSSES.build(cfg, {}, path), target, path, owner);

beforeAll(async () => {
  await useBackend('cpu');
  LOSSES.register({ name: 'ProbSquaredLoss', description: 'test loss', defaults: { weight: 1 }, build: (o) => new ProbSquaredLoss(o.weight) });
  HEADS.register({
    name: 'MaxPoolClsHead',
    description: 'test head',
    defaults: { numClasses: 3, loss: { type: 'ProbSquaredLoss' } as ComponentConfig },
    children: { loss: { registry: 'losses' } },
    build: (o, ctx, path) => new MaxPoolClsHead(ctx.inputs, o.numClasses, buildLoss(o.loss, `${path}.loss`, 'labels', 'MaxPoolClsHead')),
  });
  HEADS.register({
    name: 'PointwiseDecodeHead',
    description: 'test decode head',
    defaults: { numClasses: 3, loss: { type: 'ProbSquaredLoss' } as ComponentConfig },
    children: { loss: { registry: 'losses' } },
    build: (o, ctx, path) => new PointwiseDecodeHead(ctx.inputs, o.numClasses, buildLoss(o.loss, `${path}.loss`, 'pixels', 'PointwiseDecodeHead')),
  });
});

const TINY_SWIN = { type: 'SwinTransformer', arch: null, embedDim: 8, depths: [1, 1], numHeads: [1, 2], windowSize: 4, dropPathRate: 0, outIndices: [0, 1] };

function batchOf(images: tf.Tensor4D, labels: number[]): Batch {
  return { inputs: images, samples: labels.map((l) => ({ ...sampleForImage(16, 16), gtLabel: l })) };
}

describe('user-defined heads and losses by config', () => {
  it('a classifier trains with a head and a loss from this file', () => {
    const model = MODELS.build({ type: 'ImageClassifier', backbone: TINY_SWIN, head: { type: 'MaxPoolClsHead', loss: { type: 'ProbSquaredLoss', weight: 2 } } }, { numClasses: null }, 'model');
    expect(model).toBeInstanceOf(ImageClassifier);
    const clf = model as ImageClassifier;
    expect(clf.head).toBeInstanceOf(MaxPoolClsHead);
    const images = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    const batch = batchOf(images, [0, 2]);
    const losses = clf.loss(batch);
    expect(Object.keys(losses)).toEqual(['loss_sq']);
    // The same value from the head's logits, computed here.
    const expected = tf.tidy(() => {
      const p = tf.softmax(clf.forward(images));
      return p
        .sub(tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3).cast('float32'))
        .square()
        .sum(-1)
        .mean()
        .mul(2);
    });
    expect(losses.loss_sq.dataSync()[0]).toBeCloseTo(expected.dataSync()[0], 5);
    // Gradients reach the user's head through the framework's loss path.
    const fc = (clf.head as MaxPoolClsHead).fc.weight.variable;
    const { grads } = tf.variableGrads(() => clf.loss(batch).loss_sq, [fc]);
    expect(tf.abs(grads[fc.name]).sum().dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([images, expected, ...Object.values(losses), ...Object.values(grads)]);
  });

  it('a segmentor trains with a decode head and a loss from this file', () => {
    const model = MODELS.build(
      {
        type: 'EncoderDecoder',
        backbone: TINY_SWIN,
        decodeHead: { type: 'PointwiseDecodeHead' },
        auxiliaryHead: { type: 'FCNHead', numClasses: 3, channels: 4, numConvs: 1, concatInput: false, lossDecode: { type: 'ProbSquaredLoss', weight: 0.4 } },
      },
      { numClasses: null },
      'model',
    ) as EncoderDecoder;
    expect(model).toBeInstanceOf(EncoderDecoder);
    expect(model.decodeHead).toBeInstanceOf(PointwiseDecodeHead);
    const images = tf.randomUniform([1, 16, 16, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const label = new Uint8Array(16 * 16).map((_, i) => (i % 16 < 8 ? 1 : i < 8 ? 255 : 2));
    const batch: Batch = { inputs: images, samples: [{ ...sampleForImage(16, 16), gtSemSeg: { data: label, height: 16, width: 16 } }] };
    const before = tf.memory().numTensors;
    const losses = model.loss(batch);
    expect(Object.keys(losses).sort()).toEqual(['aux.loss_sq', 'decode.loss_sq']);
    for (const v of Object.values(losses)) expect(Number.isFinite(v.dataSync()[0]) && v.dataSync()[0] > 0).toBe(true);
    tf.dispose(Object.values(losses));
    expect(tf.memory().numTensors).toBe(before);
    const [seg] = model.forwardRaw(images);
    expect(seg.shape).toEqual([1, 4, 4, 3]); // the head's logits at stride 4
    tf.dispose([seg, images]);
  });

  it('a loss that lacks the target form a head needs is refused, naming both', () => {
    expect(() => MODELS.build({ type: 'ImageClassifier', backbone: TINY_SWIN, head: { type: 'LinearClsHead', numClasses: 3, loss: { type: 'DiceLoss' } } }, { numClasses: null }, 'model')).toThrow(
      /model\.head\.loss: LinearClsHead needs a loss taking 'labels' targets; DiceLoss takes 'pixels'/,
    );
    expect(() => MODELS.build({ type: 'ImageClassifier', backbone: TINY_SWIN, head: { type: 'LinearClsHead', numClasses: 3, loss: { type: 'FocalLoss' } } }, { numClasses: null }, 'model')).toThrow(
      ConfigError,
    );
  });

  it('a segmentation head in a classifier (and back) is refused by interface', () => {
    expect(() => MODELS.build({ type: 'ImageClassifier', backbone: TINY_SWIN, head: { type: 'PointwiseDecodeHead' } }, { numClasses: null }, 'model')).toThrow(
      /model\.head: ImageClassifier needs a classification head \(the ClsHead interface.*got 'PointwiseDecodeHead'/,
    );
    expect(() => MODELS.build({ type: 'EncoderDecoder', backbone: TINY_SWIN, decodeHead: { type: 'MaxPoolClsHead' } }, { numClasses: null }, 'model')).toThrow(
      /model\.decodeHead: EncoderDecoder needs a segmentation decode head \(the DecodeHead interface.*got 'MaxPoolClsHead'/,
    );
  });
});
