/**
 * Backbone swap: every mini config `configs/<task>/swin-mini_<rest>.ts` has a ResNet-18
 * variant `configs/<task>/resnet18_<rest>.ts`, and the dense-prediction ones may have ViT,
 * DeiT and hybrid variants (`vit-mini_`, `deit-mini_`, `hybrid-mini_`), that differ ONLY
 * under `model.backbone`; both sides build models whose neck / head input widths follow the
 * backbone's declared outputs (the configs carry no channel lists).
 */
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { loadConfig, type Config } from '../src/config/load_config.js';
import { ROOT_SCHEMA } from '../src/config/schema.js';
import { validateOptions, isPlainObject } from '../src/registry/options.js';
import { buildModel } from '../src/models/build_model.js';
import type { Model } from '../src/models/base_model.js';
import type { FeatureSpec } from '../src/backbones/backbone.js';
import type { Neck } from '../src/necks/neck.js';
import { useBackend, TRAIN_BACKEND } from './helpers.js';

const CONFIGS = new URL('../configs/', import.meta.url).pathname;
const TASKS = ['classification', 'segmentation', 'detection'];

/** Variant prefix → the backbone class it must build. `resnet18` variants are required. */
const VARIANTS: Record<string, string> = { resnet18: 'ResNet', 'vit-mini': 'VisionTransformer', 'deit-mini': 'VisionTransformer', 'hybrid-mini': 'HybridViT' };

/** `[swin-mini config, variant, expected backbone class]` paths relative to configs/. */
const PAIRS: Array<[string, string, string]> = TASKS.flatMap((task) => {
  let files: string[];
  try {
    files = readdirSync(`${CONFIGS}${task}`);
  } catch {
    return [];
  }
  return files
    .filter((f) => /^swin-mini_.+\.ts$/.test(f))
    .sort()
    .flatMap((f) =>
      Object.entries(VARIANTS)
        .map(([prefix, type]) => [`${task}/${f}`, `${task}/${prefix}_${f.slice('swin-mini_'.length)}`, type] as [string, string, string])
        // ResNet variants must exist; the others where present (classification ViTs also change the head).
        .filter(([, variant]) => variant.includes('/resnet18_') || (task !== 'classification' && files.includes(variant.slice(task.length + 1)))),
    );
});

/** Dotted paths where `a` and `b` differ (a missing key counts as a difference). */
function deepDiff(a: unknown, b: unknown, path = ''): string[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => deepDiff(a[k], b[k], path === '' ? k : `${path}.${k}`));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path];
    return a.flatMap((v, i) => deepDiff(v, b[i], `${path}.${i}`));
  }
  return Object.is(a, b) ? [] : [path];
}

/** Paths of every `inChannels` key in `value` (recursively). */
function inChannelsKeys(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => inChannelsKeys(v, `${path}.${i}`));
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [...(k === 'inChannels' ? [`${path}.${k}`] : []), ...inChannelsKeys(v, `${path}.${k}`)]);
}

/** Input width (dim 1) of a weight of the model, by full parameter name. */
function inWidth(model: Model, name: string): number {
  const p = model.namedParameters().find(([n]) => n === name);
  if (p === undefined) throw new Error(`no parameter '${name}'`);
  return p[1].shape[1];
}

/** A config section as a record (empty when absent). */
function section(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = parent[key];
  return isPlainObject(v) ? v : {};
}

/**
 * The model's first layers behind the backbone (and neck) and the input widths they must have,
 * from the backbone's declared outputs and the levels the (merged) config selects.
 */
function expectedWidths(model: Model, config: Config): Array<[string, number]> {
  const specs: readonly FeatureSpec[] = model.backbone.outputSpecs;
  const m = config.model as Record<string, unknown>;
  const out: Array<[string, number]> = [];
  let headInputs = specs;
  const neckCfg = m.neck;
  if (neckCfg !== undefined && neckCfg !== null) {
    const neck = (model as unknown as { neck: Neck }).neck;
    const n = section(m, 'neck');
    if (n.type !== 'FPN') throw new Error(`backbone_swap.test.ts: no channel expectations for neck '${String(n.type)}'; add them`);
    const startLevel = typeof n.startLevel === 'number' ? n.startLevel : 0;
    specs.slice(startLevel).forEach((s, i) => out.push([`neck.lateral_convs.${i}.conv.weight`, s.channels]));
    headInputs = neck.outputSpecs;
  }
  const head = (key: string, prefix: string): void => {
    const h = section(m, key);
    if (h.type === undefined) return;
    const inIndex = h.inIndex as number | number[];
    const indices = Array.isArray(inIndex) ? inIndex : [inIndex];
    if (h.type === 'UPerHead') {
      indices.slice(0, -1).forEach((idx, i) => out.push([`${prefix}.lateral_convs.${i}.conv.weight`, headInputs[idx].channels]));
      out.push([`${prefix}.psp_modules.0.1.conv.weight`, headInputs[indices[indices.length - 1]].channels]);
    } else if (h.type === 'FPNHead') {
      indices.forEach((idx, i) => out.push([`${prefix}.scale_heads.${i}.0.conv.weight`, headInputs[idx].channels]));
    } else if (h.type === 'FCNHead') {
      out.push([`${prefix}.convs.0.conv.weight`, headInputs[indices[0]].channels]);
    } else if (h.type === 'RetinaHead' || h.type === 'FCOSHead') {
      out.push([`${prefix}.cls_convs.0.conv.weight`, headInputs[0].channels], [`${prefix}.reg_convs.0.conv.weight`, headInputs[0].channels]);
    } else if (h.type === 'LinearClsHead') {
      out.push([`${prefix}.fc.weight`, headInputs[headInputs.length - 1].channels]);
    } else {
      throw new Error(`backbone_swap.test.ts: no channel expectations for head '${String(h.type)}'; add them to expectedWidths`);
    }
  };
  head('head', 'head');
  head('decodeHead', 'decode_head');
  head('auxiliaryHead', 'auxiliary_head');
  head('bboxHead', 'bbox_head');
  expect(out.length, 'some layer consumes the backbone outputs').toBeGreaterThan(0);
  return out;
}

describe('every Swin mini config has a ResNet-18 variant', () => {
  it('finds the mini configs', () => {
    expect(PAIRS.map(([s]) => s)).toContain('classification/swin-mini_imagefolder.ts');
    for (const v of ['vit-mini', 'deit-mini', 'hybrid-mini']) {
      expect(PAIRS.map(([, b]) => b)).toContain(`segmentation/${v}_upernet_ade.ts`);
      expect(PAIRS.map(([, b]) => b)).toContain(`detection/${v}_fcos_coco.ts`);
    }
  });
});

describe.each(PAIRS)('%s vs %s', (swinFile, resnetFile, backboneType) => {
  let swin: Config;
  let resnet: Config;
  beforeAll(async () => {
    await useBackend(TRAIN_BACKEND);
    swin = await loadConfig(`${CONFIGS}${swinFile}`);
    resnet = await loadConfig(`${CONFIGS}${resnetFile}`);
  });

  it('the resolved configs differ only under model.backbone', () => {
    const diff = deepDiff(swin, resnet);
    expect(diff.length).toBeGreaterThan(0);
    expect(diff.filter((p) => p !== 'model.backbone' && !p.startsWith('model.backbone.'))).toEqual([]);
    expect((swin.model as { backbone: { type: string } }).backbone.type).toBe('SwinTransformer');
    expect((resnet.model as { backbone: { type: string } }).backbone.type).toBe(backboneType);
    // nothing of the Swin backbone leaks into the ResNet one (`_delete_` replaced it)
    expect(Object.keys((resnet.model as { backbone: object }).backbone)).not.toContain('windowSize');
  });

  it('no channel lists in either config: necks and heads take their input widths from the backbone', () => {
    for (const cfg of [swin, resnet]) {
      const model = cfg.model as Record<string, unknown>;
      const found = Object.entries(model)
        .filter(([k]) => k !== 'backbone')
        .flatMap(([k, v]) => inChannelsKeys(v, `model.${k}`));
      expect(found).toEqual([]);
    }
  });

  it.each(['swin', 'resnet'] as const)('the %s model wires its neck/head to the backbone outputs and runs', (which) => {
    const raw = which === 'swin' ? swin : resnet;
    const config = validateOptions(ROOT_SCHEMA, raw, 'config', '');
    const model = buildModel(config, 4);
    try {
      expect(model.backbone.constructor.name).toBe(which === 'swin' ? 'SwinTransformer' : backboneType);
      for (const [name, width] of expectedWidths(model, raw)) {
        expect(inWidth(model, name), `${which}: ${name} input width`).toBe(width);
      }
      model.eval();
      const x = tf.randomNormal([1, 64, 80, 3]) as tf.Tensor4D;
      const outs = model.forwardRaw(x);
      expect(outs.length).toBeGreaterThan(0);
      for (const o of outs) expect(tf.tidy(() => tf.isFinite(o).all().dataSync()[0])).toBe(1);
      tf.dispose([x, ...outs]);
    } finally {
      model.dispose();
    }
  });
});
