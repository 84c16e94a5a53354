// Inference from Node: config file + weights → typed results (the README's example; type-checked by `npm test`).
import { initModel } from '../src/index.js';

export async function example(): Promise<void> {
  const model = await initModel('configs/segmentation/swin-mini_upernet_ade.ts', {
    weights: 'work_dirs/quickstart/segmentation/latest.safetensors', // or a .pth in a known layout
  });
  const result = await model.predict('data/shapes/images/validation/000000.jpg'); // or a Buffer, ImageData, [H,W,3] tensor
  if (result.task === 'segmentation') console.log(result.labelMap.width, result.labelMap.height, result.classNames);
  if (result.task === 'detection') for (const d of result.detections) console.log(d.name, d.score, d.bbox);
  if (result.task === 'classification') console.log(result.top5, result.logits);
  model.dispose();
}
