import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { ConfigError } from '../src/core/errors.js';
import '../src/registry/builtins.js';
import { BACKBONES, MODELS } from '../src/registry/registries.js';
import { ResNet } from '../src/backbones/resnet/resnet.js';
import { BatchNorm2d } from '../src/nn/layers/batch_norm.js';
import type { ImageClassifier } from '../src/models/image_classifier.js';
import { hostToTensor, loadWeightsInto, readWeights } from '../src/checkpoint/weights.js';
import { convertStateDict } from '../src/checkpoint/convert/convert.js';
import type { HostStateDict } from '../src/checkpoint/convert/layout.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend } from './helpers.js';

const dir = new URL('./fixtures/resnet/', import.meta.url).pathname;

/** The slimmed torchvision models of make_resnet_fixtures.py: ResNet-18 / -50 block structure, narrower. */
const MODELS_UNDER_TEST = [
  {
    tag: 'r18',
    depth: 18,
    baseChannels: 8,
    file: 'resnet18_slim.pth',
    shapes: [
      [2, 16, 21, 8],
      [2, 8, 11, 16],
      [2, 4, 6, 32],
      [2, 2, 3, 64],
    ],
  },
  {
    tag: 'r50',
    depth: 50,
    baseChannels: 4,
    file: 'resnet50_slim.pth',
    shapes: [
      [2, 16, 21, 16],
      [2, 8, 11, 32],
      [2, 4, 6, 64],
      [2, 2, 3, 128],
    ],
  },
] as const;

/** The `backbone.*` tensors of a converted checkpoint, without the prefix, as tfjs tensors (caller disposes). */
function backboneTensors(state: HostStateDict): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [k, v] of state) if (k.startsWith('backbone.')) out.set(k.slice('backbone.'.length), hostToTensor(v, k));
  return out;
}

describe.each(TEST_BACKENDS)('ResNet reproduces torchvision on %s', (backend) => {
  let io: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    io = loadFixture(`${dir}resnet_io.safetensors`);
  });
  afterAll(() => tf.dispose([...io.values()]));

  for (const m of MODELS_UNDER_TEST) {
    it(`${m.file}: resnet-torchvision conversion, strict backbone load, all four stages within 1e-4 at 61x83`, () => {
      const { state, conversion } = readWeights(`${dir}${m.file}`);
      expect(conversion?.layout).toBe('resnet-torchvision');
      expect(conversion?.keptAsIs).toEqual([]);
      expect(conversion?.mapped).toBe(state.size);
      expect([...state.keys()].filter((k) => !k.startsWith('backbone.'))).toEqual(['head.fc.weight', 'head.fc.bias']);
      const backbone = BACKBONES.build({ type: 'ResNet', depth: m.depth, baseChannels: m.baseChannels }, {}, 'backbone');
      const tensors = backboneTensors(state);
      const report = backbone.loadStateDict(tensors, { strict: true });
      expect(report.loaded.length).toBe(tensors.size);
      backbone.eval();
      const outs = backbone.forward(nhwc(fixture(io, 'input')));
      expect(outs.map((o) => o.shape)).toEqual(m.shapes);
      expect(backbone.outputSpecs.map((s) => s.channels)).toEqual(m.shapes.map((s) => s[3]));
      outs.forEach((o, i) => expectClose(o, nhwc(fixture(io, `${m.tag}.stage${i + 1}`)), 1e-4, `${m.tag} stage${i + 1}`));
      tf.dispose([...outs, ...tensors.values()]);
      backbone.dispose();
    });

    it(`${m.file}: ImageClassifier + LinearClsHead (head.fc) reproduces torchvision's logits`, () => {
      const model = MODELS.build(
        {
          type: 'ImageClassifier',
          backbone: { type: 'ResNet', depth: m.depth, baseChannels: m.baseChannels },
          head: { type: 'LinearClsHead', numClasses: 7 },
        },
        { numClasses: null },
        'model',
      ) as ImageClassifier;
      const report = loadWeightsInto(model, `${dir}${m.file}`);
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      model.eval();
      const logits = model.forward(nhwc(fixture(io, 'input')));
      expectClose(logits, fixture(io, `${m.tag}.logits`), 1e-4, `${m.tag} logits`);
      logits.dispose();
      model.dispose();
    });
  }
});

describe('ResNet checkpoint layouts', () => {
  beforeAll(async () => useBackend('cpu'));

  it('mmdet / mmseg / mmpretrain checkpoints (backbone.* with torchvision names, head.fc.*) are native: passed through', () => {
    // The converted torchvision checkpoint *is* the mmpretrain ResNet classifier layout.
    const { state } = readWeights(`${dir}resnet18_slim.pth`);
    const withNeck: HostStateDict = new Map(state);
    withNeck.set('neck.lateral_convs.0.conv.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    const { state: out, report } = convertStateDict(withNeck);
    expect(report.layout).toBe('native');
    expect([...out.keys()]).toEqual([...withNeck.keys()]);
  });

  it('a DataParallel (module.) torchvision checkpoint is detected and un-prefixed', () => {
    const { state } = readWeights(`${dir}resnet18_slim.pth`, { layout: 'native' });
    expect(state.has('layer1.0.conv1.weight')).toBe(true);
    const prefixed: HostStateDict = new Map([...state].map(([k, v]) => [`module.${k}`, v]));
    const { state: out, report } = convertStateDict(prefixed);
    expect(report.layout).toBe('resnet-torchvision');
    expect(out.has('backbone.layer4.1.bn2.running_var')).toBe(true);
    expect(out.has('head.fc.weight')).toBe(true);
  });
});

describe('ResNet structure and parameter counts (cpu)', () => {
  beforeAll(async () => useBackend('cpu'));

  // Verified with torchvision 0.14: sum of resnet{18,50}().parameters() minus fc.
  it.each([
    [18, 11_176_512, [64, 128, 256, 512]],
    [50, 23_508_032, [256, 512, 1024, 2048]],
  ])('ResNet-%d backbone (no fc) has %d parameters, as torchvision', (depth, count, channels) => {
    const backbone = new ResNet({ depth });
    expect(backbone.numParameters()).toBe(count);
    expect(backbone.outputSpecs).toEqual(channels.map((c, i) => ({ name: `stage${i + 1}`, channels: c, stride: 4 * 2 ** i })));
    backbone.dispose();
  });

  it("state-dict names are torchvision's", () => {
    const names = [...new ResNet({ depth: 50, baseChannels: 4 }).stateDict().keys()];
    for (const n of ['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']) {
      expect(names).toContain(n);
    }
    expect(names).toContain('layer1.0.downsample.0.weight');
    expect(names).toContain('layer3.5.conv3.weight');
    expect(names).toContain('layer4.0.downsample.1.num_batches_tracked');
    expect(names.some((n) => n.startsWith('fc.'))).toBe(false);
  });

  it('zeroInitResidual zeroes the last BatchNorm scale of each block; outIndices selects stages in stage order', () => {
    const r18 = new ResNet({ depth: 18, baseChannels: 4, zeroInitResidual: true, outIndices: [3, 1] });
    const r50 = new ResNet({ depth: 50, baseChannels: 4, zeroInitResidual: true });
    const sum = (m: ResNet, pattern: RegExp): number =>
      m
        .namedParameters()
        .filter(([n]) => pattern.test(n))
        .reduce((acc, [, p]) => acc + tf.tidy(() => p.value.abs().sum().dataSync()[0]), 0);
    expect(sum(r18, /\.bn2\.weight$/)).toBe(0);
    expect(sum(r18, /\.bn1\.weight$/)).toBeGreaterThan(0);
    expect(sum(r50, /\.bn3\.weight$/)).toBe(0);
    expect(r18.outputSpecs.map((s) => s.name)).toEqual(['stage2', 'stage4']);
    const outs = r18.eval().forward(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D);
    expect(outs.map((o) => o.shape)).toEqual([
      [1, 4, 4, 8],
      [1, 1, 1, 32],
    ]);
    tf.dispose(outs);
    r18.dispose();
    r50.dispose();
  });

  it('rejects invalid options with a ConfigError', () => {
    expect(() => BACKBONES.build({ type: 'ResNet' }, {}, 'backbone')).toThrow(ConfigError);
    expect(() => new ResNet({ depth: 20 })).toThrow(/depth 20/);
    expect(() => new ResNet({ depth: 18, outIndices: [4] })).toThrow(ConfigError);
    expect(() => new ResNet({ depth: 18, frozenStages: 5 })).toThrow(ConfigError);
  });
});

describe.each(TEST_BACKENDS)('ResNet frozenStages and normEval on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  const bnStats = (m: ResNet): Map<string, number[]> => new Map(m.namedBuffers().map(([n, b]) => [n, Array.from(b.dataSync())]));

  it.each([0, 2])('frozenStages %d: frozen parameters get no gradient and frozen BN statistics do not move', (k) => {
    const backbone = new ResNet({ depth: 18, baseChannels: 4, frozenStages: k });
    backbone.train();
    const frozenPrefixes = ['conv1.', 'bn1.', ...Array.from({ length: k }, (_, i) => `layer${i + 1}.`)];
    const isFrozen = (n: string): boolean => frozenPrefixes.some((p) => n.startsWith(p));
    for (const [n, p] of backbone.namedParameters()) expect(p.requiresGrad, n).toBe(!isFrozen(n));
    const vars = backbone.trainableVariables();
    expect([...vars.keys()].some(isFrozen)).toBe(false);
    const before = bnStats(backbone);
    const x = tf.randomNormal([2, 37, 45, 3]) as tf.Tensor4D;
    const { value, grads } = tf.variableGrads(() => backbone.forward(x).reduce((acc, f) => acc.add(f.square().mean()), tf.scalar(0)) as tf.Scalar, [...vars.values()]);
    for (const [name, v] of vars) {
      const g = grads[v.name];
      expect(g, name).toBeDefined();
      expect(
        tf.tidy(() => tf.isFinite(g).all().dataSync()[0]),
        `${name} finite`,
      ).toBe(1);
    }
    const after = bnStats(backbone);
    for (const [n, b] of before) {
      if (isFrozen(n)) expect(after.get(n), n).toEqual(b);
      else if (n.endsWith('running_mean')) expect(after.get(n), n).not.toEqual(b);
    }
    expect(backbone.bn1.training).toBe(false);
    expect(backbone.layers[k].training).toBe(true);
    tf.dispose([value, x, ...Object.values(grads)]);
    backbone.dispose();
  });

  it('normEval: BatchNorms stay in eval mode in train(), running statistics do not change, BN affine still trains', () => {
    const backbone = new ResNet({ depth: 50, baseChannels: 4, normEval: true });
    backbone.train();
    expect(backbone.training).toBe(true);
    const bns = backbone.namedModules().filter(([, m]) => m instanceof BatchNorm2d);
    expect(bns.length).toBe(53);
    expect(bns.every(([, m]) => !m.training)).toBe(true);
    const before = bnStats(backbone);
    const x = tf.randomNormal([2, 33, 41, 3]) as tf.Tensor4D;
    const vars = backbone.trainableVariables();
    expect(vars.has('layer2.0.bn2.weight')).toBe(true);
    const { value, grads } = tf.variableGrads(() => backbone.forward(x)[3].mean() as tf.Scalar, [...vars.values()]);
    expect(grads[vars.get('layer2.0.bn2.weight')?.name ?? '']).toBeDefined();
    expect(bnStats(backbone)).toEqual(before);
    // train-mode output equals eval-mode output (no batch statistics anywhere)
    const trainOut = backbone.forward(x);
    const evalOut = backbone.eval().forward(x);
    trainOut.forEach((o, i) => expectClose(o, evalOut[i], 0, `stage${i + 1}`));
    // without normEval, training uses batch statistics and updates them
    const plain = new ResNet({ depth: 18, baseChannels: 4 });
    plain.train();
    const plainBefore = bnStats(plain);
    tf.dispose(plain.forward(x));
    expect(bnStats(plain).get('bn1.running_mean')).not.toEqual(plainBefore.get('bn1.running_mean'));
    tf.dispose([value, x, ...Object.values(grads), ...trainOut, ...evalOut]);
    backbone.dispose();
    plain.dispose();
  });
});
