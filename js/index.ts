// softpool-wasm: SoftPool (Stergiou et al., ICCV 2021) as one WebAssembly SIMD module.
export { init, stats, simdSupported, relaxedSimdSupported, backend } from './wasm.js';
export { allocTensor, WasmTensor } from './tensor.js';
export {
  softPool1d, softPool2d, softPool3d, softPool1dBackward, softPool2dBackward, softPool3dBackward,
  adaptiveSoftPool1d, adaptiveSoftPool2d, adaptiveSoftPool3d,
  adaptiveSoftPool1dBackward, adaptiveSoftPool2dBackward, adaptiveSoftPool3dBackward,
} from './softpool.js';
export type {
  Tensor, SoftPoolOptions, AdaptiveSoftPoolOptions, InitOptions, WasmSource, BackwardResult, MemoryStats, Backend,
} from './types.js';
export { SoftPool1d, SoftPool2d, SoftPool3d, AdaptiveSoftPool1d, AdaptiveSoftPool2d, AdaptiveSoftPool3d } from './layers.js';
