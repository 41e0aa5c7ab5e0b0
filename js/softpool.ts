// The public SoftPool functions: 1D, 2D and 3D, fixed and adaptive windows, forward and
// backward, channels first or last. Each validates, then runs.

import { adaptiveGeometry, poolGeometry, type PoolGeometry } from './geometry.js';
import { backward, forward } from './run.js';
import { WasmTensor } from './tensor.js';
import { checkGradOutput, checkOut } from './validate.js';
import type { AdaptiveSoftPoolOptions, BackwardResult, SoftPoolOptions, Tensor } from './types.js';

type Geometry = (fn: string, x: unknown, options: unknown, spatial: number) => PoolGeometry;

/**
 * Reads a caller's tensor (or options object) once: validation and the run then see the
 * same data and shape even if the object's getters would answer differently next time.
 */
export function readOnce<T>(t: T): T {
  if (typeof t !== 'object' || t === null || t instanceof WasmTensor || Array.isArray(t)) return t;
  const copy = { ...(t as object) } as Record<string, unknown>;
  if (Array.isArray(copy.shape)) copy.shape = copy.shape.slice();
  return copy as T;
}

/**
 * What to hand back for options.out: the caller's own object, unless its `data` is a getter
 * (which may no longer answer the array that was written): then the snapshot that was.
 */
function deliverOut(original: Tensor, snapshot: Tensor): Tensor {
  const own = Object.getOwnPropertyDescriptor(original, 'data');
  return original instanceof WasmTensor || (own !== undefined && 'value' in own) ? original : snapshot;
}

function makeForward<O extends { out?: Tensor }>(fn: string, spatial: number, geometry: Geometry) {
  return (x: Tensor, options: O): Tensor => {
    const xs = readOnce(x), opts = readOnce(options);
    const g = geometry(fn, xs, opts, spatial);
    const out = readOnce(opts.out);
    checkOut(fn, out, g.outShape, { x: xs });
    const y = forward(fn, xs, g, out);
    return y === out ? deliverOut(opts.out!, out) : y;
  };
}

function makeBackward<O extends { out?: Tensor }>(fn: string, spatial: number, geometry: Geometry) {
  return (x: Tensor, gradOutput: Tensor, options: O): BackwardResult => {
    const xs = readOnce(x), gs = readOnce(gradOutput), opts = readOnce(options);
    const g = geometry(fn, xs, opts, spatial);
    checkGradOutput(fn, gs, g.outShape);
    const out = readOnce(opts.out);
    checkOut(fn, out, xs.shape.slice(), { x: xs, gradOutput: gs });
    const r = backward(fn, xs, gs, g, out);
    return r.gradInput === out ? { gradInput: deliverOut(opts.out!, out), gradBeta: r.gradBeta } : r;
  };
}

const pool = (fn: string, spatial: number) => makeForward<SoftPoolOptions>(fn, spatial, poolGeometry);
const poolBackward = (fn: string, spatial: number) => makeBackward<SoftPoolOptions>(fn, spatial, poolGeometry);
const adaptive = (fn: string, spatial: number) => makeForward<AdaptiveSoftPoolOptions>(fn, spatial, adaptiveGeometry);
const adaptiveBackward = (fn: string, spatial: number) => makeBackward<AdaptiveSoftPoolOptions>(fn, spatial, adaptiveGeometry);

/** SoftPool over L of [N,C,L] / [C,L] (channelsLast: [N,L,C] / [L,C]). */
export const softPool1d = pool('softPool1d', 1);
/** SoftPool over H, W of [N,C,H,W] / [C,H,W] (channelsLast: [N,H,W,C] / [H,W,C]). */
export const softPool2d = pool('softPool2d', 2);
/** SoftPool over D, H, W of [N,C,D,H,W] / [C,D,H,W] (channelsLast: [N,D,H,W,C] / [D,H,W,C]). */
export const softPool3d = pool('softPool3d', 3);
/** Exact gradients of softPool1d for L = sum(gradOutput * y). */
export const softPool1dBackward = poolBackward('softPool1dBackward', 1);
/** Exact gradients of softPool2d for L = sum(gradOutput * y). */
export const softPool2dBackward = poolBackward('softPool2dBackward', 2);
/** Exact gradients of softPool3d for L = sum(gradOutput * y). */
export const softPool3dBackward = poolBackward('softPool3dBackward', 3);
/** SoftPool to a fixed output size (PyTorch's adaptive windows). */
export const adaptiveSoftPool1d = adaptive('adaptiveSoftPool1d', 1);
export const adaptiveSoftPool2d = adaptive('adaptiveSoftPool2d', 2);
export const adaptiveSoftPool3d = adaptive('adaptiveSoftPool3d', 3);
export const adaptiveSoftPool1dBackward = adaptiveBackward('adaptiveSoftPool1dBackward', 1);
export const adaptiveSoftPool2dBackward = adaptiveBackward('adaptiveSoftPool2dBackward', 2);
export const adaptiveSoftPool3dBackward = adaptiveBackward('adaptiveSoftPool3dBackward', 3);
