// Exponentials shared by overlapping windows. Where windows overlap (stride < kernel), the
// per-window pivot makes every element's exp be recomputed once per window holding it (9
// times for kernel 3, stride 1). Instead, a whole plane gets one pivot M (its max for
// beta >= 0, its min otherwise) and E_i = exp(beta*(x_i - M)) is computed once per element.
// A window's weights are then E_i / sum E, exactly as with its own pivot, as long as its
// largest E is not near float32 underflow: windows whose sum falls below SHARED_S_MIN (their
// values sit ~66/|beta| or more beyond the plane's pivot) go back to their own pivot.

import { exp_nonpos_f32x4, exp_nonpos_f32 } from "./exp_f32x4";

/**
 * Smallest window sum that keeps shared exponentials accurate: the window's largest E is
 * then >= 2^-96/n, so every E that flushes to 0 (below 2^-126) weighs < 2^-26 of it.
 */
// @ts-ignore: decorator
@inline export const SHARED_S_MIN: f32 = 1.2621774e-29; // 2^-96

/** Range from which shared-exponential flushed weights can matter to gradBeta (see flushedMatters4). */
// @ts-ignore: decorator
@inline export const SHARED_RANGE: f32 = 64;

/**
 * Largest |beta| for shared exponentials. Their window sums can be as small as 2^-96, so
 * products E*(x - m) of tiny differences lose bits to underflow (up to 2^-149/2^-96 of x - y);
 * beta multiplies that error in the gradient's 1 + beta*(x - y). Below 2^20 it stays < 1e-10.
 */
// @ts-ignore: decorator
@inline const SHARED_BETA_MAX: f32 = 1048576;

/**
 * Writes E_i = exp(beta*(x_i - M)) for the n floats at x to e (M ignores NaN; knownTop and
 * knownBottom, unless NaN, give the plane's max and min when x is only part of it) and returns
 * true; returns false, writing nothing, when the plane's range overflows float32 (x - M
 * would be -Infinity where the true exp is not 0) or |beta| is too large: those planes keep
 * per-window pivots.
 */
export function planeExp(x: usize, n: i32, beta: f32, e: usize, knownTop: f32, knownBottom: f32): bool {
  if (!(abs(beta) <= SHARED_BETA_MAX)) return false;
  if (knownTop == knownTop) return expAgainst(x, n, beta, e, knownTop, knownBottom);
  let i = 0;
  let hi = f32x4.splat(-Infinity), lo = f32x4.splat(Infinity);
  // pmax(a, b) = a < b ? b : a keeps the accumulator when b is NaN.
  for (; i + 4 <= n; i += 4) {
    let v = v128.load(x + (<usize>i << 2));
    hi = f32x4.pmax(hi, v);
    lo = f32x4.pmin(lo, v);
  }
  let top = max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
  let bottom = min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
  for (let j = i; j < n; j++) {
    let v = load<f32>(x + (<usize>j << 2));
    if (v > top) top = v;
    if (v < bottom) bottom = v;
  }
  return expAgainst(x, n, beta, e, top, bottom);
}

/** The exponentials against the plane's pivot, unless its range [bottom, top] overflows. */
function expAgainst(x: usize, n: i32, beta: f32, e: usize, top: f32, bottom: f32): bool {
  if (!isFinite(top - bottom)) return false;
  let m = beta >= 0 ? top : bottom;
  let i = 0;
  let vb = f32x4.splat(beta), vm = f32x4.splat(m);
  for (; i + 4 <= n; i += 4) {
    let off = <usize>i << 2;
    v128.store(e + off, exp_nonpos_f32x4(f32x4.mul(vb, f32x4.sub(v128.load(x + off), vm))));
  }
  for (; i < n; i++) {
    let off = <usize>i << 2;
    store<f32>(e + off, exp_nonpos_f32(beta * (load<f32>(x + off) - m)));
  }
  return true;
}
