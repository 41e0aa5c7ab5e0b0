// SoftPool 2D, channels first: validate, copy into wasm memory, run the kernel, copy out.

import type { BackwardResult, SoftPoolOptions, Tensor } from './types.js';
import { checkGradOutput, poolGeometry, type PoolGeometry } from './validate.js';
import { allocAll, f32View, freeAll, READ_SLACK, wasm, type Exports } from './wasm.js';

const LAYOUT_2D = ['[C,H,W]', '[N,C,H,W]'];

/** The kernel's geometry arguments: planes, H, W, OH, OW, kH, kW, sH, sW, pH, pW. */
function args2d(g: PoolGeometry): number[] {
  return [g.planes, ...g.inSize, ...g.outSize, ...g.kernel, ...g.stride, ...g.padding];
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** SoftPool over the last two dims of a [N,C,H,W] or [C,H,W] tensor; the output has the same rank. */
export function softPool2d(x: Tensor, options: SoftPoolOptions): Tensor {
  const fn = 'softPool2d';
  const geo = poolGeometry(fn, x, options, 2, LAYOUT_2D);
  const e = wasm(fn);
  const n = x.data.length, m = count(geo.outShape);
  const [xp, yp] = allocAll(fn, e, [n * 4 + READ_SLACK, m * 4]);
  try {
    f32View(e, xp, n).set(x.data);
    e.softpool2d_fwd_nchw(xp, yp, ...(args2d(geo) as Args11), geo.beta);
    return { data: f32View(e, yp, m).slice(), shape: geo.outShape };
  } finally {
    freeAll(e, [xp, yp]);
  }
}

/**
 * The exact gradients of softPool2d for L = sum(gradOutput * y): the input gradient (same
 * shape as x) and the gradient with respect to beta.
 */
export function softPool2dBackward(x: Tensor, gradOutput: Tensor, options: SoftPoolOptions): BackwardResult {
  const fn = 'softPool2dBackward';
  const geo = poolGeometry(fn, x, options, 2, LAYOUT_2D);
  checkGradOutput(fn, gradOutput, geo.outShape);
  const e = wasm(fn);
  const n = x.data.length, m = gradOutput.data.length;
  const [xp, gp, gxp] = allocAll(fn, e, [n * 4 + READ_SLACK, m * 4, n * 4]);
  try {
    f32View(e, xp, n).set(x.data);
    f32View(e, gp, m).set(gradOutput.data);
    const gradBeta = e.softpool2d_bwd_nchw(xp, gp, gxp, ...(args2d(geo) as Args11), geo.beta);
    return { gradInput: { data: f32View(e, gxp, n).slice(), shape: x.shape.slice() }, gradBeta };
  } finally {
    freeAll(e, [xp, gp, gxp]);
  }
}

type Args11 = [number, number, number, number, number, number, number, number, number, number, number];
