// SoftPool forward, channels first (NCW, NCHW, NCDHW: 1D and 2D are D = 1 and H = 1), float32.
//
// Each output row (fixed od, oh) is split into left-edge windows (clipped by padding),
// interior windows and right-edge windows. Interior windows go four at a time through
// f32x4 (lane j = output ow + j; a last, overlapping group covers widths that are not a
// multiple of 4), edges through the scalar twin. Per window: pivot m (max for beta >= 0,
// min otherwise), s = sum exp(beta*(x - m)), t = sum exp(beta*(x - m)) * (x - m),
// y = m + t/s. Lanes whose result is not finite are recomputed by the float64 careful
// path, which applies the ±Infinity/NaN rules.

import { exp_nonpos_f32x4 } from "./exp_f32x4";
import { gather4 } from "./simd_gather";
import { finishFwd4, pivot4 } from "./simd_window";
import { interiorStart, interiorEnd, windowStart, windowEnd } from "./pool_geometry";
import { planeExp, SHARED_S_MIN } from "./plane_exp";
import { softpoolWindowF32 } from "./window_f32";

/**
 * x: planes × D × H × W, y: planes × OD × OH × OW. With e != 0, interior windows use shared
 * exponentials (plane_exp.ts): plane pl's E goes to e + pl*eStride (eStride 0: one scratch
 * plane of D*H*W floats plus 16 bytes, reused), and with flags != 0 byte pl of flags records
 * whether that plane's E is valid, so that a backward can reuse them (softpool_bwd_ncdhw).
 * top/bottom: the planes' max and min when x holds only a band of them (NaN: from x), so
 * that a band shares the whole plane's exponentials.
 */
export function softpool_fwd_ncdhw(
  x: usize, y: usize, e: usize, eStride: usize, flags: usize, planes: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  kD: i32, kH: i32, kW: i32, sD: i32, sH: i32, sW: i32, pD: i32, pH: i32, pW: i32, beta: f32,
  top: f32, bottom: f32,
): void {
  let rowB = <usize>W << 2;
  let sliceB = <usize>H * rowB;
  let owLo = interiorStart(sW, pW);
  let owHi = max(interiorEnd(W, OW, kW, sW, pW), owLo);
  for (let pl = 0; pl < planes; pl++) {
    let xPlane = x + <usize>pl * <usize>D * sliceB;
    let yPlane = y + (<usize>pl * <usize>OD * <usize>OH * <usize>OW << 2);
    let ePlane = e + <usize>pl * eStride;
    let shared = false;
    if (ASC_FEATURE_SIMD && e != 0) shared = planeExp(xPlane, D * H * W, beta, ePlane, top, bottom);
    if (flags != 0) store<u8>(flags + <usize>pl, shared ? 1 : 0);
    for (let od = 0; od < OD; od++) {
      let d0 = windowStart(od, D, OD, kD, sD, pD, false), d1 = windowEnd(od, D, OD, kD, sD, pD, false);
      for (let oh = 0; oh < OH; oh++) {
        let r0 = windowStart(oh, H, OH, kH, sH, pH, false), r1 = windowEnd(oh, H, OH, kH, sH, pH, false);
        let nd = d1 - d0, nr = r1 - r0;
        let xRow = xPlane + <usize>d0 * sliceB + <usize>r0 * rowB;
        let yRow = yPlane + ((<usize>od * <usize>OH + <usize>oh) * <usize>OW << 2);
        let ow = owLo;
        if (ASC_FEATURE_SIMD && owHi - owLo >= 4) {
          if (shared) fwdRowShared(xRow, ePlane + (xRow - xPlane), nd, sliceB, nr, rowB, kW, sW, pW, beta, yRow, owLo, owHi);
          else if (kW == 2 && sW == 2 && nd == 1 && nr == 2) fwdRowK2S2(xRow, rowB, pW, beta, yRow, owLo, owHi);
          else if (kW == 2 && sW == 2 && nd == 2 && nr == 2) fwdRowK2S2D2(xRow, sliceB, rowB, pW, beta, yRow, owLo, owHi);
          else if (kW == 2 && sW == 2 && nd == 1 && nr == 1) fwdRowK2S2Row1(xRow, pW, beta, yRow, owLo, owHi);
          else fwdRow(xRow, nd, sliceB, nr, rowB, kW, sW, pW, beta, yRow, owLo, owHi);
          ow = owHi;
        }
        // Edges (and interiors narrower than 4), one window at a time.
        fwdScalar(xRow, nd, sliceB, nr, rowB, W, kW, sW, pW, beta, yRow, 0, min(owLo, OW));
        fwdScalar(xRow, nd, sliceB, nr, rowB, W, kW, sW, pW, beta, yRow, ow, OW);
      }
    }
  }
}

function fwdScalar(
  xRow: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, W: i32, kW: i32, sW: i32, pW: i32, beta: f32,
  yRow: usize, from: i32, to: i32,
): void {
  for (let o = from; o < to; o++) {
    let c0 = windowStart(o, W, 0, kW, sW, pW, false), c1 = windowEnd(o, W, 0, kW, sW, pW, false);
    store<f32>(yRow + (<usize>o << 2), softpoolWindowF32(xRow + (<usize>c0 << 2), nd, nr, c1 - c0, sliceB, rowB, 4, beta));
  }
}

/**
 * Any kernel over the interior [from, to) (to - from >= 4), four outputs at a time, the last
 * group overlapping the one before it when the width is not a multiple of 4 (recomputing an
 * output is harmless). The lane stride is a constant in each inlined copy of fwd4.
 */
function fwdRow(
  xRow: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, kW: i32, sW: i32, pW: i32, beta: f32,
  yRow: usize, from: i32, to: i32,
): void {
  let sc = <usize>sW << 2;
  let ow = from;
  do {
    let o = min(ow, to - 4);
    let p = xRow + (<usize>(o * sW - pW) << 2), out = yRow + (<usize>o << 2);
    if (sW == 1) fwd4(p, nd, sliceB, nr, rowB, kW, 4, beta, out);
    else if (sW == 2) fwd4(p, nd, sliceB, nr, rowB, kW, 8, beta, out);
    else fwd4(p, nd, sliceB, nr, rowB, kW, sc, beta, out);
    ow += 4;
  } while (ow < to);
}

/** fwdRow with shared exponentials: ep is the row's place in the plane's E. */
function fwdRowShared(
  xRow: usize, ep: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, kW: i32, sW: i32, pW: i32, beta: f32,
  yRow: usize, from: i32, to: i32,
): void {
  let sc = <usize>sW << 2;
  let ow = from;
  do {
    let o = min(ow, to - 4);
    let off = <usize>(o * sW - pW) << 2, out = yRow + (<usize>o << 2);
    if (sW == 1) fwd4Shared(xRow + off, ep + off, nd, sliceB, nr, rowB, kW, 4, beta, out);
    else if (sW == 2 && kW == 3) fwd4SharedK3S2(xRow + off, ep + off, nd, sliceB, nr, rowB, beta, out);
    else if (sW == 2) fwd4Shared(xRow + off, ep + off, nd, sliceB, nr, rowB, kW, 8, beta, out);
    else fwd4Shared(xRow + off, ep + off, nd, sliceB, nr, rowB, kW, sc, beta, out);
    ow += 4;
  } while (ow < to);
}


/**
 * Four windows from shared exponentials, y = m + t/s with t = sum E*(x - m). The exponentials
 * need no pivot here, so the offset m is the window's first tap rather than its max: any value
 * of the window keeps |x - m| within the window's range, which is what the accuracy of t/s
 * depends on, and it saves a pass over the taps. A NaN or infinite m makes the lane's result
 * non-finite, and finishFwd4 redoes it in float64.
 */
// @ts-ignore: decorator
@inline function fwd4Shared(p: usize, ep: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, kW: i32, sc: usize, beta: f32, out: usize): void {
  let m = gather4(p, sc);
  let s = f32x4.splat(0);
  let t = s;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let rowOff = <usize>d * sliceB + <usize>r * rowB;
    for (let c = 0; c < kW; c++) {
      let off = rowOff + (<usize>c << 2);
      let ev = gather4(ep + off, sc);
      s = f32x4.add(s, ev);
      t = f32x4.add(t, f32x4.mul(ev, f32x4.sub(gather4(p + off, sc), m)));
    }
  }
  // Sums near underflow (or NaN): these windows need their own pivot.
  if (!v128.all_true<i32>(f32x4.ge(s, f32x4.splat(SHARED_S_MIN)))) {
    fwd4(p, nd, sliceB, nr, rowB, kW, sc, beta, out);
    return;
  }
  finishFwd4(m, s, t, out, p, sc, nd, nr, kW, sliceB, rowB, 4, beta);
}

/**
 * fwd4Shared for kernel 3, stride 2: a row's three taps for the four windows come from 12
 * contiguous floats, three loads and three shuffles instead of three two-load gathers. Same
 * operations on the same values in the same order as fwd4Shared, so the same bits.
 */
// @ts-ignore: decorator
@inline function fwd4SharedK3S2(p: usize, ep: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, beta: f32, out: usize): void {
  let m = gather4(p, 8);
  let s = f32x4.splat(0);
  let t = s;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let rowOff = <usize>d * sliceB + <usize>r * rowB;
    let q = p + rowOff, eq = ep + rowOff;
    let a0 = v128.load(q), a1 = v128.load(q, 16), a2 = v128.load(q, 32);
    let b0 = v128.load(eq), b1 = v128.load(eq, 16), b2 = v128.load(eq, 32);
    let x0 = f32x4.shuffle(a0, a1, 0, 2, 4, 6), x1 = f32x4.shuffle(a0, a1, 1, 3, 5, 7), x2 = f32x4.shuffle(x0, a2, 1, 2, 3, 4);
    let e0 = f32x4.shuffle(b0, b1, 0, 2, 4, 6), e1 = f32x4.shuffle(b0, b1, 1, 3, 5, 7), e2 = f32x4.shuffle(e0, b2, 1, 2, 3, 4);
    s = f32x4.add(f32x4.add(f32x4.add(s, e0), e1), e2);
    t = f32x4.add(t, f32x4.mul(e0, f32x4.sub(x0, m)));
    t = f32x4.add(t, f32x4.mul(e1, f32x4.sub(x1, m)));
    t = f32x4.add(t, f32x4.mul(e2, f32x4.sub(x2, m)));
  }
  if (!v128.all_true<i32>(f32x4.ge(s, f32x4.splat(SHARED_S_MIN)))) {
    fwd4(p, nd, sliceB, nr, rowB, 3, 8, beta, out);
    return;
  }
  finishFwd4(m, s, t, out, p, 8, nd, nr, 3, sliceB, rowB, 4, beta);
}

// @inline so that each call site gets its own copy with a constant lane stride sc.
// @ts-ignore: decorator
@inline function fwd4(p: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, kW: i32, sc: usize, beta: f32, out: usize): void {
  let m = pivot4(p, sc, nd, nr, kW, sliceB, rowB, 4, beta);
  let vbeta = f32x4.splat(beta);
  let s = f32x4.splat(0);
  let t = s;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let q = p + <usize>d * sliceB + <usize>r * rowB;
    for (let c = 0; c < kW; c++) {
      let dx = f32x4.sub(gather4(q + (<usize>c << 2), sc), m);
      let e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
    }
  }
  finishFwd4(m, s, t, out, p, sc, nd, nr, kW, sliceB, rowB, 4, beta);
}

/** Kernel 2, stride 2, one slice, both rows inside: every tap stays in registers, one pass. */
function fwdRowK2S2(xRow: usize, rowB: usize, pW: i32, beta: f32, yRow: usize, from: i32, to: i32): void {
  let ow = from;
  do {
    let o = min(ow, to - 4);
    fwd4K2S2(xRow + (<usize>(o * 2 - pW) << 2), rowB, beta, yRow + (<usize>o << 2));
    ow += 4;
  } while (ow < to);
}

/** Kernel 2 × 2 × 2, stride 2 along W (3D): the eight taps stay in registers, one pass. */
function fwdRowK2S2D2(xRow: usize, sliceB: usize, rowB: usize, pW: i32, beta: f32, yRow: usize, from: i32, to: i32): void {
  let ow = from;
  do {
    let o = min(ow, to - 4);
    let p = xRow + (<usize>(o * 2 - pW) << 2);
    let q = p + sliceB;
    let a0 = v128.load(p), a1 = v128.load(p, 16), b0 = v128.load(p + rowB), b1 = v128.load(p + rowB, 16);
    let c0 = v128.load(q), c1 = v128.load(q, 16), f0 = v128.load(q + rowB), f1 = v128.load(q + rowB, 16);
    let x0 = f32x4.shuffle(a0, a1, 0, 2, 4, 6), x1 = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
    let x2 = f32x4.shuffle(b0, b1, 0, 2, 4, 6), x3 = f32x4.shuffle(b0, b1, 1, 3, 5, 7);
    let x4 = f32x4.shuffle(c0, c1, 0, 2, 4, 6), x5 = f32x4.shuffle(c0, c1, 1, 3, 5, 7);
    let x6 = f32x4.shuffle(f0, f1, 0, 2, 4, 6), x7 = f32x4.shuffle(f0, f1, 1, 3, 5, 7);
    let m = beta >= 0
      ? f32x4.pmax(f32x4.pmax(f32x4.pmax(x0, x1), f32x4.pmax(x2, x3)), f32x4.pmax(f32x4.pmax(x4, x5), f32x4.pmax(x6, x7)))
      : f32x4.pmin(f32x4.pmin(f32x4.pmin(x0, x1), f32x4.pmin(x2, x3)), f32x4.pmin(f32x4.pmin(x4, x5), f32x4.pmin(x6, x7)));
    // One tap at a time: eight exponentials in flight at once would spill registers.
    let vbeta = f32x4.splat(beta);
    let d = f32x4.sub(x0, m), e = exp_nonpos_f32x4(f32x4.mul(vbeta, d));
    let s = e, t = f32x4.mul(e, d);
    d = f32x4.sub(x1, m); e = exp_nonpos_f32x4(f32x4.mul(vbeta, d)); s = f32x4.add(s, e); t = f32x4.add(t, f32x4.mul(e, d));
    d = f32x4.sub(x2, m); e = exp_nonpos_f32x4(f32x4.mul(vbeta, d)); s = f32x4.add(s, e); t = f32x4.add(t, f32x4.mul(e, d));
    d = f32x4.sub(x3, m); e = exp_nonpos_f32x4(f32x4.mul(vbeta, d)); s = f32x4.add(s, e); t = f32x4.add(t, f32x4.mul(e, d));
    d = f32x4.sub(x4, m); e = exp_nonpos_f32x4(f32x4.mul(vbeta, d)); s = f32x4.add(s, e); t = f32x4.add(t, f32x4.mul(e, d));
    d = f32x4.sub(x5, m); e = exp_nonpos_f32x4(f32x4.mul(vbeta, d)); s = f32x4.add(s, e); t = f32x4.add(t, f32x4.mul(e, d));
    d = f32x4.sub(x6, m); e = exp_nonpos_f32x4(f32x4.mul(vbeta, d)); s = f32x4.add(s, e); t = f32x4.add(t, f32x4.mul(e, d));
    d = f32x4.sub(x7, m); e = exp_nonpos_f32x4(f32x4.mul(vbeta, d)); s = f32x4.add(s, e); t = f32x4.add(t, f32x4.mul(e, d));
    finishFwd4(m, s, t, yRow + (<usize>o << 2), p, 8, 2, 2, 2, sliceB, rowB, 4, beta);
    ow += 4;
  } while (ow < to);
}

/** Kernel 2, stride 2 over a single row (1D, or a 2D band of one row): two taps in registers. */
function fwdRowK2S2Row1(xRow: usize, pW: i32, beta: f32, yRow: usize, from: i32, to: i32): void {
  let ow = from;
  do {
    let o = min(ow, to - 4);
    let p = xRow + (<usize>(o * 2 - pW) << 2);
    let a0 = v128.load(p), a1 = v128.load(p, 16);
    let x0 = f32x4.shuffle(a0, a1, 0, 2, 4, 6), x1 = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
    let m = beta >= 0 ? f32x4.pmax(x0, x1) : f32x4.pmin(x0, x1);
    let vbeta = f32x4.splat(beta);
    let d0 = f32x4.sub(x0, m), d1 = f32x4.sub(x1, m);
    let e0 = exp_nonpos_f32x4(f32x4.mul(vbeta, d0)), e1 = exp_nonpos_f32x4(f32x4.mul(vbeta, d1));
    let s = f32x4.add(e0, e1), t = f32x4.add(f32x4.mul(e0, d0), f32x4.mul(e1, d1));
    finishFwd4(m, s, t, yRow + (<usize>o << 2), p, 8, 1, 1, 2, 0, 0, 4, beta);
    ow += 4;
  } while (ow < to);
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
  finishFwd4(m, s, t, out, p, 8, 1, 2, 2, 0, rowB, 4, beta);
}
