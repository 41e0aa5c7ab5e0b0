// The module's exports: kernels take flat integers and byte pointers into this memory;
// the TypeScript loader validates arguments, computes geometry and owns the buffers.
export { alloc, free } from "./memory";
export { softpool2d_fwd_nchw } from "./softpool2d_fwd";
export { softpool2d_bwd_nchw } from "./softpool2d_bwd";
