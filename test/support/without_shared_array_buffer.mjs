// Preload of `test/wasm_threads.test.ts` (`node --import tsx --import <this>`): removes the
// SharedArrayBuffer global, as in an engine or page without it, after tsx has started.
// (`node --no-harmony-sharedarraybuffer` would be closer, but tsx itself needs the global to load.)
delete globalThis.SharedArrayBuffer;
