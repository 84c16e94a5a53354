import type { ComponentSpec } from '../../registry/registry.js';
import { decodeImageFile } from '../image_io.js';
import type { PipelineResults, Transform } from './transform.js';

/** Options of {@link LoadImageFromFile}: none. */
export type LoadImageFromFileOptions = Record<string, never>;

/** Decodes `sample.imgPath` to an RGB uint8 image (EXIF orientation applied). */
export class LoadImageFromFile implements Transform {
  readonly name = 'LoadImageFromFile';

  async apply(results: PipelineResults): Promise<PipelineResults> {
    const img = await decodeImageFile(results.sample.imgPath);
    results.img = img;
    results.sample.oriShape = [img.height, img.width];
    results.sample.imgShape = [img.height, img.width];
    return results;
  }
}

/** Registry entry of {@link LoadImageFromFile}. */
export const loadImageFromFileSpec: ComponentSpec<LoadImageFromFileOptions, Transform, unknown> = {
  name: 'LoadImageFromFile',
  description: 'decode the image file (JPEG/PNG/WebP) to RGB uint8, honouring EXIF orientation',
  defaults: {},
  build: () => new LoadImageFromFile(),
};
