// The same models in a web page (the README's example; type-checked by `npm test`, bundled by `npm run demo`).
import { createPredictor, decodeImage, initBackend } from '../src/browser.js';

export async function example(file: File): Promise<void> {
  await initBackend('wasm', { wasmPaths: '/wasm/' }); // or 'webgl', 'webgpu'
  const config = await (await fetch('seg.config.json')).json(); // `densekit print-config --config F --json`
  const weights = await (await fetch('latest.safetensors')).arrayBuffer(); // quickstart weights, unchanged
  const { predictor } = createPredictor(config, { weights });
  const result = await predictor.predict(await decodeImage(file)); // the browser's own decoder
  if (result.task === 'segmentation') console.log(result.labelMap);
  predictor.dispose();
}
