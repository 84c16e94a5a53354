'use strict';
/**
 * Entry file of one pthread worker (a Node `worker_threads` Worker) of tfjs-backend-wasm's
 * threaded-SIMD build, loaded from this file path by `threaded_backend.ts`.
 *
 * tfjs ships the Emscripten worker script only as a string (`wasmWorkerContents`) and, in a
 * browser, starts it from a `blob:` URL, which Node's `Worker` refuses. Here the same script runs
 * as the body of this CommonJS module: it gets this module's `require` and `__filename`, which its
 * Node branch uses (`worker_threads`, `fs`, `importScripts` of the main glue file by path).
 * Nothing under node_modules is modified.
 */
const { compileFunction } = require('node:vm');
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');

// The script sits in a template literal whose one `"\n"` escape became a real newline, which is
// not valid inside the script's double-quoted string; tfjs re-escapes it the same way before
// making its Blob.
const source = String(wasmWorkerContents).replace(/\n/g, '\\n');
const body = compileFunction(source, ['require', 'module', 'exports', '__filename', '__dirname'], {
  filename: `${__filename} (tfjs-backend-wasm-threaded-simd.worker.js)`,
});
body(require, module, exports, __filename, __dirname);
