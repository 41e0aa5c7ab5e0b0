// Scalar twins of the SIMD window math: one SoftPool window in float32 with the same
// steps as the f32x4 paths (pivot, shifted exponentials, offset form of the mean). They
// serve the edges and tails that a 4-wide vector does not cover, and hand a window to the
// float64 careful path whenever the fast result is not finite or could have overflowed.
//
// A window is a box of nd × nr × nc elements at byte address p with byte strides sd, sr, sc.
// With beta >= 0 the pivot m is the window max, else the min, so that z = beta*(x - m) <= 0
// and every exponential is in (0, 1]: nothing overflows for finite input. The output is
// y = m + t/s with s = sum e, t = sum e*(x - m): equal values give exactly m.

import { exp_nonpos_f32, EXP_FLUSH_BELOW } from "./exp_f32x4";
import { softpoolWindowF64, softpoolWindowBwdF64 } from "./window_f64";

/** Beyond this |beta*(x - m)| the backward's f32 terms could overflow: use float64. */
// @ts-ignore: decorator
@inline export const BWD_Z_LIMIT: f32 = 1e37;

// @ts-ignore: decorator
@inline function at(p: usize, d: i32, r: i32, c: i32, sd: usize, sr: usize, sc: usize): usize {
  return p + <usize>d * sd + <usize>r * sr + <usize>c * sc;
}

/** The pivot: max of the window for beta >= 0, min for beta < 0 (NaN propagates). */
export function windowPivotF32(p: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f32): f32 {
  let m = load<f32>(p);
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let x = load<f32>(at(p, d, r, c, sd, sr, sc));
    m = beta >= 0 ? max(m, x) : min(m, x);
  }
  return m;
}

/** Forward of one window; non-finite fast results are recomputed in float64. */
export function softpoolWindowF32(p: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f32): f32 {
  let m = windowPivotF32(p, nd, nr, nc, sd, sr, sc, beta);
  let s: f32 = 0, t: f32 = 0;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let dx = load<f32>(at(p, d, r, c, sd, sr, sc)) - m;
    let e = exp_nonpos_f32(beta * dx);
    s += e;
    t += e * dx;
  }
  let y = t == 0 ? m : m + t / s;
  if (y - y != 0) y = <f32>softpoolWindowF64(p, nd, nr, nc, sd, sr, sc, <f64>beta);
  return y;
}

/**
 * Backward of one window: adds g * w_i * (1 + beta*(x_i - y)) into the gradient box at gp
 * (same strides) and returns the window's gradBeta term g * sum_i w_i (x_i - y)^2 (float64).
 */
export function softpoolWindowBwdF32(
  p: usize, gp: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f32, g: f32,
): f64 {
  let m = windowPivotF32(p, nd, nr, nc, sd, sr, sc, beta);
  let s: f32 = 0, t: f32 = 0, zlo: f32 = 0;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let dx = load<f32>(at(p, d, r, c, sd, sr, sc)) - m;
    let z = beta * dx;
    let e = exp_nonpos_f32(z);
    zlo = min(zlo, z);
    s += e;
    t += e * dx;
  }
  let tbar = t / s;            // y - m
  let y = m + tbar;
  // Not finite, or 1 + beta*(x - y) could overflow: the careful path does the whole window.
  if (y - y != 0 || !(zlo > -BWD_Z_LIMIT)) {
    return softpoolWindowBwdF64(p, gp, nd, nr, nc, sd, sr, sc, <f64>beta, <f64>g, true);
  }
  let gs = g / s;
  let v: f32 = 0;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let off = <usize>d * sd + <usize>r * sr + <usize>c * sc;
    let dx = load<f32>(p + off) - m;
    let e = exp_nonpos_f32(beta * dx);
    let u = dx - tbar;         // x - y
    store<f32>(gp + off, load<f32>(gp + off) + gs * e * (1 + beta * u));
    v += e * u * u;
  }
  let gb = <f64>g * <f64>v / <f64>s;
  // (x - y)^2 overflowed f32, or weights flushed to 0 below 2^-126 may still weigh in
  // w*(x - y)^2 because the window spans 2^50 or more: only gradBeta needs the careful path.
  let flushedMatters = zlo < EXP_FLUSH_BELOW && -zlo >= abs(beta) * <f32>1.1258999e15;
  if (gb - gb != 0 || flushedMatters) gb = softpoolWindowBwdF64(p, gp, nd, nr, nc, sd, sr, sc, <f64>beta, <f64>g, false);
  return gb;
}
