// Running a validated pooling problem: copy the input into wasm memory, call the kernel
// that fits the layout and window kind, copy the result out, free everything.

import type { PoolGeometry } from './geometry.js';
import type { BackwardResult, Tensor } from './types.js';
import { allocAll, f32View, freeAll, READ_SLACK, wasm, type Exports } from './wasm.js';

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Sizes then window parameters, as the fixed-window kernels take them. */
function windowArgs(g: PoolGeometry): number[] {
  return [...g.inSize, ...g.outSize, ...g.kernel, ...g.stride, ...g.padding];
}

function runForwardKernel(e: Exports, g: PoolGeometry, xp: number, yp: number): void {
  if (g.format === 'channelsLast') {
    const [D, H, W] = g.inSize;
    e.softpool_fwd_ndhwc(xp, yp, g.batch, D, H, W, g.channels, ...g.outSize, ...g.kernel, ...g.stride, ...g.padding, g.beta, g.adaptive ? 1 : 0);
  } else if (g.adaptive) {
    e.softpool_adaptive_fwd_ncdhw(xp, yp, g.batch * g.channels, ...g.inSize, ...g.outSize, g.beta);
  } else {
    e.softpool_fwd_ncdhw(xp, yp, g.batch * g.channels, ...windowArgs(g), g.beta);
  }
}

function runBackwardKernel(e: Exports, g: PoolGeometry, xp: number, gp: number, gxp: number): number {
  if (g.format === 'channelsLast') {
    const [D, H, W] = g.inSize;
    return e.softpool_bwd_ndhwc(xp, gp, gxp, g.batch, D, H, W, g.channels, ...g.outSize, ...g.kernel, ...g.stride, ...g.padding, g.beta, g.adaptive ? 1 : 0);
  }
  if (g.adaptive) return e.softpool_adaptive_bwd_ncdhw(xp, gp, gxp, g.batch * g.channels, ...g.inSize, ...g.outSize, g.beta);
  return e.softpool_bwd_ncdhw(xp, gp, gxp, g.batch * g.channels, ...windowArgs(g), g.beta);
}

export function forward(fn: string, x: Tensor, g: PoolGeometry): Tensor {
  const e = wasm(fn);
  const n = x.data.length, m = count(g.outShape);
  const [xp, yp] = allocAll(fn, e, [n * 4 + READ_SLACK, m * 4]);
  try {
    f32View(e, xp, n).set(x.data);
    runForwardKernel(e, g, xp, yp);
    return { data: f32View(e, yp, m).slice(), shape: g.outShape };
  } finally {
    freeAll(e, [xp, yp]);
  }
}

export function backward(fn: string, x: Tensor, gradOutput: Tensor, g: PoolGeometry): BackwardResult {
  const e = wasm(fn);
  const n = x.data.length, m = gradOutput.data.length;
  const [xp, gp, gxp] = allocAll(fn, e, [n * 4 + READ_SLACK, m * 4, n * 4]);
  try {
    f32View(e, xp, n).set(x.data);
    f32View(e, gp, m).set(gradOutput.data);
    const gradBeta = runBackwardKernel(e, g, xp, gp, gxp);
    return { gradInput: { data: f32View(e, gxp, n).slice(), shape: x.shape.slice() }, gradBeta };
  } finally {
    freeAll(e, [xp, gp, gxp]);
  }
}
