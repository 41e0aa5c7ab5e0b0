// Argument checks and pooling geometry. Everything is checked here, before any wasm memory
// is touched, and every error names the argument and the value it got.

import { describe } from './describe.js';
import type { SoftPoolOptions, Tensor } from './types.js';

/** Largest kernel, stride or padding accepted: keeps every index product inside int32. */
export const MAX_WINDOW_PARAM = 2 ** 30;
/** Largest |beta|: beta is applied in float32. */
const MAX_BETA = 3.4028234663852886e38;
const OPTION_KEYS = new Set(['kernelSize', 'stride', 'padding', 'ceilMode', 'beta']);

/** A validated pooling problem: channels-first, batch folded into planes. */
export interface PoolGeometry {
  /** N*C: independent planes. */
  planes: number;
  /** Spatial input sizes, e.g. [H, W]. */
  inSize: number[];
  kernel: number[];
  stride: number[];
  padding: number[];
  /** Spatial output sizes, e.g. [OH, OW]. */
  outSize: number[];
  /** Output shape, same rank as the input. */
  outShape: number[];
  beta: number;
}

export function fail(kind: 'type' | 'range', fn: string, what: string, value: unknown): never {
  const message = `${fn}: ${what}, got ${describe(value)}`;
  throw kind === 'type' ? new TypeError(message) : new RangeError(message);
}

/** Checks a tensor argument; returns its shape as a plain array. */
export function checkTensor(fn: string, name: string, t: unknown, ranks: readonly number[], layout: string): number[] {
  if (typeof t !== 'object' || t === null) fail('type', fn, `${name} must be a tensor { data: Float32Array, shape: number[] }`, t);
  const { data, shape } = t as Partial<Tensor>;
  if (!(data instanceof Float32Array)) fail('type', fn, `${name}.data must be a Float32Array`, data);
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

/** One value per spatial dim from a number or an array; integer in [min, MAX_WINDOW_PARAM]. */
function perDim(fn: string, name: string, value: unknown, dims: number, min: number): number[] {
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

/** PyTorch's pooling output size, including ceil mode's "last window starts inside input or left padding". */
export function pooledSize(size: number, k: number, s: number, p: number, ceilMode: boolean): number {
  let out = Math.floor((size + 2 * p - k + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && out > 0 && (out - 1) * s >= size + p) out -= 1;
  return out;
}

/** Validates the input tensor and options of a channels-first pooling call with `spatial` dims. */
export function poolGeometry(fn: string, x: unknown, options: unknown, spatial: number, layout: string[]): PoolGeometry {
  const shape = checkTensor(fn, 'x', x, [spatial + 1, spatial + 2], layout.join(' or '));
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail('type', fn, 'options must be an object with at least kernelSize', options);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) fail('type', fn, `options has an unknown key "${key}" (known: ${[...OPTION_KEYS].join(', ')})`, key);
  }
  const o = options as SoftPoolOptions;
  if (o.kernelSize === undefined) fail('type', fn, 'options.kernelSize is required', o.kernelSize);
  const kernel = perDim(fn, 'kernelSize', o.kernelSize, spatial, 1);
  const stride = o.stride === undefined ? kernel.slice() : perDim(fn, 'stride', o.stride, spatial, 1);
  const padding = o.padding === undefined ? new Array<number>(spatial).fill(0) : perDim(fn, 'padding', o.padding, spatial, 0);
  if (o.ceilMode !== undefined && typeof o.ceilMode !== 'boolean') fail('type', fn, 'options.ceilMode must be a boolean', o.ceilMode);
  const beta = o.beta === undefined ? 1 : o.beta;
  if (typeof beta !== 'number') fail('type', fn, 'options.beta must be a number', beta);
  if (!Number.isFinite(beta) || Math.abs(beta) > MAX_BETA) fail('range', fn, 'options.beta must be a finite float32 number', beta);

  const inSize = shape.slice(-spatial);
  const outSize = inSize.map((size, i) => {
    if (padding[i] > Math.floor(kernel[i] / 2)) {
      fail('range', fn, `options.padding${spatial > 1 ? `[${i}]` : ''} must be at most half the kernel size (${Math.floor(kernel[i] / 2)} for kernel ${kernel[i]})`, padding[i]);
    }
    const out = pooledSize(size, kernel[i], stride[i], padding[i], o.ceilMode === true);
    if (out < 1) {
      fail('range', fn, `options.kernelSize${spatial > 1 ? `[${i}]` : ''} must fit in the padded input (size ${size} + 2*${padding[i]} padding)`, kernel[i]);
    }
    return out;
  });
  const planes = shape.slice(0, shape.length - spatial).reduce((a, b) => a * b, 1);
  return { planes, inSize, kernel, stride, padding, outSize, outShape: [...shape.slice(0, -spatial), ...outSize], beta };
}

/** Checks that gradOutput is a tensor with exactly the forward output's shape. */
export function checkGradOutput(fn: string, gradOutput: unknown, outShape: number[]): void {
  const shape = checkTensor(fn, 'gradOutput', gradOutput, [outShape.length], `the forward output's rank`);
  if (shape.some((d, i) => d !== outShape[i])) {
    fail('range', fn, `gradOutput.shape must equal the forward output shape ${describe(outShape)}`, shape);
  }
}
