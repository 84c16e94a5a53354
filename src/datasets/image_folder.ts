import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { ConfigValue } from '../registry/options.js';
import { sampleForImage, type DataSample } from '../structures/data_sample.js';
import { BaseDataset, type DatasetContext } from './base_dataset.js';
import { ConfinedFolder } from './inside_root.js';
import { buildPipeline, type Pipeline } from './transforms/pipeline.js';

/** File extensions treated as images. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff'];

/** Options of {@link ImageFolder}. */
export interface ImageFolderOptions {
  /** Root holding `<split>/<class>/<image>`. Required. */
  dataRoot: string | null;
  /** Sub-folder: 'train', 'val', ... Default 'train'. */
  split: string;
  /** Transforms, e.g. `[{type: 'LoadImageFromFile'}, ...]`. */
  pipeline: ConfigValue[];
}

function isImage(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/**
 * An image-classification dataset laid out as `<root>/<split>/<class>/*.jpg`
 * (torchvision's ImageFolder, ImageNet's layout). Classes are the sorted folder names.
 */
export class ImageFolder extends BaseDataset {
  readonly classNames: string[];
  readonly dataRoot: string;
  private readonly items: Array<{ path: string; label: number }> = [];

  constructor(
    dataRoot: string,
    readonly split: string,
    pipeline: Pipeline,
  ) {
    super(pipeline);
    this.dataRoot = resolve(dataRoot);
    const dir = join(this.dataRoot, split);
    if (!existsSync(this.dataRoot)) throw new DataError(`ImageFolder: data root not found: ${this.dataRoot}`);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new DataError(`ImageFolder: split folder not found: ${dir} (expected <root>/${split}/<class>/<images>)`);
    }
    this.classNames = readdirSync(dir)
      .filter((n) => statSync(join(dir, n)).isDirectory())
      .sort();
    if (this.classNames.length === 0) throw new DataError(`ImageFolder: no class folders in ${dir}`);
    const folder = new ConfinedFolder(dir, 'ImageFolder');
    this.classNames.forEach((cls, label) => {
      folder.checkLinks(join(dir, cls), cls, `class folder '${cls}'`);
      const files = readdirSync(join(dir, cls)).filter(isImage).sort();
      if (files.length === 0) {
        throw new DataError(`ImageFolder: class folder ${join(dir, cls)} holds no images (${IMAGE_EXTENSIONS.join(', ')})`);
      }
      for (const f of files) {
        const path = join(dir, cls, f);
        folder.checkLinks(path, `${cls}/${f}`, `image '${cls}/${f}'`);
        this.items.push({ path, label });
      }
    });
  }

  get length(): number {
    return this.items.length;
  }

  sampleInfo(i: number): DataSample {
    const item = this.items[i];
    return { ...sampleForImage(0, 0, item.path), gtLabel: item.label };
  }
}

/** Registry entry of {@link ImageFolder}. */
export const imageFolderSpec: ComponentSpec<ImageFolderOptions, ImageFolder, DatasetContext> = {
  name: 'ImageFolder',
  description: 'classification images in <dataRoot>/<split>/<class>/*',
  defaults: { dataRoot: null, split: 'train', pipeline: [] },
  kinds: { dataRoot: ['string', 'null'] },
  children: { pipeline: { registry: 'transforms', list: true } },
  docs: { dataRoot: 'dataset root', split: "sub-folder ('train', 'val')", pipeline: 'transforms' },
  build(options, context, path) {
    const root = context.dataRoot ?? options.dataRoot;
    if (root === null) throw new DataError(`${path}.dataRoot: not set (set it in the config or pass --data-root)`);
    return new ImageFolder(root, options.split, buildPipeline(options.pipeline, `${path}.pipeline`));
  },
};
