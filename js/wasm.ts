// Loading the module (once, cached) and owning its memory. Kernels never allocate; every
// buffer a call needs is allocated here first, then views are made (allocation may grow
// memory, which detaches old views), then the kernel runs, then the buffers are freed.

import type { InitOptions, MemoryStats, WasmSource } from './types.js';

/** The module's exports (assembly/index.ts). Geometry is 3D: D, H, W with unit leading dims for 1D/2D. */
export interface Exports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  softpool_fwd_ncdhw(x: number, y: number, planes: number, ...geometryAndBeta: number[]): void;
  softpool_bwd_ncdhw(x: number, g: number, gx: number, planes: number, ...geometryAndBeta: number[]): number;
  softpool_fwd_ndhwc(x: number, y: number, n: number, ...geometryBetaAdaptive: number[]): void;
  softpool_bwd_ndhwc(x: number, g: number, gx: number, n: number, ...geometryBetaAdaptive: number[]): number;
  softpool_adaptive_fwd_ncdhw(x: number, y: number, planes: number, ...sizesAndBeta: number[]): void;
  softpool_adaptive_bwd_ncdhw(x: number, g: number, gx: number, planes: number, ...sizesAndBeta: number[]): number;
}

/** Bytes kept after every input buffer: SIMD loads may read up to 16 bytes past the last element. */
export const READ_SLACK = 16;
/** wasm32 addresses 4 GiB; keep a margin for the allocator's own blocks. */
const MAX_BUFFER_BYTES = 2 ** 32 - 2 ** 26;

let exports: Exports | null = null;
let pending: Promise<void> | null = null;
const live = new Map<number, number>();
let inUse = 0;
let peak = 0;

// (module (func (result v128) v128.const i32x4 0 0 0 0)): validates only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

export function simdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/** Loads and instantiates the module; idempotent (later calls share the first load). */
export function init(options: InitOptions = {}): Promise<void> {
  if (typeof options !== 'object' || options === null) {
    return Promise.reject(new TypeError(`init: options must be an object, got ${String(options)}`));
  }
  if (exports) return Promise.resolve();
  if (!pending) {
    pending = load(options.wasm).then(
      (e) => { exports = e; },
      (err) => { pending = null; throw err; },
    );
  }
  return pending;
}

async function load(source: WasmSource | undefined): Promise<Exports> {
  if (!simdSupported()) {
    throw new Error('softpool-wasm: this JavaScript runtime does not support WebAssembly SIMD (fixed-width 128-bit), which the module needs');
  }
  const module = await compile(source ?? new URL('../build/softpool.wasm', import.meta.url));
  const instance = await WebAssembly.instantiate(module, {
    env: {
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`softpool-wasm: internal abort at ${line}:${column}`);
      },
    },
  });
  return instance.exports as unknown as Exports;
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof Response !== 'undefined' && source instanceof Response) {
    return WebAssembly.compile(await source.arrayBuffer());
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof source === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(source)) return WebAssembly.compile(await readFile(source));
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source);
    if (url.protocol === 'file:') return WebAssembly.compile(await readFile(url));
    const response = await fetch(url);
    if (!response.ok) throw new Error(`init: fetching ${url.href} failed with HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  }
  throw new TypeError(`init: options.wasm must be a URL, a path, bytes, a Response or a WebAssembly.Module, got ${Object.prototype.toString.call(source)}`);
}

async function readFile(path: string | URL): Promise<ArrayBuffer> {
  const fs = await import('node:fs/promises');
  const bytes = await fs.readFile(path);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The instance's exports; throws if init() has not completed. */
export function wasm(fn: string): Exports {
  if (!exports) throw new Error(`${fn}: call and await init() from 'softpool-wasm' first`);
  return exports;
}

/**
 * Allocates one buffer per byte size, all or none: if memory cannot grow, frees what was
 * taken and throws a RangeError naming the call. Pointers come back as unsigned numbers.
 */
export function allocAll(fn: string, e: Exports, sizes: number[]): number[] {
  const ptrs: number[] = [];
  try {
    for (const size of sizes) {
      if (size > MAX_BUFFER_BYTES) throw new RangeError('too large');
      const ptr = e.alloc(size) >>> 0;
      if (ptr === 0) throw new RangeError('no memory');
      ptrs.push(ptr);
      live.set(ptr, size);
      inUse += size;
    }
  } catch {
    freeAll(e, ptrs);
    const total = sizes.reduce((a, b) => a + b, 0);
    throw new RangeError(`${fn}: not enough WebAssembly memory for this call (${total} bytes of buffers needed, wasm32 allows at most 4 GiB)`);
  }
  peak = Math.max(peak, inUse);
  return ptrs;
}

export function freeAll(e: Exports, ptrs: number[]): void {
  for (const ptr of ptrs) {
    const size = live.get(ptr);
    if (size === undefined) continue;
    live.delete(ptr);
    inUse -= size;
    e.free(ptr);
  }
}

/** A fresh float32 view of wasm memory (never keep one across an allocation). */
export function f32View(e: Exports, ptr: number, length: number): Float32Array {
  return new Float32Array(e.memory.buffer, ptr, length);
}

export function stats(): MemoryStats {
  return { inUseBytes: inUse, peakInUseBytes: peak, memoryBytes: exports ? exports.memory.buffer.byteLength : 0 };
}
