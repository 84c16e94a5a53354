/** Turning files given to inference tools into model inputs. */
import { tf } from '../core/tf.js';
import { DataError } from '../core/errors.js';
import { globalRng } from '../core/rng.js';
import { readNpy } from '../checkpoint/npy.js';
import type { RootConfig } from '../config/schema.js';
import { buildPipeline } from '../datasets/transforms/pipeline.js';
import { sampleForImage, type DataSample } from '../structures/data_sample.js';
import { isPlainObject } from '../registry/options.js';

/**
 * Reads a `.npy` float32 array shaped `[N, 3, H, W]` (PyTorch's layout) and
 * returns it as an NHWC tensor, unchanged otherwise (no normalisation).
 * @throws DataError naming the file when the dtype or rank is wrong.
 */
export function readNpyImages(path: string): tf.Tensor4D {
  const t = readNpy(path);
  if (t.dtype !== 'float32') {
    throw new DataError(`${path}: expected a float32 array shaped [N,3,H,W], got dtype ${t.dtype}`);
  }
  if (t.shape.length !== 4 || t.shape[1] !== 3) {
    throw new DataError(`${path}: expected a float32 array shaped [N,3,H,W], got shape [${t.shape.join(',')}]`);
  }
  return tf.tidy(() => tf.tensor4d(t.data as Float32Array, t.shape as [number, number, number, number]).transpose([0, 2, 3, 1]));
}

/** The transform configs of the config's test (or val) data pipeline. */
export function testPipelineConfig(config: RootConfig): unknown[] {
  const loader = config.testDataloader ?? config.valDataloader;
  const pipeline = loader !== null && isPlainObject(loader.dataset) ? loader.dataset.pipeline : undefined;
  if (!Array.isArray(pipeline)) {
    throw new DataError('The config has no testDataloader.dataset.pipeline (or valDataloader) to preprocess images with');
  }
  return pipeline;
}

/**
 * Loads an image file through the config's test pipeline.
 * @returns the `[1, H, W, 3]` input and its sample metadata.
 */
export async function preprocessImage(path: string, config: RootConfig): Promise<{ input: tf.Tensor4D; sample: DataSample }> {
  const pipeline = buildPipeline(testPipelineConfig(config), 'testDataloader.dataset.pipeline');
  const results = await pipeline.run({ img: null, sample: sampleForImage(0, 0, path) }, globalRng());
  const img = results.img;
  if (img === null) throw new DataError(`${path}: the test pipeline produced no image (does it start with LoadImageFromFile?)`);
  const input = tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, 3]);
  return { input, sample: results.sample };
}
