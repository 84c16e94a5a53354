/** Issue 13.3: every dataset keeps its files inside its folders ('..', absolute paths, symlinks out). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerBuiltins } from '../src/registry/builtins.js';
import { DATASETS } from '../src/registry/registries.js';
import { DataError } from '../src/core/errors.js';

let root = '';
/** A file outside every dataset root: what an escaping path would read. */
let secret = '';

function touch(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

beforeAll(() => {
  registerBuiltins();
  root = mkdtempSync(join(tmpdir(), 'densekit-confine-'));
  secret = join(root, 'outside', 'secret.jpg');
  touch(secret);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('CocoDetection file names', () => {
  function coco(name: string, fileName: string): { dataRoot: string; annFile: string } {
    const dataRoot = join(root, name);
    touch(join(dataRoot, 'train2017', 'ok.jpg'));
    const ann = {
      images: [
        { id: 1, file_name: 'ok.jpg', width: 8, height: 8 },
        { id: 2, file_name: fileName, width: 8, height: 8 },
      ],
      annotations: [],
      categories: [{ id: 1, name: 'thing' }],
    };
    mkdirSync(join(dataRoot, 'annotations'), { recursive: true });
    const annFile = join(dataRoot, 'annotations', 'instances_train2017.json');
    writeFileSync(annFile, JSON.stringify(ann));
    return { dataRoot, annFile };
  }
  const build = (dataRoot: string): unknown => DATASETS.build({ type: 'CocoDetection', dataRoot, filterEmptyGt: false }, {}, 'trainDataloader.dataset');

  it("rejects '..' that leaves the image folder, naming the image id, the annotation file and the folder", () => {
    const { dataRoot, annFile } = coco('dotdot', '../../../../outside/secret.jpg');
    expect(() => build(dataRoot)).toThrow(DataError);
    expect(() => build(dataRoot)).toThrow(
      new RegExp(`image id 2 in ${escape(annFile)}: file name '\\.\\./\\.\\./\\.\\./\\.\\./outside/secret\\.jpg' leaves the data folder ${escape(join(dataRoot, 'train2017'))}`),
    );
  });

  it('rejects an absolute path instead of joining it under the root', () => {
    const { dataRoot } = coco('absolute', secret);
    expect(() => build(dataRoot)).toThrow(/image id 2 .*is an absolute path; file names must be relative to/);
  });

  it('rejects a symbolic link inside the folder that points outside it', () => {
    const { dataRoot } = coco('symlink', 'link.jpg');
    symlinkSync(secret, join(dataRoot, 'train2017', 'link.jpg'));
    expect(() => build(dataRoot)).toThrow(/image id 2 .*file 'link\.jpg' is a symbolic link .* outside the data folder/);
  });

  it('accepts a dataset root that is itself a symbolic link, and names that stay inside', () => {
    const { dataRoot } = coco('fine', 'sub/../ok.jpg');
    const linked = join(root, 'linked_root');
    symlinkSync(dataRoot, linked);
    expect((build(linked) as { length: number }).length).toBe(2);
  });
});

describe('ADE20K layout and SegDataset', () => {
  function ade(name: string): string {
    const dataRoot = join(root, name);
    touch(join(dataRoot, 'images', 'training', 'a.jpg'));
    touch(join(dataRoot, 'annotations', 'training', 'a.png'));
    return dataRoot;
  }
  const build = (dataRoot: string, extra: Record<string, unknown> = {}): unknown => DATASETS.build({ type: 'ADE20KDataset', dataRoot, classes: ['bg', 'fg'], ...extra }, {}, 'trainDataloader.dataset');

  it('rejects a symlinked image or label map pointing outside the data folders', () => {
    const imgLink = ade('ade_img');
    symlinkSync(secret, join(imgLink, 'images', 'training', 'b.jpg'));
    touch(join(imgLink, 'annotations', 'training', 'b.png'));
    expect(() => build(imgLink)).toThrow(/ADE20KDataset: image 'b' found in .*: file 'b\.jpg' is a symbolic link .* outside the data folder/);

    const annLink = ade('ade_ann');
    touch(join(annLink, 'images', 'training', 'b.jpg'));
    symlinkSync(secret, join(annLink, 'annotations', 'training', 'b.png'));
    expect(() => build(annLink)).toThrow(/label map of image 'b' .*file 'b\.png' is a symbolic link/);
    expect((build(ade('ade_ok')) as { length: number }).length).toBe(1);
  });

  it("rejects split-file lines with '..' or absolute paths, naming the split file and the line", () => {
    const dataRoot = ade('seg_split');
    writeFileSync(join(dataRoot, 'train.txt'), 'a\n../../../outside/secret\n');
    const seg = (splitFile: string): unknown =>
      DATASETS.build({ type: 'SegDataset', dataRoot, imgDir: 'images/training', annDir: 'annotations/training', splitFile, numClasses: 2 }, {}, 'trainDataloader.dataset');
    expect(() => seg('train.txt')).toThrow(new RegExp(`line '\\.\\./\\.\\./\\.\\./outside/secret' of ${escape(join(dataRoot, 'train.txt'))}: file name .* leaves the data folder`));
    writeFileSync(join(dataRoot, 'abs.txt'), `${secret.slice(0, -4)}\n`);
    expect(() => seg('abs.txt')).toThrow(/of .*abs\.txt: file name .* is an absolute path/);
  });
});

describe('ImageFolder', () => {
  it('rejects a symlinked image or class folder pointing outside the split folder', () => {
    const a = join(root, 'folder_img');
    touch(join(a, 'train', 'cat', 'a.jpg'));
    symlinkSync(secret, join(a, 'train', 'cat', 'b.jpg'));
    const build = (dataRoot: string): unknown => DATASETS.build({ type: 'ImageFolder', dataRoot, split: 'train' }, {}, 'trainDataloader.dataset');
    expect(() => build(a)).toThrow(/ImageFolder: image 'cat\/b\.jpg': file 'cat\/b\.jpg' is a symbolic link .* outside the data folder/);

    const b = join(root, 'folder_cls');
    touch(join(b, 'train', 'cat', 'a.jpg'));
    symlinkSync(join(root, 'outside'), join(b, 'train', 'dog'));
    expect(() => build(b)).toThrow(/ImageFolder: class folder 'dog': file 'dog' is a symbolic link/);
  });
});
