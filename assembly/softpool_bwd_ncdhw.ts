// SoftPool backward, channels first (NCW, NCHW, NCDHW): the exact derivative of
// softpool_fwd_ncdhw.
//
// For L = sum g*y: dL/dx_i = sum over windows of g * w_i * (1 + beta*(x_i - y)) and
// dL/dbeta = sum over windows of g * sum_i w_i (x_i - y)^2 (the weighted-variance form of
// g * sum_i w_i x_i (x_i - y): equal because sum_i w_i (x_i - y) = 0, and it never cancels).
// Per window: pivot, s and t as in the forward, then one more pass that recomputes each
// exponential and adds its gradient (overlapping windows add up). Same interior/edge split
// as the forward; the gradient buffer is zeroed here first.

import { exp_nonpos_f32x4 } from "./exp_f32x4";
import { gather4 } from "./simd_gather";
import { interiorStart, interiorEnd, windowStart, windowEnd } from "./pool_geometry";
import { planeExp, SHARED_RANGE, SHARED_S_MIN } from "./plane_exp";
import { bwdLanesScalar, flushed4, flushedMatters4, gradBeta4, loadG4, needsCareful, OWN_PIVOT_RANGE, pivot4, TAP_E, TAP_E_MAX } from "./simd_window";
import { softpoolWindowBwdF32 } from "./window_f32";

/**
 * Adds the input gradient (planes × D × H × W) into gx (zeros, or sums to continue) and
 * returns gradBeta. top/bottom as in softpool_fwd_ncdhw. With e != 0
 * interior windows use shared exponentials, laid out as in softpool_fwd_ncdhw; with
 * flags != 0 they are the forward's (kept by a layer): plane pl's E is reused where byte pl
 * of flags says it is valid, and no exp is computed for it.
 */
export function softpool_bwd_ncdhw(
  x: usize, g: usize, gx: usize, e: usize, eStride: usize, flags: usize, planes: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  kD: i32, kH: i32, kW: i32, sD: i32, sH: i32, sW: i32, pD: i32, pH: i32, pW: i32, beta: f32,
  top: f32, bottom: f32,
): f64 {
  let rowB = <usize>W << 2;
  let sliceB = <usize>H * rowB;
  let owLo = interiorStart(sW, pW);
  let owHi = max(interiorEnd(W, OW, kW, sW, pW), owLo);
  let gradBeta = 0.0;
  for (let pl = 0; pl < planes; pl++) {
    let planeOff = <usize>pl * <usize>D * sliceB;
    let gPlane = g + (<usize>pl * <usize>OD * <usize>OH * <usize>OW << 2);
    let ePlane = e + <usize>pl * eStride;
    let shared = false;
    if (ASC_FEATURE_SIMD && e != 0) {
      shared = flags != 0 ? load<u8>(flags + <usize>pl) != 0 : planeExp(x + planeOff, D * H * W, beta, ePlane, top, bottom);
    }
    for (let od = 0; od < OD; od++) {
      let d0 = windowStart(od, D, OD, kD, sD, pD, false), d1 = windowEnd(od, D, OD, kD, sD, pD, false);
      for (let oh = 0; oh < OH; oh++) {
        let r0 = windowStart(oh, H, OH, kH, sH, pH, false), r1 = windowEnd(oh, H, OH, kH, sH, pH, false);
        let nd = d1 - d0, nr = r1 - r0;
        let rowOff = planeOff + <usize>d0 * sliceB + <usize>r0 * rowB;
        let xRow = x + rowOff, gxRow = gx + rowOff;
        let gRow = gPlane + ((<usize>od * <usize>OH + <usize>oh) * <usize>OW << 2);
        let ow = owLo;
        if (ASC_FEATURE_SIMD && owHi - owLo >= 4) {
          if (shared) gradBeta += bwdRowShared(xRow, gxRow, ePlane + (rowOff - planeOff), nd, sliceB, nr, rowB, kW, sW, pW, beta, gRow, owLo, owHi);
          else if (kW == 2 && sW == 2 && nd == 1 && nr == 2) gradBeta += bwdRowK2S2(xRow, gxRow, rowB, pW, beta, gRow, owLo, owHi);
          else if (kW == 2 && sW == 2 && nd == 2 && nr == 2) gradBeta += bwdRowK2S2D2(xRow, gxRow, sliceB, rowB, pW, beta, gRow, owLo, owHi);
          else if (kW == 2 && sW == 2 && nd == 1 && nr == 1) gradBeta += bwdRowK2S2Row1(xRow, gxRow, pW, beta, gRow, owLo, owHi);
          else gradBeta += bwdRow(xRow, gxRow, nd, sliceB, nr, rowB, kW, sW, pW, beta, gRow, owLo, owHi);
          ow = owHi;
        }
        gradBeta += bwdScalar(xRow, gxRow, nd, sliceB, nr, rowB, W, kW, sW, pW, beta, gRow, 0, min(owLo, OW));
        gradBeta += bwdScalar(xRow, gxRow, nd, sliceB, nr, rowB, W, kW, sW, pW, beta, gRow, ow, OW);
      }
    }
  }
  return gradBeta;
}

function bwdScalar(
  xRow: usize, gxRow: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, W: i32, kW: i32, sW: i32, pW: i32,
  beta: f32, gRow: usize, from: i32, to: i32,
): f64 {
  let gb = 0.0;
  for (let o = from; o < to; o++) {
    let c0 = windowStart(o, W, 0, kW, sW, pW, false), c1 = windowEnd(o, W, 0, kW, sW, pW, false);
    let off = <usize>c0 << 2;
    gb += softpoolWindowBwdF32(xRow + off, gxRow + off, nd, nr, c1 - c0, sliceB, rowB, 4, beta, load<f32>(gRow + (<usize>o << 2)));
  }
  return gb;
}

/**
 * Any kernel over the interior [from, to) (to - from >= 4), four outputs at a time. A last
 * group that would overlap the one before it masks its first lanes (done already) so that
 * no gradient is added twice.
 */
function bwdRow(
  xRow: usize, gxRow: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, kW: i32, sW: i32, pW: i32,
  beta: f32, gRow: usize, from: i32, to: i32,
): f64 {
  let gb = 0.0;
  let sc = <usize>sW << 2;
  let ow = from;
  do {
    let o = min(ow, to - 4), lane0 = ow - o;
    let off = <usize>(o * sW - pW) << 2;
    let gv = gRow + (<usize>o << 2);
    if (sW == 1) gb += bwd4(xRow + off, gxRow + off, nd, sliceB, nr, rowB, kW, 4, beta, gv, lane0);
    else if (sW == 2) gb += bwd4(xRow + off, gxRow + off, nd, sliceB, nr, rowB, kW, 8, beta, gv, lane0);
    else gb += bwd4(xRow + off, gxRow + off, nd, sliceB, nr, rowB, kW, sc, beta, gv, lane0);
    ow += 4;
  } while (ow < to);
  return gb;
}

/** bwdRow with shared exponentials: ep is the row's place in the plane's E. */
function bwdRowShared(
  xRow: usize, gxRow: usize, ep: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, kW: i32, sW: i32, pW: i32,
  beta: f32, gRow: usize, from: i32, to: i32,
): f64 {
  let gb = 0.0;
  let sc = <usize>sW << 2;
  let ow = from;
  do {
    let o = min(ow, to - 4), lane0 = ow - o;
    let off = <usize>(o * sW - pW) << 2;
    let gv = gRow + (<usize>o << 2);
    if (sW == 1) gb += bwd4Shared(xRow + off, gxRow + off, ep + off, nd, sliceB, nr, rowB, kW, 4, beta, gv, lane0);
    else if (sW == 2) gb += bwd4Shared(xRow + off, gxRow + off, ep + off, nd, sliceB, nr, rowB, kW, 8, beta, gv, lane0);
    else gb += bwd4Shared(xRow + off, gxRow + off, ep + off, nd, sliceB, nr, rowB, kW, sc, beta, gv, lane0);
    ow += 4;
  } while (ow < to);
  return gb;
}

/**
 * Four windows' backward from shared exponentials (no exp at all); falls back to bwd4 near
 * underflow. Its gradient pass mirrors bwd4's on purpose: one inlined pass choosing between
 * a load and an exp per tap compiled to a select that computed both (25% slower, measured).
 */
// @ts-ignore: decorator
@inline function bwd4Shared(
  p: usize, gp: usize, ep: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, kW: i32, sc: usize,
  beta: f32, gv: usize, lane0: i32,
): f64 {
  let m = pivot4(p, sc, nd, nr, kW, sliceB, rowB, 4, beta);
  let vbeta = f32x4.splat(beta);
  let s = f32x4.splat(0), t = s, zlo = s, zeroE = s;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let rowOff = <usize>d * sliceB + <usize>r * rowB;
    for (let c = 0; c < kW; c++) {
      let off = rowOff + (<usize>c << 2);
      let ev = gather4(ep + off, sc);
      let dx = f32x4.sub(gather4(p + off, sc), m);
      zlo = f32x4.pmin(zlo, f32x4.mul(vbeta, dx));
      zeroE = v128.or(zeroE, f32x4.eq(ev, f32x4.splat(0)));
      s = f32x4.add(s, ev);
      t = f32x4.add(t, f32x4.mul(ev, dx));
    }
  }
  if (!v128.all_true<i32>(f32x4.ge(s, f32x4.splat(SHARED_S_MIN)))) return bwd4(p, gp, nd, sliceB, nr, rowB, kW, sc, beta, gv, lane0);
  let tbar = f32x4.div(t, s);
  if (needsCareful(f32x4.add(m, tbar), zlo)) return bwdLanesScalar(p, gp, sc, nd, nr, kW, sliceB, rowB, 4, beta, gv, lane0);
  let gvec = loadG4(gv, lane0);
  let gs = f32x4.div(gvec, s);
  let one = f32x4.splat(1);
  let v = f32x4.splat(0);
  let inRegisters = sc == 4 && kW <= 5;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let rowOff = <usize>d * sliceB + <usize>r * rowB;
    let lo = f32x4.splat(0), hi = lo;
    for (let c = 0; c < kW; c++) {
      let off = rowOff + (<usize>c << 2);
      let ev = gather4(ep + off, sc);
      let u = f32x4.sub(f32x4.sub(gather4(p + off, sc), m), tbar);
      let grad = f32x4.mul(f32x4.mul(gs, ev), f32x4.add(one, f32x4.mul(vbeta, u)));
      v = f32x4.add(v, f32x4.mul(ev, f32x4.mul(u, u)));
      if (inRegisters) {
        lo = f32x4.add(lo, shiftedLo(grad, c));
        hi = f32x4.add(hi, shiftedHi(grad, c));
      } else scatterAdd4(gp + off, sc, grad);
    }
    if (inRegisters) addRow(gp + rowOff, lo, hi, kW);
  }
  let redo = flushedMatters4(zeroE, zlo, beta, SHARED_RANGE);
  return gradBeta4(f32x4.div(f32x4.mul(gvec, v), s), redo, p, gp, sc, nd, nr, kW, sliceB, rowB, 4, beta, gv, lane0);
}

// @inline so that each call site gets its own copy with a constant lane stride sc.
// @ts-ignore: decorator
@inline function bwd4(
  p: usize, gp: usize, nd: i32, sliceB: usize, nr: i32, rowB: usize, kW: i32, sc: usize,
  beta: f32, gv: usize, lane0: i32,
): f64 {
  let m = pivot4(p, sc, nd, nr, kW, sliceB, rowB, 4, beta);
  let vbeta = f32x4.splat(beta);
  let s = f32x4.splat(0), t = s, zlo = s;
  // Up to TAP_E_MAX taps, the exponentials go to TAP_E for the second pass.
  let keep = nd * nr * kW <= TAP_E_MAX;
  let ek = TAP_E;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let q = p + <usize>d * sliceB + <usize>r * rowB;
    for (let c = 0; c < kW; c++) {
      let dx = f32x4.sub(gather4(q + (<usize>c << 2), sc), m);
      let z = f32x4.mul(vbeta, dx);
      let e = exp_nonpos_f32x4(z);
      if (keep) { v128.store(ek, e); ek += 16; }
      zlo = f32x4.pmin(zlo, z);
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
    }
  }
  let tbar = f32x4.div(t, s);
  if (needsCareful(f32x4.add(m, tbar), zlo)) return bwdLanesScalar(p, gp, sc, nd, nr, kW, sliceB, rowB, 4, beta, gv, lane0);
  let gvec = loadG4(gv, lane0);
  let gs = f32x4.div(gvec, s);
  let v = f32x4.splat(0);
  let inRegisters = sc == 4 && kW <= 5;
  ek = TAP_E;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let rowOff = <usize>d * sliceB + <usize>r * rowB;
    let lo = f32x4.splat(0), hi = lo;
    // Past TAP_E_MAX taps, the row's exponentials are recomputed into TAP_E in slices of up to
    // TAP_E_MAX, so one loop serves both cases.
    for (let c0 = 0; c0 < kW; c0 += TAP_E_MAX) {
      let c1 = min(kW, c0 + TAP_E_MAX);
      if (!keep) {
        ek = TAP_E;
        for (let c = c0; c < c1; c++) {
          let dx = f32x4.sub(gather4(p + rowOff + (<usize>c << 2), sc), m);
          v128.store(TAP_E + (<usize>(c - c0) << 4), exp_nonpos_f32x4(f32x4.mul(vbeta, dx)));
        }
      }
      for (let c = c0; c < c1; c++) {
        let off = rowOff + (<usize>c << 2);
        let dx = f32x4.sub(gather4(p + off, sc), m);
        let e = v128.load(ek);
        ek += 16;
        let u = f32x4.sub(dx, tbar);
        let grad = f32x4.mul(f32x4.mul(gs, e), f32x4.add(f32x4.splat(1), f32x4.mul(vbeta, u)));
        v = f32x4.add(v, f32x4.mul(e, f32x4.mul(u, u)));
        if (inRegisters) {
          lo = f32x4.add(lo, shiftedLo(grad, c));
          hi = f32x4.add(hi, shiftedHi(grad, c));
        } else scatterAdd4(gp + off, sc, grad);
      }
    }
    if (inRegisters) addRow(gp + rowOff, lo, hi, kW);
  }
  let redo = flushedMatters4(flushed4(zlo), zlo, beta, OWN_PIVOT_RANGE);
  return gradBeta4(f32x4.div(f32x4.mul(gvec, v), s), redo, p, gp, sc, nd, nr, kW, sliceB, rowB, 4, beta, gv, lane0);
}

// Stride 1: the taps of four windows overlap, so adding each tap's vector to memory would
// read back floats stored an instant before at an offset of 4 bytes (a store-forwarding
// stall per tap). Instead a row's taps are summed in registers, tap c moved up c lanes
// across the 8 floats lo|hi, and added to memory once per row.

/** The part of g moved up c lanes (0..4) that lands in the first four floats. */
// @ts-ignore: decorator
@inline function shiftedLo(g: v128, c: i32): v128 {
  let z = f32x4.splat(0);
  if (c == 0) return g;
  if (c == 1) return f32x4.shuffle(z, g, 0, 4, 5, 6);
  if (c == 2) return f32x4.shuffle(z, g, 0, 0, 4, 5);
  if (c == 3) return f32x4.shuffle(z, g, 0, 0, 0, 4);
  return z;
}

/** The part of g moved up c lanes (0..4) that lands in the next four floats. */
// @ts-ignore: decorator
@inline function shiftedHi(g: v128, c: i32): v128 {
  let z = f32x4.splat(0);
  if (c == 0) return z;
  if (c == 1) return f32x4.shuffle(g, z, 3, 4, 4, 4);
  if (c == 2) return f32x4.shuffle(g, z, 2, 3, 4, 4);
  if (c == 3) return f32x4.shuffle(g, z, 1, 2, 3, 4);
  return g;
}

/** Adds lo to the four floats at q and the first kW - 1 lanes of hi to the floats after them (no further). */
// @ts-ignore: decorator
@inline function addRow(q: usize, lo: v128, hi: v128, kW: i32): void {
  v128.store(q, f32x4.add(v128.load(q), lo));
  let q1 = q + 16;
  if (kW == 5) {
    v128.store(q1, f32x4.add(v128.load(q1), hi));
  } else if (kW >= 3) {
    v128.store64_lane(q1, f32x4.add(v128.load64_zero(q1), hi), 0);
    if (kW == 4) store<f32>(q1 + 8, load<f32>(q1 + 8) + f32x4.extract_lane(hi, 2));
  } else if (kW == 2) {
    store<f32>(q1, load<f32>(q1) + f32x4.extract_lane(hi, 0));
  }
}

/** Adds lane j of v to the float at q + j*sc (lanes never alias: sc >= 4). */
// @ts-ignore: decorator
@inline function scatterAdd4(q: usize, sc: usize, v: v128): void {
  if (sc == 4) {
    v128.store(q, f32x4.add(v128.load(q), v));
    return;
  }
  store<f32>(q, load<f32>(q) + f32x4.extract_lane(v, 0));
  store<f32>(q + sc, load<f32>(q + sc) + f32x4.extract_lane(v, 1));
  store<f32>(q + 2 * sc, load<f32>(q + 2 * sc) + f32x4.extract_lane(v, 2));
  store<f32>(q + 3 * sc, load<f32>(q + 3 * sc) + f32x4.extract_lane(v, 3));
}

/** Kernel 2, stride 2, one slice, both rows inside, over the interior; same contract as bwdRow. */
function bwdRowK2S2(xRow: usize, gxRow: usize, rowB: usize, pW: i32, beta: f32, gRow: usize, from: i32, to: i32): f64 {
  let gb = 0.0;
  let ow = from;
  do {
    let o = min(ow, to - 4);
    let off = <usize>(o * 2 - pW) << 2;
    gb += bwd4K2S2(xRow + off, gxRow + off, rowB, beta, gRow + (<usize>o << 2), ow - o);
    ow += 4;
  } while (ow < to);
  return gb;
}

/** Kernel 2 × 2 × 2, stride 2 along W (3D), over the interior; same contract as bwdRow. */
function bwdRowK2S2D2(xRow: usize, gxRow: usize, sliceB: usize, rowB: usize, pW: i32, beta: f32, gRow: usize, from: i32, to: i32): f64 {
  let gb = 0.0;
  let ow = from;
  do {
    let o = min(ow, to - 4);
    let off = <usize>(o * 2 - pW) << 2;
    gb += bwd4K2S2D2(xRow + off, gxRow + off, sliceB, rowB, beta, gRow + (<usize>o << 2), ow - o);
    ow += 4;
  } while (ow < to);
  return gb;
}

/** Adds the gradients of a row's two taps (even and odd columns) back into eight floats at q. */
// @ts-ignore: decorator
@inline function addTapPair(q: usize, g0: v128, g1: v128): void {
  v128.store(q, f32x4.add(v128.load(q), f32x4.shuffle(g0, g1, 0, 4, 1, 5)));
  v128.store(q, f32x4.add(v128.load(q, 16), f32x4.shuffle(g0, g1, 2, 6, 3, 7)), 16);
}

/** g * w * (1 + beta*u) for one tap: gs = g/s, u = x - y. */
// @ts-ignore: decorator
@inline function tapGrad(gs: v128, e: v128, vbeta: v128, u: v128): v128 {
  return f32x4.mul(f32x4.mul(gs, e), f32x4.add(f32x4.splat(1), f32x4.mul(vbeta, u)));
}

/**
 * bwd4K2S2 for 2 × 2 × 2 windows: the eight taps and their exponentials are computed once and
 * stay in registers (the general path computes every exponential twice).
 */
// @ts-ignore: decorator
@inline function bwd4K2S2D2(p: usize, gp: usize, sliceB: usize, rowB: usize, beta: f32, gv: usize, lane0: i32): f64 {
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
  let vbeta = f32x4.splat(beta);
  let d0 = f32x4.sub(x0, m), d1 = f32x4.sub(x1, m), d2 = f32x4.sub(x2, m), d3 = f32x4.sub(x3, m);
  let d4 = f32x4.sub(x4, m), d5 = f32x4.sub(x5, m), d6 = f32x4.sub(x6, m), d7 = f32x4.sub(x7, m);
  let z0 = f32x4.mul(vbeta, d0), z1 = f32x4.mul(vbeta, d1), z2 = f32x4.mul(vbeta, d2), z3 = f32x4.mul(vbeta, d3);
  let z4 = f32x4.mul(vbeta, d4), z5 = f32x4.mul(vbeta, d5), z6 = f32x4.mul(vbeta, d6), z7 = f32x4.mul(vbeta, d7);
  let e0 = exp_nonpos_f32x4(z0), e1 = exp_nonpos_f32x4(z1), e2 = exp_nonpos_f32x4(z2), e3 = exp_nonpos_f32x4(z3);
  let e4 = exp_nonpos_f32x4(z4), e5 = exp_nonpos_f32x4(z5), e6 = exp_nonpos_f32x4(z6), e7 = exp_nonpos_f32x4(z7);
  let s = f32x4.add(f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)), f32x4.add(f32x4.add(e4, e5), f32x4.add(e6, e7)));
  let t = f32x4.add(
    f32x4.add(f32x4.add(f32x4.mul(e0, d0), f32x4.mul(e1, d1)), f32x4.add(f32x4.mul(e2, d2), f32x4.mul(e3, d3))),
    f32x4.add(f32x4.add(f32x4.mul(e4, d4), f32x4.mul(e5, d5)), f32x4.add(f32x4.mul(e6, d6), f32x4.mul(e7, d7))),
  );
  let zlo = f32x4.pmin(f32x4.pmin(f32x4.pmin(z0, z1), f32x4.pmin(z2, z3)), f32x4.pmin(f32x4.pmin(z4, z5), f32x4.pmin(z6, z7)));
  let tbar = f32x4.div(t, s);
  if (needsCareful(f32x4.add(m, tbar), zlo)) return bwdLanesScalar(p, gp, 8, 2, 2, 2, sliceB, rowB, 4, beta, gv, lane0);
  let gvec = loadG4(gv, lane0);
  let gs = f32x4.div(gvec, s);
  let u0 = f32x4.sub(d0, tbar), u1 = f32x4.sub(d1, tbar), u2 = f32x4.sub(d2, tbar), u3 = f32x4.sub(d3, tbar);
  let u4 = f32x4.sub(d4, tbar), u5 = f32x4.sub(d5, tbar), u6 = f32x4.sub(d6, tbar), u7 = f32x4.sub(d7, tbar);
  let gq = gp + sliceB;
  addTapPair(gp, tapGrad(gs, e0, vbeta, u0), tapGrad(gs, e1, vbeta, u1));
  addTapPair(gp + rowB, tapGrad(gs, e2, vbeta, u2), tapGrad(gs, e3, vbeta, u3));
  addTapPair(gq, tapGrad(gs, e4, vbeta, u4), tapGrad(gs, e5, vbeta, u5));
  addTapPair(gq + rowB, tapGrad(gs, e6, vbeta, u6), tapGrad(gs, e7, vbeta, u7));
  let v = f32x4.add(
    f32x4.add(
      f32x4.add(f32x4.mul(e0, f32x4.mul(u0, u0)), f32x4.mul(e1, f32x4.mul(u1, u1))),
      f32x4.add(f32x4.mul(e2, f32x4.mul(u2, u2)), f32x4.mul(e3, f32x4.mul(u3, u3))),
    ),
    f32x4.add(
      f32x4.add(f32x4.mul(e4, f32x4.mul(u4, u4)), f32x4.mul(e5, f32x4.mul(u5, u5))),
      f32x4.add(f32x4.mul(e6, f32x4.mul(u6, u6)), f32x4.mul(e7, f32x4.mul(u7, u7))),
    ),
  );
  let redo = flushedMatters4(flushed4(zlo), zlo, beta, OWN_PIVOT_RANGE);
  return gradBeta4(f32x4.div(f32x4.mul(gvec, v), s), redo, p, gp, 8, 2, 2, 2, sliceB, rowB, 4, beta, gv, lane0);
}

/** Kernel 2, stride 2 over a single row (1D, or a 2D band of one row); same contract as bwdRow. */
function bwdRowK2S2Row1(xRow: usize, gxRow: usize, pW: i32, beta: f32, gRow: usize, from: i32, to: i32): f64 {
  let gb = 0.0;
  let ow = from;
  do {
    let o = min(ow, to - 4), lane0 = ow - o;
    let off = <usize>(o * 2 - pW) << 2;
    let p = xRow + off, gp = gxRow + off, gv = gRow + (<usize>o << 2);
    let a0 = v128.load(p), a1 = v128.load(p, 16);
    let x0 = f32x4.shuffle(a0, a1, 0, 2, 4, 6), x1 = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
    let m = beta >= 0 ? f32x4.pmax(x0, x1) : f32x4.pmin(x0, x1);
    let vbeta = f32x4.splat(beta);
    let d0 = f32x4.sub(x0, m), d1 = f32x4.sub(x1, m);
    let z0 = f32x4.mul(vbeta, d0), z1 = f32x4.mul(vbeta, d1);
    let e0 = exp_nonpos_f32x4(z0), e1 = exp_nonpos_f32x4(z1);
    let s = f32x4.add(e0, e1), t = f32x4.add(f32x4.mul(e0, d0), f32x4.mul(e1, d1));
    let zlo = f32x4.pmin(z0, z1);
    let tbar = f32x4.div(t, s);
    if (needsCareful(f32x4.add(m, tbar), zlo)) {
      gb += bwdLanesScalar(p, gp, 8, 1, 1, 2, 0, 0, 4, beta, gv, lane0);
    } else {
      let gvec = loadG4(gv, lane0);
      let gs = f32x4.div(gvec, s);
      let one = f32x4.splat(1);
      let u0 = f32x4.sub(d0, tbar), u1 = f32x4.sub(d1, tbar);
      let g0 = f32x4.mul(f32x4.mul(gs, e0), f32x4.add(one, f32x4.mul(vbeta, u0)));
      let g1 = f32x4.mul(f32x4.mul(gs, e1), f32x4.add(one, f32x4.mul(vbeta, u1)));
      v128.store(gp, f32x4.add(v128.load(gp), f32x4.shuffle(g0, g1, 0, 4, 1, 5)));
      v128.store(gp, f32x4.add(v128.load(gp, 16), f32x4.shuffle(g0, g1, 2, 6, 3, 7)), 16);
      let v = f32x4.add(f32x4.mul(e0, f32x4.mul(u0, u0)), f32x4.mul(e1, f32x4.mul(u1, u1)));
      let redo = flushedMatters4(flushed4(zlo), zlo, beta, OWN_PIVOT_RANGE);
      gb += gradBeta4(f32x4.div(f32x4.mul(gvec, v), s), redo, p, gp, 8, 1, 1, 2, 0, 0, 4, beta, gv, lane0);
    }
    ow += 4;
  } while (ow < to);
  return gb;
}

/** Taps and exponentials stay in registers. */
// @ts-ignore: decorator
@inline function bwd4K2S2(p: usize, gp: usize, rowB: usize, beta: f32, gv: usize, lane0: i32): f64 {
  let a0 = v128.load(p), a1 = v128.load(p, 16);
  let b0 = v128.load(p + rowB), b1 = v128.load(p + rowB, 16);
  let x00 = f32x4.shuffle(a0, a1, 0, 2, 4, 6), x01 = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
  let x10 = f32x4.shuffle(b0, b1, 0, 2, 4, 6), x11 = f32x4.shuffle(b0, b1, 1, 3, 5, 7);
  let m = beta >= 0
    ? f32x4.pmax(f32x4.pmax(x00, x01), f32x4.pmax(x10, x11))
    : f32x4.pmin(f32x4.pmin(x00, x01), f32x4.pmin(x10, x11));
  let vbeta = f32x4.splat(beta);
  let d0 = f32x4.sub(x00, m), d1 = f32x4.sub(x01, m), d2 = f32x4.sub(x10, m), d3 = f32x4.sub(x11, m);
  let z0 = f32x4.mul(vbeta, d0), z1 = f32x4.mul(vbeta, d1), z2 = f32x4.mul(vbeta, d2), z3 = f32x4.mul(vbeta, d3);
  let e0 = exp_nonpos_f32x4(z0), e1 = exp_nonpos_f32x4(z1), e2 = exp_nonpos_f32x4(z2), e3 = exp_nonpos_f32x4(z3);
  let s = f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3));
  let t = f32x4.add(
    f32x4.add(f32x4.mul(e0, d0), f32x4.mul(e1, d1)),
    f32x4.add(f32x4.mul(e2, d2), f32x4.mul(e3, d3)),
  );
  let zlo = f32x4.pmin(f32x4.pmin(z0, z1), f32x4.pmin(z2, z3));
  let tbar = f32x4.div(t, s);
  if (needsCareful(f32x4.add(m, tbar), zlo)) return bwdLanesScalar(p, gp, 8, 1, 2, 2, 0, rowB, 4, beta, gv, lane0);
  let gvec = loadG4(gv, lane0);
  let gs = f32x4.div(gvec, s);
  let one = f32x4.splat(1);
  let u0 = f32x4.sub(d0, tbar), u1 = f32x4.sub(d1, tbar), u2 = f32x4.sub(d2, tbar), u3 = f32x4.sub(d3, tbar);
  let g0 = f32x4.mul(f32x4.mul(gs, e0), f32x4.add(one, f32x4.mul(vbeta, u0)));
  let g1 = f32x4.mul(f32x4.mul(gs, e1), f32x4.add(one, f32x4.mul(vbeta, u1)));
  let g2 = f32x4.mul(f32x4.mul(gs, e2), f32x4.add(one, f32x4.mul(vbeta, u2)));
  let g3 = f32x4.mul(f32x4.mul(gs, e3), f32x4.add(one, f32x4.mul(vbeta, u3)));
  // Interleave columns back: row 0 is g0[0] g1[0] g0[1] g1[1] ..., added (rows may overlap when sH = 1).
  let q1 = gp + rowB;
  v128.store(gp, f32x4.add(v128.load(gp), f32x4.shuffle(g0, g1, 0, 4, 1, 5)));
  v128.store(gp, f32x4.add(v128.load(gp, 16), f32x4.shuffle(g0, g1, 2, 6, 3, 7)), 16);
  v128.store(q1, f32x4.add(v128.load(q1), f32x4.shuffle(g2, g3, 0, 4, 1, 5)));
  v128.store(q1, f32x4.add(v128.load(q1, 16), f32x4.shuffle(g2, g3, 2, 6, 3, 7)), 16);
  let v = f32x4.add(
    f32x4.add(f32x4.mul(e0, f32x4.mul(u0, u0)), f32x4.mul(e1, f32x4.mul(u1, u1))),
    f32x4.add(f32x4.mul(e2, f32x4.mul(u2, u2)), f32x4.mul(e3, f32x4.mul(u3, u3))),
  );
  let redo = flushedMatters4(flushed4(zlo), zlo, beta, OWN_PIVOT_RANGE);
  return gradBeta4(f32x4.div(f32x4.mul(gvec, v), s), redo, p, gp, 8, 1, 2, 2, 0, rowB, 4, beta, gv, lane0);
}
