// SoftPool 2D forward over NCHW float32 planes.
//
// Each output row is split into left-edge windows (clipped by padding), interior windows
// and right-edge windows. Interior windows go four at a time through f32x4 (lane j = output
// ow + j; a last, overlapping group covers widths that are not a multiple of 4), edges
// through the scalar twin. Per window: pivot m (max for beta >= 0,
// min otherwise), then s = sum exp(beta*(x - m)), t = sum exp(beta*(x - m)) * (x - m),
// y = m + t/s. Lanes whose result is not finite are recomputed by the float64 careful path,
// which applies the ±Infinity/NaN rules.

import { exp_nonpos_f32x4 } from "./exp_f32x4";
import { gather4, notFinite4 } from "./simd_gather";
import { softpoolWindowF32 } from "./window_f32";
import { softpoolWindowF64 } from "./window_f64";

/** First output column whose window starts at or after column 0. */
export function interiorStart(sW: i32, pW: i32): i32 {
  return (pW + sW - 1) / sW;
}

/** One past the last output column whose window ends at or before column W. */
export function interiorEnd(W: i32, OW: i32, kW: i32, sW: i32, pW: i32): i32 {
  let room = W + pW - kW;
  return room < 0 ? 0 : min(room / sW + 1, OW);
}

export function softpool2d_fwd_nchw(
  x: usize, y: usize, planes: i32, H: i32, W: i32, OH: i32, OW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32, beta: f32,
): void {
  let rowB = <usize>W << 2;
  let owLo = interiorStart(sW, pW);
  let owHi = max(interiorEnd(W, OW, kW, sW, pW), owLo);
  for (let pl = 0; pl < planes; pl++) {
    let xPlane = x + <usize>pl * <usize>H * rowB;
    let yPlane = y + (<usize>pl * <usize>OH * <usize>OW << 2);
    for (let oh = 0; oh < OH; oh++) {
      let r0 = oh * sH - pH;
      let r1 = min(r0 + kH, H);
      r0 = max(r0, 0);
      let nr = r1 - r0;
      let xRow = xPlane + <usize>r0 * rowB;
      let yRow = yPlane + (<usize>oh * <usize>OW << 2);
      let ow = kW == 2 && sW == 2 && nr == 2
        ? fwdRowK2S2(xRow, rowB, pW, beta, yRow, owLo, owHi)
        : fwdRow(xRow, nr, rowB, kW, sW, pW, beta, yRow, owLo, owHi);
      // Edges (and interiors narrower than 4), one window at a time.
      fwdScalar(xRow, nr, rowB, W, kW, sW, pW, beta, yRow, 0, min(owLo, OW));
      fwdScalar(xRow, nr, rowB, W, kW, sW, pW, beta, yRow, ow, OW);
    }
  }
}

function fwdScalar(
  xRow: usize, nr: i32, rowB: usize, W: i32, kW: i32, sW: i32, pW: i32, beta: f32, yRow: usize, from: i32, to: i32,
): void {
  for (let o = from; o < to; o++) {
    let c0 = o * sW - pW;
    let c1 = min(c0 + kW, W);
    c0 = max(c0, 0);
    store<f32>(yRow + (<usize>o << 2), softpoolWindowF32(xRow + (<usize>c0 << 2), 1, nr, c1 - c0, 0, rowB, 4, beta));
  }
}

// @inline so that each call site gets its own copy with a constant lane stride sc.
// @ts-ignore: decorator
@inline function fwd4(p: usize, nr: i32, rowB: usize, kW: i32, sc: usize, beta: f32, out: usize): void {
  let m = gather4(p, sc);
  for (let r = 0; r < nr; r++) {
    let q = p + <usize>r * rowB;
    if (beta >= 0) for (let c = 0; c < kW; c++) m = f32x4.pmax(m, gather4(q + (<usize>c << 2), sc));
    else for (let c = 0; c < kW; c++) m = f32x4.pmin(m, gather4(q + (<usize>c << 2), sc));
  }
  let vbeta = f32x4.splat(beta);
  let s = f32x4.splat(0);
  let t = s;
  for (let r = 0; r < nr; r++) {
    let q = p + <usize>r * rowB;
    for (let c = 0; c < kW; c++) {
      let dx = f32x4.sub(gather4(q + (<usize>c << 2), sc), m);
      let e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
    }
  }
  finish4(m, s, t, out, p, nr, rowB, kW, sc, beta);
}

/**
 * Kernel 2, stride 2, both rows inside: every tap stays in registers, one pass. Covers the
 * interior [from, to) four outputs at a time, the last group overlapping the one before it
 * when the width is not a multiple of 4 (recomputing an output is harmless). Returns the
 * first column not done: `to`, or `from` when the interior is narrower than 4.
 */
function fwdRowK2S2(xRow: usize, rowB: usize, pW: i32, beta: f32, yRow: usize, from: i32, to: i32): i32 {
  if (to - from < 4) return from;
  let ow = from;
  do {
    let o = min(ow, to - 4);
    fwd4K2S2(xRow + (<usize>(o * 2 - pW) << 2), rowB, beta, yRow + (<usize>o << 2));
    ow += 4;
  } while (ow < to);
  return to;
}

/** Any kernel, four outputs at a time; the lane stride is a constant in each inlined copy. Same contract as fwdRowK2S2. */
function fwdRow(xRow: usize, nr: i32, rowB: usize, kW: i32, sW: i32, pW: i32, beta: f32, yRow: usize, from: i32, to: i32): i32 {
  if (to - from < 4) return from;
  let sc = <usize>sW << 2;
  let ow = from;
  do {
    let o = min(ow, to - 4);
    let p = xRow + (<usize>(o * sW - pW) << 2), out = yRow + (<usize>o << 2);
    if (sW == 1) fwd4(p, nr, rowB, kW, 4, beta, out);
    else if (sW == 2) fwd4(p, nr, rowB, kW, 8, beta, out);
    else fwd4(p, nr, rowB, kW, sc, beta, out);
    ow += 4;
  } while (ow < to);
  return to;
}

// @ts-ignore: decorator
@inline function fwd4K2S2(p: usize, rowB: usize, beta: f32, out: usize): void {
  let a0 = v128.load(p), a1 = v128.load(p, 16);
  let b0 = v128.load(p + rowB), b1 = v128.load(p + rowB, 16);
  let x00 = f32x4.shuffle(a0, a1, 0, 2, 4, 6), x01 = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
  let x10 = f32x4.shuffle(b0, b1, 0, 2, 4, 6), x11 = f32x4.shuffle(b0, b1, 1, 3, 5, 7);
  let m = beta >= 0
    ? f32x4.pmax(f32x4.pmax(x00, x01), f32x4.pmax(x10, x11))
    : f32x4.pmin(f32x4.pmin(x00, x01), f32x4.pmin(x10, x11));
  let vbeta = f32x4.splat(beta);
  let d0 = f32x4.sub(x00, m), d1 = f32x4.sub(x01, m), d2 = f32x4.sub(x10, m), d3 = f32x4.sub(x11, m);
  let e0 = exp_nonpos_f32x4(f32x4.mul(vbeta, d0)), e1 = exp_nonpos_f32x4(f32x4.mul(vbeta, d1));
  let e2 = exp_nonpos_f32x4(f32x4.mul(vbeta, d2)), e3 = exp_nonpos_f32x4(f32x4.mul(vbeta, d3));
  let s = f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3));
  let t = f32x4.add(
    f32x4.add(f32x4.mul(e0, d0), f32x4.mul(e1, d1)),
    f32x4.add(f32x4.mul(e2, d2), f32x4.mul(e3, d3)),
  );
  finish4(m, s, t, out, p, 2, rowB, 2, 8, beta);
}

/** y = m + t/s (exactly m when t = 0, which keeps equal windows and -0 exact); fix non-finite lanes. */
// @ts-ignore: decorator
@inline function finish4(m: v128, s: v128, t: v128, out: usize, p: usize, nr: i32, rowB: usize, kW: i32, sc: usize, beta: f32): void {
  let yv = v128.bitselect(m, f32x4.add(m, f32x4.div(t, s)), f32x4.eq(t, f32x4.splat(0)));
  v128.store(out, yv);
  if (v128.any_true(notFinite4(yv))) {
    for (let j = 0; j < 4; j++) {
      let q = out + (<usize>j << 2);
      let v = load<f32>(q);
      if (v - v != 0) store<f32>(q, <f32>softpoolWindowF64(p + <usize>j * sc, 1, nr, kW, 0, rowB, 4, <f64>beta));
    }
  }
}
