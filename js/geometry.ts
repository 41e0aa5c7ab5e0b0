// Pooling geometry: output sizes and window parameters, computed here so that the kernels
// only take flat integers. Every spatial list is padded to three dims (D, H, W) because 1D
// and 2D problems run on the 3D kernels with unit leading dims.

import { checkBeta, checkFormat, checkOptions, checkTensor, fail, MAX_WINDOW_PARAM, perDim, type DataFormat } from './validate.js';

const POOL_KEYS = ['kernelSize', 'stride', 'padding', 'ceilMode', 'beta', 'dataFormat', 'out'];
const ADAPTIVE_KEYS = ['outputSize', 'beta', 'dataFormat', 'out'];

export interface PoolGeometry {
  /** The layout the kernels use (channels last with C = 1 runs as channels first, see kernelFormat). */
  format: DataFormat;
  /** Batch size (1 when the input is unbatched). */
  batch: number;
  channels: number;
  inSize: number[];
  outSize: number[];
  kernel: number[];
  stride: number[];
  padding: number[];
  /** Adaptive windows that are not a plain kernel = stride = in/out in every dim. */
  adaptive: boolean;
  /** Output shape, same rank and layout as the input. */
  outShape: number[];
  beta: number;
}

/** PyTorch's pooling output size, including ceil mode's "last window starts inside input or left padding". */
export function pooledSize(size: number, k: number, s: number, p: number, ceilMode: boolean): number {
  let out = Math.floor((size + 2 * p - k + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && out > 0 && (out - 1) * s >= size + p) out -= 1;
  return out;
}

/** The layouts accepted for `spatial` dims, e.g. '[C,H,W] or [N,C,H,W]'. */
function layoutText(format: DataFormat, spatial: number): string {
  const sp = spatial === 1 ? 'L' : ['D', 'H', 'W'].slice(3 - spatial).join(',');
  return format === 'channelsFirst' ? `[C,${sp}] or [N,C,${sp}]` : `[${sp},C] or [N,${sp},C]`;
}

function inputShape(fn: string, x: unknown, format: DataFormat, spatial: number) {
  const shape = checkTensor(fn, 'x', x, [spatial + 1, spatial + 2], layoutText(format, spatial));
  const lead = shape.length === spatial + 2 ? 1 : 0;
  const batch = lead ? shape[0] : 1;
  const channels = format === 'channelsFirst' ? shape[lead] : shape[shape.length - 1];
  const first = format === 'channelsFirst' ? lead + 1 : lead;
  const inSize = shape.slice(first, first + spatial);
  const outShape = (outSize: number[]) => [...shape.slice(0, first), ...outSize, ...shape.slice(first + spatial)];
  return { batch, channels, inSize, outShape };
}

const pad3 = (list: number[], fill: number) => [...new Array<number>(3 - list.length).fill(fill), ...list];

export interface PoolOptions {
  format: DataFormat;
  kernel: number[];
  stride: number[];
  padding: number[];
  ceilMode: boolean;
  beta: number;
}

/** Checks a fixed-window options object on its own (also used by layer constructors). */
export function poolOptions(fn: string, options: unknown, spatial: number): PoolOptions {
  const o = checkOptions(fn, options, POOL_KEYS, 'kernelSize');
  const format = checkFormat(fn, o.dataFormat);
  const kernel = perDim(fn, 'kernelSize', o.kernelSize, spatial, 1);
  const stride = o.stride === undefined ? kernel.slice() : perDim(fn, 'stride', o.stride, spatial, 1);
  const padding = o.padding === undefined ? new Array<number>(spatial).fill(0) : perDim(fn, 'padding', o.padding, spatial, 0);
  if (o.ceilMode !== undefined && typeof o.ceilMode !== 'boolean') fail('type', fn, 'options.ceilMode must be a boolean', o.ceilMode);
  const at = (name: string, i: number) => (spatial > 1 ? `options.${name}[${i}]` : `options.${name}`);
  padding.forEach((p, i) => {
    if (p > Math.floor(kernel[i] / 2)) {
      fail('range', fn, `${at('padding', i)} must be at most half the kernel size (${Math.floor(kernel[i] / 2)} for kernel ${kernel[i]})`, p);
    }
  });
  return { format, kernel, stride, padding, ceilMode: o.ceilMode === true, beta: checkBeta(fn, o.beta) };
}

export interface AdaptiveOptions {
  format: DataFormat;
  /** Requested sizes; null keeps the input size. */
  outputSize: (number | null)[];
  beta: number;
}

/** Checks an adaptive options object on its own (also used by layer constructors). */
export function adaptiveOptions(fn: string, options: unknown, spatial: number): AdaptiveOptions {
  const o = checkOptions(fn, options, ADAPTIVE_KEYS, 'outputSize');
  const format = checkFormat(fn, o.dataFormat);
  const requested = typeof o.outputSize === 'number' ? new Array<unknown>(spatial).fill(o.outputSize) : o.outputSize;
  if (!Array.isArray(requested)) fail('type', fn, `options.outputSize must be a number or an array of ${spatial} entries`, o.outputSize);
  if (requested.length !== spatial) fail('range', fn, `options.outputSize must have ${spatial} entries (one per spatial dim)`, o.outputSize);
  const outputSize = requested.map((v: unknown, i: number) => {
    const label = typeof o.outputSize === 'number' ? 'options.outputSize' : `options.outputSize[${i}]`;
    if (v === null) return null;
    if (typeof v !== 'number') fail('type', fn, `${label} must be a number or null`, v);
    if (!Number.isInteger(v) || v < 1 || v > MAX_WINDOW_PARAM) fail('range', fn, `${label} must be an integer from 1 to ${MAX_WINDOW_PARAM}`, v);
    return v;
  });
  return { format, outputSize, beta: checkBeta(fn, o.beta) };
}

/**
 * Channels last with a single channel is the channels-first layout in memory, so it runs on the
 * channels-first kernels, which vectorise along W (the channels-last ones vectorise across
 * channels and would send C = 1 through the scalar twin, 5-10× slower).
 */
function kernelFormat(format: DataFormat, channels: number): DataFormat {
  return channels === 1 ? 'channelsFirst' : format;
}

/** Validates input and options of a fixed-window pooling call over `spatial` dims. */
export function poolGeometry(fn: string, x: unknown, options: unknown, spatial: number): PoolGeometry {
  const { format, kernel, stride, padding, ceilMode, beta } = poolOptions(fn, options, spatial);
  const { batch, channels, inSize, outShape } = inputShape(fn, x, format, spatial);
  const outSize = inSize.map((size, i) => {
    const out = pooledSize(size, kernel[i], stride[i], padding[i], ceilMode);
    const name = spatial > 1 ? `options.kernelSize[${i}]` : 'options.kernelSize';
    if (out < 1) fail('range', fn, `${name} must fit in the padded input (size ${size} + 2*${padding[i]} padding)`, kernel[i]);
    return out;
  });
  return {
    format: kernelFormat(format, channels), batch, channels, beta, adaptive: false,
    inSize: pad3(inSize, 1), outSize: pad3(outSize, 1),
    kernel: pad3(kernel, 1), stride: pad3(stride, 1), padding: pad3(padding, 0),
    outShape: outShape(outSize),
  };
}

/** Validates input and options of an adaptive pooling call over `spatial` dims. */
export function adaptiveGeometry(fn: string, x: unknown, options: unknown, spatial: number): PoolGeometry {
  const { format, outputSize, beta } = adaptiveOptions(fn, options, spatial);
  const { batch, channels, inSize, outShape } = inputShape(fn, x, format, spatial);
  const outSize = outputSize.map((v, i) => v ?? inSize[i]);
  // Sizes that divide the input give plain windows: kernel = stride = in/out, no padding.
  const plain = outSize.every((out, i) => inSize[i] % out === 0);
  const kernel = plain ? outSize.map((out, i) => inSize[i] / out) : new Array<number>(spatial).fill(1);
  return {
    format: kernelFormat(format, channels), batch, channels, beta, adaptive: !plain,
    inSize: pad3(inSize, 1), outSize: pad3(outSize, 1),
    kernel: pad3(kernel, 1), stride: pad3(kernel, 1), padding: [0, 0, 0],
    outShape: outShape(outSize),
  };
}
