// The module's exports: kernels take flat integers and byte pointers into this memory;
// the TypeScript loader validates arguments, computes geometry and owns the buffers.
// 1D and 2D problems run on the 3D kernels with unit leading dims.
export { alloc, free } from "./memory";
export { softpool_fwd_ncdhw } from "./softpool_fwd_ncdhw";
export { softpool_bwd_ncdhw } from "./softpool_bwd_ncdhw";
export { softpool_fwd_ndhwc } from "./softpool_fwd_ndhwc";
export { softpool_bwd_ndhwc } from "./softpool_bwd_ndhwc";
export { softpool_adaptive_fwd_ncdhw, softpool_adaptive_bwd_ncdhw } from "./softpool_adaptive_ncdhw";

/** Which build this is, for the loader: bit 0 = WebAssembly SIMD, bit 1 = relaxed SIMD (FMA). */
export function features(): i32 {
  return (ASC_FEATURE_SIMD ? 1 : 0) | (ASC_FEATURE_RELAXED_SIMD ? 2 : 0);
}
