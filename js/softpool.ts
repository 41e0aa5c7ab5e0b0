// The public SoftPool functions: 1D, 2D and 3D, fixed and adaptive windows, forward and
// backward, channels first or last. Each validates, then runs.

import { adaptiveGeometry, poolGeometry } from './geometry.js';
import { backward, forward } from './run.js';
import { checkGradOutput, checkOut } from './validate.js';
import type { AdaptiveSoftPoolOptions, BackwardResult, SoftPoolOptions, Tensor } from './types.js';

function pool(fn: string, spatial: number) {
  return (x: Tensor, options: SoftPoolOptions): Tensor => {
    const g = poolGeometry(fn, x, options, spatial);
    checkOut(fn, options.out, g.outShape, { x });
    return forward(fn, x, g, options.out);
  };
}

function poolBackward(fn: string, spatial: number) {
  return (x: Tensor, gradOutput: Tensor, options: SoftPoolOptions): BackwardResult => {
    const g = poolGeometry(fn, x, options, spatial);
    checkGradOutput(fn, gradOutput, g.outShape);
    checkOut(fn, options.out, x.shape.slice(), { x, gradOutput });
    return backward(fn, x, gradOutput, g, options.out);
  };
}

function adaptive(fn: string, spatial: number) {
  return (x: Tensor, options: AdaptiveSoftPoolOptions): Tensor => {
    const g = adaptiveGeometry(fn, x, options, spatial);
    checkOut(fn, options.out, g.outShape, { x });
    return forward(fn, x, g, options.out);
  };
}

function adaptiveBackward(fn: string, spatial: number) {
  return (x: Tensor, gradOutput: Tensor, options: AdaptiveSoftPoolOptions): BackwardResult => {
    const g = adaptiveGeometry(fn, x, options, spatial);
    checkGradOutput(fn, gradOutput, g.outShape);
    checkOut(fn, options.out, x.shape.slice(), { x, gradOutput });
    return backward(fn, x, gradOutput, g, options.out);
  };
}

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
