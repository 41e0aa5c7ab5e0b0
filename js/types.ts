/** A dense float32 tensor: `data` holds the elements in row-major order of `shape`. */
export interface Tensor {
  data: Float32Array;
  shape: readonly number[];
}

/** Options shared by the SoftPool functions. Per-dim values are in spatial order (H, W). */
export interface SoftPoolOptions {
  /** Window size; one number means the same for every spatial dim. Required. */
  kernelSize: number | readonly number[];
  /** Step between windows; default: kernelSize. */
  stride?: number | readonly number[];
  /** Implicit padding on both sides; default 0; each 0 <= p <= floor(k/2). Padding cells are never part of a window. */
  padding?: number | readonly number[];
  /** PyTorch's ceil-mode output size; default false. */
  ceilMode?: boolean;
  /** Temperature; default 1. 0 = average pooling, large = max pooling, negative = soft-min. */
  beta?: number;
  /** 'channelsFirst' ([N,C,...spatial], default) or 'channelsLast' ([N,...spatial,C]). */
  dataFormat?: 'channelsFirst' | 'channelsLast';
  /** Write the result here (output for forward, gradInput for backward) instead of a new tensor; a tensor from allocTensor() avoids the copy out. */
  out?: Tensor;
}

/** Options of the adaptive functions: windows follow PyTorch's adaptive pooling rule. */
export interface AdaptiveSoftPoolOptions {
  /** Output size per spatial dim (one number = all dims); null keeps that input size. */
  outputSize: number | readonly (number | null)[];
  beta?: number;
  dataFormat?: 'channelsFirst' | 'channelsLast';
  /** As SoftPoolOptions.out. */
  out?: Tensor;
}

export type WasmSource = URL | string | BufferSource | WebAssembly.Module | Response;

/**
 * The three builds of the module: 'relaxed' (WebAssembly SIMD plus relaxed SIMD's fused
 * multiply-add), 'simd' (WebAssembly SIMD, f32x4) or 'scalar' (plain scalar code).
 */
export type Backend = 'relaxed' | 'simd' | 'scalar';

export interface InitOptions {
  /** Where to load the module from; default: the packaged build that `backend` selects. */
  wasm?: WasmSource;
  /**
   * 'auto' (default): the fastest build the runtime supports: 'relaxed' where it has relaxed
   * SIMD, else 'simd' where it has WebAssembly SIMD, else 'scalar'. 'relaxed', 'simd' or
   * 'scalar' forces one (and rejects where the runtime lacks its features). With `wasm`, it
   * says which build that module is (by default the module says so itself).
   */
  backend?: Backend | 'auto';
  /**
   * Most wasm memory (bytes) the buffers of one call may take; default 256 MiB. Larger
   * problems, and any that 32-bit wasm could not hold at once, run in pieces with identical
   * results. Can be changed by a later init() call.
   */
  maxMemoryBytes?: number;
}

export interface BackwardResult {
  gradInput: Tensor;
  gradBeta: number;
}

export interface MemoryStats {
  /** Bytes currently allocated by this library inside wasm memory. */
  inUseBytes: number;
  /** Highest inUseBytes seen since init(). */
  peakInUseBytes: number;
  /** Size of the wasm linear memory. */
  memoryBytes: number;
}
