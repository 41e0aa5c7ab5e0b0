// softpool-wasm: SoftPool (Stergiou et al., ICCV 2021) as one WebAssembly SIMD module.
export { init, stats, simdSupported } from './wasm.js';
export { softPool2d, softPool2dBackward } from './softpool2d.js';
export type { Tensor, SoftPoolOptions, InitOptions, WasmSource, BackwardResult, MemoryStats } from './types.js';
