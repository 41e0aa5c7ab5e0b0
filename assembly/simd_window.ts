// Helpers shared by the f32x4 kernels, which pool four windows at once: lane j's window is
// the box of nd × nr × nc floats at p + j*laneB with byte strides sd, sr, sc (four outputs
// along W in channels-first layouts, four channels in channels-last ones). They finish a
// forward group, and hand lanes the fast path must not trust to the scalar or float64 paths.

import { EXP_FLUSH_BELOW } from "./exp_f32x4";
import { gather4, notFinite4 } from "./simd_gather";
import { BWD_Z_LIMIT, softpoolWindowBwdF32 } from "./window_f32";
import { softpoolWindowF64, softpoolWindowBwdF64 } from "./window_f64";

/**
 * The four windows' pivots: per lane the max of the box for beta >= 0, else the min. pmax
 * and pmin skip NaN entries; their lanes still turn NaN through x - m and are redone.
 * Inlined with a constant laneB, so gather4's stride branches fold away.
 */
// @ts-ignore: decorator
@inline export function pivot4(p: usize, laneB: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f32): v128 {
  let m = gather4(p, laneB);
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let q = p + <usize>d * sd + <usize>r * sr;
    if (beta >= 0) for (let c = 0; c < nc; c++) m = f32x4.pmax(m, gather4(q + <usize>c * sc, laneB));
    else for (let c = 0; c < nc; c++) m = f32x4.pmin(m, gather4(q + <usize>c * sc, laneB));
  }
  return m;
}

/** Stores y = m + t/s (exactly m when t = 0: equal windows and -0 stay exact); non-finite lanes are redone in float64. */
// @ts-ignore: decorator
@inline export function finishFwd4(
  m: v128, s: v128, t: v128, out: usize,
  p: usize, laneB: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f32,
): void {
  let yv = v128.bitselect(m, f32x4.add(m, f32x4.div(t, s)), f32x4.eq(t, f32x4.splat(0)));
  v128.store(out, yv);
  if (v128.any_true(notFinite4(yv))) fixLanes(out, p, laneB, nd, nr, nc, sd, sr, sc, beta);
}

function fixLanes(out: usize, p: usize, laneB: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f32): void {
  for (let j = 0; j < 4; j++) {
    let q = out + (<usize>j << 2);
    let v = load<f32>(q);
    if (v - v != 0) store<f32>(q, <f32>softpoolWindowF64(p + <usize>j * laneB, nd, nr, nc, sd, sr, sc, <f64>beta));
  }
}

/** True when any lane's output is not finite or its exponent range could overflow the gradient terms. */
// @ts-ignore: decorator
@inline export function needsCareful(yv: v128, zlo: v128): bool {
  return v128.any_true(v128.or(notFinite4(yv), v128.not(f32x4.gt(zlo, f32x4.splat(-BWD_Z_LIMIT)))));
}

/** gradOutput of four windows (contiguous floats at gv) with lanes below lane0 zeroed: those were done by an earlier group. */
// @ts-ignore: decorator
@inline export function loadG4(gv: usize, lane0: i32): v128 {
  let keep = i32x4.ge_s(i32x4(0, 1, 2, 3), i32x4.splat(lane0));
  return v128.and(v128.load(gv), keep);
}

/** Backward of lanes lane0..3 one at a time through the scalar twin (with its own careful fallback). */
export function bwdLanesScalar(
  p: usize, gp: usize, laneB: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize,
  beta: f32, gv: usize, lane0: i32,
): f64 {
  let gb = 0.0;
  for (let j = lane0; j < 4; j++) {
    let off = <usize>j * laneB;
    gb += softpoolWindowBwdF32(p + off, gp + off, nd, nr, nc, sd, sr, sc, beta, load<f32>(gv + (<usize>j << 2)));
  }
  return gb;
}

/**
 * Lanes whose gradBeta may miss flushed weights: a weight w below float32's normal range
 * became 0, but its term w*(x - y)^2 is not negligible when the window's range |zlo/beta|
 * is at least `range` (2^50 for a window's own pivot, where w < 2^-126; 2^6 for shared
 * exponentials, where w < 2^-30 relative to the window).
 */
// @ts-ignore: decorator
@inline export function flushedMatters4(flushed: v128, zlo: v128, beta: f32, range: f32): v128 {
  return v128.and(flushed, f32x4.ge(f32x4.neg(zlo), f32x4.splat(abs(beta) * range)));
}

/** Lanes with a weight flushed to 0: beta*(x - m) below EXP_FLUSH_BELOW somewhere in the window. */
// @ts-ignore: decorator
@inline export function flushed4(zlo: v128): v128 {
  return f32x4.lt(zlo, f32x4.splat(EXP_FLUSH_BELOW));
}

/** Range from which a window's own-pivot flushed weights can matter to gradBeta. */
// @ts-ignore: decorator
@inline export const OWN_PIVOT_RANGE: f32 = 1.1258999e15; // 2^50

/**
 * Sum of the lanes' gradBeta terms in float64; if any f32 term overflowed or `redo` marks a
 * lane, lanes lane0..3 are redone in float64.
 */
// @ts-ignore: decorator
@inline export function gradBeta4(
  gbv: v128, redo: v128, p: usize, gp: usize, laneB: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize,
  beta: f32, gv: usize, lane0: i32,
): f64 {
  if (v128.any_true(v128.or(notFinite4(gbv), redo))) return gradBetaLanesF64(p, gp, laneB, nd, nr, nc, sd, sr, sc, beta, gv, lane0);
  let sum = f64x2.add(f64x2.promote_low_f32x4(gbv), f64x2.promote_low_f32x4(f32x4.shuffle(gbv, gbv, 2, 3, 2, 3)));
  return f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
}

function gradBetaLanesF64(
  p: usize, gp: usize, laneB: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize,
  beta: f32, gv: usize, lane0: i32,
): f64 {
  let gb = 0.0;
  for (let j = lane0; j < 4; j++) {
    let off = <usize>j * laneB;
    gb += softpoolWindowBwdF64(p + off, gp + off, nd, nr, nc, sd, sr, sc, <f64>beta, <f64>load<f32>(gv + (<usize>j << 2)), false);
  }
  return gb;
}

/**
 * Scratch for the backward's exponentials: the first pass stores each tap's f32x4 of e here
 * so that the second pass loads it instead of computing exp again. A static segment (no
 * allocation); kernels do not re-enter, so one is enough. Windows of more taps recompute a
 * row's exponentials into it, TAP_E_MAX taps at a time.
 */
// @ts-ignore: decorator
@inline export const TAP_E_MAX: i32 = 64;
export const TAP_E: usize = memory.data(16 * TAP_E_MAX, 16);
