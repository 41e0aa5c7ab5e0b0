// Tensors that live in wasm memory, for zero-copy calls: pass one as `x` (no copy in) or as
// `options.out` (no copy out). `data` is a getter that re-creates its view whenever memory
// has grown, so read it again after any softpool-wasm call instead of keeping the array.

import { describe } from './describe.js';
import type { Tensor } from './types.js';
import { allocAll, freeAll, READ_SLACK, wasm } from './wasm.js';

export class WasmTensor implements Tensor {
  readonly shape: readonly number[];
  readonly length: number;
  #ptr: number;
  #view: Float32Array | null = null;

  /** @internal use allocTensor() */
  constructor(shape: readonly number[], ptr: number) {
    this.shape = Object.freeze(shape.slice());
    this.length = shape.reduce((a, b) => a * b, 1);
    this.#ptr = ptr;
  }

  /** A float32 view of the tensor's wasm memory, valid until the next call that may grow memory. */
  get data(): Float32Array {
    if (this.#ptr === 0) throw new TypeError('WasmTensor: this tensor was disposed');
    const buffer = wasm('WasmTensor').memory.buffer;
    if (this.#view === null || this.#view.buffer !== buffer) this.#view = new Float32Array(buffer, this.#ptr, this.length);
    return this.#view;
  }

  /** Byte address in wasm memory (0 once disposed). */
  get pointer(): number {
    return this.#ptr;
  }

  get disposed(): boolean {
    return this.#ptr === 0;
  }

  /** Frees the memory; further use of the tensor throws. Idempotent. */
  dispose(): void {
    if (this.#ptr === 0) return;
    freeAll(wasm('WasmTensor.dispose'), [this.#ptr]);
    this.#ptr = 0;
    this.#view = null;
  }
}

/** A zero-filled tensor allocated in wasm memory; call dispose() when done. */
export function allocTensor(shape: readonly number[]): WasmTensor {
  const fn = 'allocTensor';
  if (!Array.isArray(shape)) throw new TypeError(`${fn}: shape must be an array of dims, got ${describe(shape)}`);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) {
      throw new RangeError(`${fn}: shape[${i}] must be an integer >= 1, got ${describe(d)}`);
    }
  });
  const e = wasm(fn);
  const length = shape.reduce((a, b) => a * b, 1);
  // READ_SLACK: the tensor may be a kernel input, and SIMD loads read a little past the end.
  const [ptr] = allocAll(fn, e, [length * 4 + READ_SLACK]);
  new Uint8Array(e.memory.buffer, ptr, length * 4 + READ_SLACK).fill(0);
  return new WasmTensor(shape, ptr);
}

/** The live wasm tensor behind t, or null for an ordinary tensor. */
export function wasmTensorOf(t: unknown): WasmTensor | null {
  return t instanceof WasmTensor && !t.disposed ? t : null;
}
