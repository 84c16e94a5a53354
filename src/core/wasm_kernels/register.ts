/** Registers the training kernels that `@tensorflow/tfjs-backend-wasm` lacks. */
export function registerWasmTrainingKernels(): void {
  // filled in by the wasm-kernels work
}
