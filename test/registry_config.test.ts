import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import '../src/registry/builtins.js';
import { BACKBONES, HEADS, MODELS } from '../src/registry/registries.js';
import { resolveHeadNumClasses } from '../src/heads/num_classes.js';
import { Registry } from '../src/registry/registry.js';
import { Backbone, type FeatureSpec } from '../src/backbones/backbone.js';
import { tf } from '../src/core/tf.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig } from '../src/config/schema.js';
import { ConfigError } from '../src/core/errors.js';
import { nearest } from '../src/registry/suggest.js';
import { useBackend } from './helpers.js';

beforeAll(async () => useBackend('cpu'));

const fx = new URL('./fixtures/configs/', import.meta.url).pathname;

describe('registry', () => {
  it('builds a registered type with defaults filled in', () => {
    const backbone = BACKBONES.build({ type: 'SwinTransformer', arch: 'tiny', outIndices: [2, 3] }, {}, 'model.backbone');
    expect(backbone.outputSpecs).toEqual([
      { name: 'stage3', channels: 384, stride: 16 },
      { name: 'stage4', channels: 768, stride: 32 },
    ]);
    backbone.dispose();
  });

  it('an unknown type lists the registered names and the nearest one', () => {
    expect(() => BACKBONES.build({ type: 'SwinTransfomer' }, {}, 'model.backbone')).toThrow(
      /Unknown backbones type 'SwinTransfomer' at model\.backbone\.type\. Did you mean 'SwinTransformer'\?.*Registered backbones: .*SwinTransformer/,
    );
  });

  it('a misspelled option names the key, its path, the nearest key and the valid keys', () => {
    expect(() => BACKBONES.build({ type: 'SwinTransformer', embed_dims: 64 }, {}, 'model.backbone')).toThrow(
      /Unknown option 'embed_dims' at model\.backbone\.embed_dims for SwinTransformer\. Did you mean 'embedDim'\? Valid options: arch, embedDim/,
    );
  });

  it('a wrong value kind names the option and the expected kind', () => {
    expect(() => BACKBONES.build({ type: 'SwinTransformer', windowSize: '7' }, {}, 'model.backbone')).toThrow(/model\.backbone\.windowSize of SwinTransformer: expected number, got string "7"/);
  });

  it('nested components are validated with their full path', () => {
    expect(() =>
      MODELS.build(
        { type: 'ImageClassifier', backbone: { type: 'SwinTransformer' }, head: { type: 'LinearClsHead', numClasses: 2, loss: { type: 'CrossEntropyLoss', label_smoothing: 0.1 } } },
        { numClasses: null },
        'model',
      ),
    ).toThrow(/model\.head\.loss\.label_smoothing .*Did you mean 'labelSmoothing'/);
  });

  it('registering a name twice is an error', () => {
    const spec = { name: 'SwinTransformer', description: '', defaults: {}, build: () => new SwinLike() };
    expect(() => BACKBONES.register(spec)).toThrow(/'SwinTransformer' is already registered in the backbones registry/);
  });

  it('code outside the framework registers a component and configs build it', () => {
    BACKBONES.register({
      name: 'TinyConvNet',
      description: 'a test backbone defined outside src/',
      defaults: { width: 4 },
      build: (o: { width: number }) => new SwinLike(o.width),
    });
    const built = BACKBONES.build({ type: 'TinyConvNet', width: 6 }, {}, 'model.backbone');
    expect(built.outputSpecs[0].channels).toBe(6);
    expect(BACKBONES.names()).toContain('TinyConvNet');
    const model = MODELS.build({ type: 'ImageClassifier', backbone: { type: 'TinyConvNet', width: 5 }, head: { type: 'LinearClsHead', numClasses: 3 } }, { numClasses: null }, 'model');
    const logits = (model as unknown as { forward(x: tf.Tensor4D): tf.Tensor }).forward(tf.zeros([2, 8, 8, 3]));
    expect(logits.shape).toEqual([2, 3]);
  });

  it('a registry kind cannot be created twice', () => {
    expect(() => new Registry('backbones')).toThrow(/created twice/);
  });

  it('suggests names across naming styles', () => {
    expect(nearest('out_indices', ['outIndices', 'frozenStages'])).toBe('outIndices');
    expect(nearest('zzz', ['outIndices'])).toBeNull();
  });
});

/** A minimal external backbone: one stride-1 map of `width` channels (zeros + mean of the input). */
class SwinLike extends Backbone {
  readonly outputSpecs: FeatureSpec[];
  constructor(readonly width = 4) {
    super();
    this.outputSpecs = [{ name: 'out', channels: width, stride: 1 }];
  }
  forward(images: tf.Tensor4D): tf.Tensor4D[] {
    return [tf.tidy(() => images.mean(3, true).tile([1, 1, 1, this.width]) as tf.Tensor4D)];
  }
}

describe('backbone size presets', () => {
  it.each([
    ['SwinTransformer', 'tinyy', /^SwinTransformer: unknown arch 'tinyy'; expected one of tiny, small, base, large$/],
    ['VisionTransformer', 'vit-bas', /^VisionTransformer: unknown arch 'vit-bas'; expected one of vit-tiny, vit-small, vit-base, deit-tiny, deit-small, deit-base$/],
    ['SwinTransformer', 'toString', /unknown arch 'toString'/],
  ])('%s with arch %s fails naming the known presets', (type, arch, message) => {
    expect(() => BACKBONES.build({ type, arch }, {}, 'model.backbone')).toThrow(message);
  });
});

describe('head class counts', () => {
  const inputs: FeatureSpec[] = [{ name: 'stage4', channels: 8, stride: 32 }];

  it("take the head's own numClasses, else the dataset's, and check it", () => {
    expect(resolveHeadNumClasses(5, { inputs, numClasses: 3 }, 'model.head')).toBe(5);
    expect(resolveHeadNumClasses(null, { inputs, numClasses: 3 }, 'model.head')).toBe(3);
    expect(() => resolveHeadNumClasses(null, { inputs, numClasses: null }, 'model.head')).toThrow(
      'model.head.numClasses: not set and not known from a dataset (set it, or use a dataset that declares its classes)',
    );
    expect(() => resolveHeadNumClasses(2.5, { inputs, numClasses: null }, 'model.head')).toThrow('model.head.numClasses: expected a positive integer, got 2.5');
    expect(() => resolveHeadNumClasses(0, { inputs, numClasses: 3 }, 'model.head')).toThrow(ConfigError);
  });

  it.each([
    ['LinearClsHead', {}],
    ['FCNHead', { channels: 8, inIndex: 0 }],
  ])('%s without a class count fails naming the option path', (type, extra) => {
    expect(() => HEADS.build({ type, ...extra }, { inputs, numClasses: null }, 'model.decodeHead')).toThrow(/^model\.decodeHead\.numClasses: not set/);
  });
});

describe('configs', () => {
  it('merge bases in order, then the file itself', async () => {
    const cfg = await loadConfig(`${fx}child.ts`);
    expect(cfg.model).toMatchObject({
      type: 'ImageClassifier',
      backbone: { type: 'SwinTransformer', arch: 'small', dropPathRate: 0.3, outIndices: [3] },
      head: { numClasses: 10, loss: { labelSmoothing: 0.1 } },
    });
    expect(cfg.workDir).toBe('work_dirs/child');
    expect(cfg.defaultHooks).toEqual({ logger: { interval: 5 } });
    expect(cfg.randomness).toEqual({ seed: 3 });
  });

  it('_delete_ replaces an inherited object instead of merging', async () => {
    const cfg = await loadConfig(`${fx}replace_head.ts`);
    expect((cfg.model as Record<string, unknown>).head).toEqual({ type: 'LinearClsHead', numClasses: 3 });
  });

  it('--cfg-options overrides nested keys, list items and parses JSON values', async () => {
    const cfg = await loadConfig(`${fx}child.ts`, {
      cfgOptions: ['model.backbone.outIndices=[1,3]', 'model.head.numClasses=7', 'model.backbone.outIndices.0=2', 'workDir=out/x', 'resume=true'],
    });
    const model = cfg.model as { backbone: { outIndices: number[] }; head: { numClasses: number } };
    expect(model.backbone.outIndices).toEqual([2, 3]);
    expect(model.head.numClasses).toBe(7);
    expect(cfg.workDir).toBe('out/x');
    expect(cfg.resume).toBe(true);
  });

  it('validation names the misspelled key and its path', async () => {
    const cfg = await loadConfig(`${fx}misspelled.ts`);
    expect(() => validateConfig(cfg, 'misspelled.ts')).toThrow(/Unknown option 'embed_dims' at model\.backbone\.embed_dims/);
    const cfg2 = await loadConfig(`${fx}child.ts`, { cfgOptions: ['optim_wrapper.lr=1'] });
    expect(() => validateConfig(cfg2, 'child.ts')).toThrow(/Unknown option 'optim_wrapper' at optim_wrapper .*Did you mean 'optimWrapper'/);
  });

  it('an unknown type inside a config is reported with its path', async () => {
    const cfg = await loadConfig(`${fx}unknown_type.ts`);
    expect(() => validateConfig(cfg, 'unknown_type.ts')).toThrow(/Unknown backbones type 'SwinTransfomer' at model\.backbone\.type\. Did you mean 'SwinTransformer'/);
  });

  it('inheritance cycles and missing files are clear errors', async () => {
    await expect(loadConfig(`${fx}cycle_a.ts`)).rejects.toThrow(/inheritance cycle/);
    await expect(loadConfig(`${fx}nope.ts`)).rejects.toThrow(ConfigError);
  });

  it('npm run print-config prints the resolved config, and fails clearly on a bad key', () => {
    const out = execFileSync('npx', ['tsx', 'tools/print_config.ts', '--config', `${fx}child.ts`, '--cfg-options', 'model.head.numClasses=4'], {
      encoding: 'utf8',
    });
    const json = JSON.parse(out.slice(out.indexOf('{')));
    expect(json.model.backbone.arch).toBe('small');
    expect(json.model.head.numClasses).toBe(4);
    let stderr = '';
    try {
      execFileSync('npx', ['tsx', 'tools/print_config.ts', '--config', `${fx}misspelled.ts`], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr: string }).stderr);
    }
    expect(stderr).toMatch(/ConfigError: Unknown option 'embed_dims' at model\.backbone\.embed_dims/);
  });
});
