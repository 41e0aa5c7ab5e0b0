// Argument checks. Everything is checked before any wasm memory is touched, and every error
// names the argument and the value it got.

import { describe } from './describe.js';
import { WasmTensor } from './tensor.js';
import type { Tensor } from './types.js';

// The brand check of typed arrays: answers 'Float32Array' only for a real one (not for an
// object that merely inherits Float32Array.prototype).
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)!.get!;

function isFloat32Array(v: unknown): v is Float32Array {
  return typedArrayTag.call(v) === 'Float32Array';
}

/** Largest kernel, stride, padding or output size accepted: keeps every index product inside int32. */
export const MAX_WINDOW_PARAM = 2 ** 30;
/** Largest |beta|: beta is applied in float32. */
const MAX_BETA = 3.4028234663852886e38;

export type DataFormat = 'channelsFirst' | 'channelsLast';

export function fail(kind: 'type' | 'range', fn: string, what: string, value: unknown): never {
  const message = `${fn}: ${what}, got ${describe(value)}`;
  throw kind === 'type' ? new TypeError(message) : new RangeError(message);
}

/** Checks a tensor argument; returns its shape as a plain array. */
export function checkTensor(fn: string, name: string, t: unknown, ranks: readonly number[], layout: string): number[] {
  if (typeof t !== 'object' || t === null) fail('type', fn, `${name} must be a tensor { data: Float32Array, shape: number[] }`, t);
  if (t instanceof WasmTensor && t.disposed) fail('type', fn, `${name} is a WasmTensor that was disposed`, t);
  const { data, shape } = t as Partial<Tensor>;
  if (!isFloat32Array(data)) fail('type', fn, `${name}.data must be a Float32Array`, data);
  if (!Array.isArray(shape)) fail('type', fn, `${name}.shape must be an array of dims`, shape);
  const dims = Array.from(shape as readonly unknown[]);
  if (!ranks.includes(dims.length)) {
    fail('range', fn, `${name}.shape must have rank ${ranks.join(' or ')} (${layout})`, dims);
  }
  let size = 1;
  dims.forEach((d, i) => {
    if (typeof d !== 'number') fail('type', fn, `${name}.shape[${i}] must be a number`, d);
    if (!Number.isInteger(d) || d < 1) fail('range', fn, `${name}.shape[${i}] must be an integer >= 1`, d);
    size *= d;
  });
  if (data.length !== size) {
    fail('range', fn, `${name}.data.length must equal the product of ${name}.shape ${describe(dims)} = ${size}`, data.length);
  }
  return dims as number[];
}

/** Checks that gradOutput is a tensor with exactly the forward output's shape. */
export function checkGradOutput(fn: string, gradOutput: unknown, outShape: number[]): void {
  const shape = checkTensor(fn, 'gradOutput', gradOutput, [outShape.length], `the forward output's rank`);
  if (shape.some((d, i) => d !== outShape[i])) {
    fail('range', fn, `gradOutput.shape must equal the forward output shape ${describe(outShape)}`, shape);
  }
}

/** An options object holding only `keys`, with `required` present. */
export function checkOptions(fn: string, options: unknown, keys: readonly string[], required: string): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail('type', fn, `options must be an object with at least ${required}`, options);
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) fail('type', fn, `options has an unknown key "${key}" (known: ${keys.join(', ')})`, key);
  }
  const o = options as Record<string, unknown>;
  if (o[required] === undefined) fail('type', fn, `options.${required} is required`, o[required]);
  return o;
}

/** One value per spatial dim from a number or an array; integers in [min, MAX_WINDOW_PARAM]. */
export function perDim(fn: string, name: string, value: unknown, dims: number, min: number): number[] {
  const list = typeof value === 'number' ? new Array<number>(dims).fill(value) : value;
  if (!Array.isArray(list)) fail('type', fn, `options.${name} must be a number or an array of ${dims} numbers`, value);
  if (list.length !== dims) fail('range', fn, `options.${name} must have ${dims} entries (one per spatial dim)`, value);
  return list.map((v: unknown, i: number) => {
    const label = typeof value === 'number' ? `options.${name}` : `options.${name}[${i}]`;
    if (typeof v !== 'number') fail('type', fn, `${label} must be a number`, v);
    if (!Number.isInteger(v) || v < min || v > MAX_WINDOW_PARAM) {
      fail('range', fn, `${label} must be an integer from ${min} to ${MAX_WINDOW_PARAM}`, v);
    }
    return v;
  });
}

export function checkBeta(fn: string, value: unknown, name = 'options.beta'): number {
  const beta = value === undefined ? 1 : value;
  if (typeof beta !== 'number') fail('type', fn, `${name} must be a number`, beta);
  if (!Number.isFinite(beta) || Math.abs(beta) > MAX_BETA) fail('range', fn, `${name} must be a finite float32 number`, beta);
  return beta;
}

export function checkFormat(fn: string, value: unknown): DataFormat {
  if (value === undefined) return 'channelsFirst';
  if (typeof value !== 'string') fail('type', fn, "options.dataFormat must be 'channelsFirst' or 'channelsLast'", value);
  if (value !== 'channelsFirst' && value !== 'channelsLast') {
    fail('range', fn, "options.dataFormat must be 'channelsFirst' or 'channelsLast'", value);
  }
  return value;
}

/** Checks options.out: a tensor of exactly `shape`, and none of the call's inputs. */
export function checkOut(fn: string, out: unknown, shape: number[], inputs: Record<string, Tensor>): void {
  if (out === undefined) return;
  const got = checkTensor(fn, 'options.out', out, [shape.length], `the result's rank`);
  if (got.some((d, i) => d !== shape[i])) fail('range', fn, `options.out.shape must equal the result shape ${describe(shape)}`, got);
  for (const [name, t] of Object.entries(inputs)) {
    if (out === t || (out as Tensor).data.buffer === t.data.buffer && overlaps((out as Tensor).data, t.data)) {
      fail('range', fn, `options.out must not share memory with ${name}`, name);
    }
  }
}

function overlaps(a: Float32Array, b: Float32Array): boolean {
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
