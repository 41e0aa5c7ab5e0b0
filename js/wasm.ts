// Loading the module (once, cached) and owning its memory. Kernels never allocate; every
// buffer a call needs is allocated here first, then views are made (allocation may grow
// memory, which detaches old views), then the kernel runs, then the buffers are freed.

import type { Backend, InitOptions, MemoryStats, WasmSource } from './types.js';
import { fetchBytes, packagedWasm, readLocal } from './platform.js';

/** The module's exports (assembly/index.ts). Geometry is 3D: D, H, W with unit leading dims for 1D/2D. */
export interface Exports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  softpool_fwd_ncdhw(x: number, y: number, e: number, eStride: number, flags: number, planes: number, ...geometryAndBeta: number[]): void;
  softpool_bwd_ncdhw(x: number, g: number, gx: number, e: number, eStride: number, flags: number, planes: number, ...geometryAndBeta: number[]): number;
  softpool_fwd_ndhwc(x: number, y: number, n: number, ...geometryBetaAdaptive: number[]): void;
  softpool_bwd_ndhwc(x: number, g: number, gx: number, n: number, ...geometryBetaAdaptive: number[]): number;
  softpool_adaptive_fwd_ncdhw(x: number, y: number, planes: number, ...sizesAndBeta: number[]): void;
  softpool_adaptive_bwd_ncdhw(x: number, g: number, gx: number, planes: number, ...sizesAndBeta: number[]): number;
}

/** Bytes kept after every input buffer: SIMD loads may read up to 16 bytes past the last element. */
export const READ_SLACK = 16;
/** wasm32 addresses 4 GiB; keep a margin for the allocator's own blocks. */
/** The allocator's largest block (AssemblyScript's TLSF: 2^30 bytes less a 4-byte header, 16-byte aligned). */
const MAX_BUFFER_BYTES = 2 ** 30 - 16;

let exports: Exports | null = null;
let active: Backend | null = null;
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

// (module (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))).
const ZERO_V128 = [253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...ZERO_V128, ...ZERO_V128, ...ZERO_V128, 253, 133, 2, 11,
]);

/** Whether the runtime has WebAssembly relaxed SIMD (fused multiply-add), which the 'relaxed' build needs. */
export function relaxedSimdSupported(): boolean {
  return simdSupported() && WebAssembly.validate(RELAXED_PROBE);
}

/** The build in use: 'relaxed', 'simd' or 'scalar'; null until init() has completed. */
export function backend(): Backend | null {
  return active;
}

const BACKENDS = ['auto', 'relaxed', 'simd', 'scalar'] as const;
const BACKEND_NAMES = "'auto', 'relaxed', 'simd' or 'scalar'";

/** Default for init's maxMemoryBytes: the most wasm memory one call's buffers may take. */
export const DEFAULT_MAX_MEMORY_BYTES = 256 * 2 ** 20;
const MIN_BUDGET = 2 ** 16, MAX_BUDGET = 2 ** 32;
let budget = DEFAULT_MAX_MEMORY_BYTES;

/** The memory budget of one call (init's maxMemoryBytes); larger problems run in pieces. */
export function maxMemoryBytes(): number {
  return budget;
}

/**
 * Loads and instantiates the module; idempotent (later calls share the first load). Without
 * `wasm` it loads the packaged build: SIMD where the runtime supports it, else the scalar
 * build; `backend` forces one. A later call asking for the other backend rejects.
 */
export function init(options: InitOptions = {}): Promise<void> {
  if (typeof options !== 'object' || options === null) {
    return Promise.reject(new TypeError(`init: options must be an object, got ${String(options)}`));
  }
  const requested = options.backend ?? 'auto';
  if (typeof requested !== 'string') {
    return Promise.reject(new TypeError(`init: options.backend must be ${BACKEND_NAMES}, got ${Object.prototype.toString.call(requested)}`));
  }
  if (!(BACKENDS as readonly string[]).includes(requested)) {
    return Promise.reject(new RangeError(`init: options.backend must be ${BACKEND_NAMES}, got '${requested}'`));
  }
  if (options.maxMemoryBytes !== undefined) {
    const bytes = options.maxMemoryBytes;
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < MIN_BUDGET || bytes > MAX_BUDGET) {
      return Promise.reject(new RangeError(`init: options.maxMemoryBytes must be an integer from ${MIN_BUDGET} to ${MAX_BUDGET}, got ${String(bytes)}`));
    }
    budget = bytes;
  }
  if (!pending) {
    pending = load(options.wasm, requested as Backend | 'auto').then(
      (r) => { exports = r.exports; active = r.backend; },
      (err) => { pending = null; throw err; },
    );
  }
  return pending.then(() => {
    if (requested !== 'auto' && requested !== active) {
      throw new Error(`init: softpool-wasm is already initialised with the ${active} build, so backend '${requested}' cannot be used (the module is loaded once per JavaScript realm)`);
    }
  });
}

const NO_SIMD = 'this JavaScript runtime does not support WebAssembly SIMD (fixed-width 128-bit)';
const NO_RELAXED = 'this JavaScript runtime does not support WebAssembly relaxed SIMD (Node >= 22, Deno, Chrome >= 114 have it; Node 20 needs --experimental-wasm-relaxed-simd)';

async function load(source: WasmSource | undefined, requested: Backend | 'auto'): Promise<{ exports: Exports; backend: Backend }> {
  const simd = simdSupported();
  const relaxed = relaxedSimdSupported();
  if (requested === 'simd' && !simd) {
    throw new Error(`softpool-wasm: backend 'simd' was requested, but ${NO_SIMD}; use backend 'scalar', or leave backend out to pick it automatically`);
  }
  if (requested === 'relaxed' && !relaxed) {
    throw new Error(`softpool-wasm: backend 'relaxed' was requested, but ${NO_RELAXED}; use backend 'simd', or leave backend out to pick the fastest build this runtime supports`);
  }
  const best: Backend = relaxed ? 'relaxed' : simd ? 'simd' : 'scalar';
  let chosen: Backend | null;
  let code: BufferSource | WebAssembly.Module;
  if (source === undefined) {
    chosen = requested === 'auto' ? best : requested;
    code = await resolve(packagedWasm(chosen));
  } else {
    code = await resolve(source);
    const detected = code instanceof WebAssembly.Module ? null : usesSimd(code);
    if (requested !== 'auto' && detected !== null && detected !== (requested !== 'scalar')) {
      throw new Error(`init: options.backend is '${requested}' but options.wasm is the ${detected ? 'SIMD' : 'scalar'} build`);
    }
    if (detected === true && !simd) {
      throw new Error(`softpool-wasm: options.wasm is a SIMD build, but ${NO_SIMD}; pass the scalar build (softpool-wasm/softpool.scalar.wasm) or leave wasm out`);
    }
    chosen = requested !== 'auto' ? requested : null; // else: what the module says it is (below)
  }
  let module: WebAssembly.Module;
  try {
    module = code instanceof WebAssembly.Module ? code : await WebAssembly.compile(code);
  } catch (err) {
    if (source !== undefined && !relaxed) {
      throw new Error(`init: options.wasm does not compile here (${(err as Error).message}); if it is the relaxed-SIMD build (softpool.relaxed.wasm), ${NO_RELAXED}: pass softpool.wasm or leave wasm out`);
    }
    throw err;
  }
  const instance = await WebAssembly.instantiate(module, {
    env: {
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`softpool-wasm: internal abort at ${line}:${column}`);
      },
    },
  });
  const built = builtAs(instance.exports);
  if (built !== null && chosen !== null && built !== chosen) {
    throw new Error(`init: options.backend is '${chosen}' but options.wasm is the ${built} build`);
  }
  return { exports: instance.exports as unknown as Exports, backend: chosen ?? built ?? best };
}

/** Which build a module is, from its `features` export (SIMD = 1, relaxed SIMD = 2); null if it has none. */
function builtAs(exported: WebAssembly.Exports): Backend | null {
  const features = exported.features;
  if (typeof features !== 'function') return null;
  const f = (features as () => number)();
  return f & 2 ? 'relaxed' : f & 1 ? 'simd' : 'scalar';
}

/** The bytes (or the compiled module) behind any accepted source. */
async function resolve(source: WasmSource | Uint8Array): Promise<BufferSource | WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`init: options.wasm is a Response with HTTP status ${source.status}`);
    return source.arrayBuffer();
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  if (typeof source === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(source)) return readLocal(source);
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source);
    return url.protocol === 'file:' ? readLocal(url) : fetchBytes(url);
  }
  throw new TypeError(`init: options.wasm must be a URL, a path, bytes, a Response or a WebAssembly.Module, got ${Object.prototype.toString.call(source)}`);
}

/**
 * Whether a module's bytes use v128 values (in a function type or a function's locals): true
 * for the SIMD build, false for the scalar one; null when the bytes cannot be read as a module.
 */
export function usesSimd(code: BufferSource): boolean | null {
  const b = code instanceof ArrayBuffer ? new Uint8Array(code) : new Uint8Array(code.buffer, code.byteOffset, code.byteLength);
  let p = 8;
  const u32 = (): number => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= b.length) throw new RangeError('truncated');
      const byte = b[p++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new RangeError('bad LEB128');
  };
  const V128 = 0x7b;
  try {
    if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) return null;
    while (p < b.length) {
      const id = b[p++];
      const size = u32();
      const end = p + size;
      if (id === 1) { // types: (0x60 params results)*
        for (let n = u32(); n > 0; n--) {
          if (b[p++] !== 0x60) return null;
          for (let k = 0; k < 2; k++) for (let m = u32(); m > 0; m--) if (b[p++] === V128) return true;
        }
      } else if (id === 10) { // code: (size (count valtype)* expr)*
        for (let n = u32(); n > 0; n--) {
          const bodySize = u32();
          const bodyEnd = p + bodySize;
          for (let m = u32(); m > 0; m--) {
            u32();
            if (b[p++] === V128) return true;
          }
          p = bodyEnd;
        }
      }
      p = end;
    }
    return false;
  } catch {
    return null;
  }
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
  const largest = Math.max(...sizes);
  if (largest > MAX_BUFFER_BYTES) {
    throw new RangeError(`${fn}: one buffer of ${largest} bytes is needed, and a buffer in wasm memory holds at most ${MAX_BUFFER_BYTES} bytes (1 GiB), got ${largest}`);
  }
  try {
    for (const size of sizes) {
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
