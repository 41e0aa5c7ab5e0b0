// SoftPool backward, channels last (NWC, NHWC, NDHWC), fixed or adaptive windows: the exact
// derivative of softpool_fwd_ndhwc, four channels at a time (see softpool_bwd_ncdhw for
// the math). An overlapping last channel group masks the channels it already did.

import { exp_nonpos_f32x4 } from "./exp_f32x4";
import { windowStart, windowEnd } from "./pool_geometry";
import { bwdLanesScalar, flushed4, flushedMatters4, gradBeta4, loadG4, needsCareful, OWN_PIVOT_RANGE, pivot4, TAP_E, TAP_E_MAX } from "./simd_window";
import { softpoolWindowBwdF32 } from "./window_f32";

/** Adds the input gradient (N × D × H × W × C) into gx (zeros, or sums to continue) and returns gradBeta. */
export function softpool_bwd_ndhwc(
  x: usize, g: usize, gx: usize, N: i32, D: i32, H: i32, W: i32, C: i32, OD: i32, OH: i32, OW: i32,
  kD: i32, kH: i32, kW: i32, sD: i32, sH: i32, sW: i32, pD: i32, pH: i32, pW: i32, beta: f32, adaptive: bool,
): f64 {
  let sc = <usize>C << 2, sr = <usize>W * sc, sd = <usize>H * sr;
  let gradBeta = 0.0;
  let gv = g;
  for (let n = 0; n < N; n++) {
    let batchOff = <usize>n * <usize>D * sd;
    for (let od = 0; od < OD; od++) {
      let d0 = windowStart(od, D, OD, kD, sD, pD, adaptive), d1 = windowEnd(od, D, OD, kD, sD, pD, adaptive);
      for (let oh = 0; oh < OH; oh++) {
        let r0 = windowStart(oh, H, OH, kH, sH, pH, adaptive), r1 = windowEnd(oh, H, OH, kH, sH, pH, adaptive);
        for (let ow = 0; ow < OW; ow++) {
          let c0 = windowStart(ow, W, OW, kW, sW, pW, adaptive), c1 = windowEnd(ow, W, OW, kW, sW, pW, adaptive);
          let off = batchOff + <usize>d0 * sd + <usize>r0 * sr + <usize>c0 * sc;
          gradBeta += bwdChannels(x + off, gx + off, d1 - d0, r1 - r0, c1 - c0, sd, sr, sc, C, beta, gv);
          gv += sc;
        }
      }
    }
  }
  return gradBeta;
}

/** All C channels of one window position; gv points at their C gradOutput values. */
function bwdChannels(
  p: usize, gp: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, C: i32, beta: f32, gv: usize,
): f64 {
  let gb = 0.0;
  if (!ASC_FEATURE_SIMD || C < 4) {
    for (let ch = 0; ch < C; ch++) {
      let off = <usize>ch << 2;
      gb += softpoolWindowBwdF32(p + off, gp + off, nd, nr, nc, sd, sr, sc, beta, load<f32>(gv + off));
    }
    return gb;
  }
  let ch = 0;
  if (nd == 1 && nr == 2 && nc == 2) {
    do {
      let c = min(ch, C - 4);
      let off = <usize>c << 2;
      gb += bwd4Channels2x2(p + off, gp + off, sr, sc, beta, gv + off, ch - c);
      ch += 4;
    } while (ch < C);
    return gb;
  }
  do {
    let c = min(ch, C - 4);
    let off = <usize>c << 2;
    gb += bwd4Channels(p + off, gp + off, nd, nr, nc, sd, sr, sc, beta, gv + off, ch - c);
    ch += 4;
  } while (ch < C);
  return gb;
}

/** One tap of bwd4Channels's second pass: adds the tap's gradient at q, returns v + e (x - y)^2. */
// @ts-ignore: decorator
@inline function bwdTap(q: usize, dx: v128, e: v128, tbar: v128, gs: v128, vbeta: v128, v: v128): v128 {
  let u = f32x4.sub(dx, tbar);
  let grad = f32x4.mul(f32x4.mul(gs, e), f32x4.add(f32x4.splat(1), f32x4.mul(vbeta, u)));
  v128.store(q, f32x4.add(v128.load(q), grad));
  return f32x4.add(v, f32x4.mul(e, f32x4.mul(u, u)));
}

/**
 * bwd4Channels for a whole 2 × 2 window: taps loaded once, each exponential computed once
 * (the general path recomputes them in its second pass). Same operations in the same order,
 * so the same bits.
 */
// @ts-ignore: decorator
@inline function bwd4Channels2x2(p: usize, gp: usize, sr: usize, sc: usize, beta: f32, gv: usize, lane0: i32): f64 {
  let x0 = v128.load(p), x1 = v128.load(p + sc), x2 = v128.load(p + sr), x3 = v128.load(p + sr + sc);
  let m = beta >= 0
    ? f32x4.pmax(f32x4.pmax(f32x4.pmax(x0, x1), x2), x3)
    : f32x4.pmin(f32x4.pmin(f32x4.pmin(x0, x1), x2), x3);
  let vbeta = f32x4.splat(beta);
  let d0 = f32x4.sub(x0, m), d1 = f32x4.sub(x1, m), d2 = f32x4.sub(x2, m), d3 = f32x4.sub(x3, m);
  let z0 = f32x4.mul(vbeta, d0), z1 = f32x4.mul(vbeta, d1), z2 = f32x4.mul(vbeta, d2), z3 = f32x4.mul(vbeta, d3);
  let e0 = exp_nonpos_f32x4(z0), e1 = exp_nonpos_f32x4(z1), e2 = exp_nonpos_f32x4(z2), e3 = exp_nonpos_f32x4(z3);
  let zlo = f32x4.pmin(f32x4.pmin(f32x4.pmin(f32x4.pmin(f32x4.splat(0), z0), z1), z2), z3);
  let s = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.splat(0), e0), e1), e2), e3);
  let t = f32x4.add(f32x4.splat(0), f32x4.mul(e0, d0));
  t = f32x4.add(t, f32x4.mul(e1, d1));
  t = f32x4.add(t, f32x4.mul(e2, d2));
  t = f32x4.add(t, f32x4.mul(e3, d3));
  let tbar = f32x4.div(t, s);
  if (needsCareful(f32x4.add(m, tbar), zlo)) return bwdLanesScalar(p, gp, 4, 1, 2, 2, 0, sr, sc, beta, gv, lane0);
  let gvec = loadG4(gv, lane0);
  let gs = f32x4.div(gvec, s);
  let v = bwdTap(gp, d0, e0, tbar, gs, vbeta, f32x4.splat(0));
  v = bwdTap(gp + sc, d1, e1, tbar, gs, vbeta, v);
  v = bwdTap(gp + sr, d2, e2, tbar, gs, vbeta, v);
  v = bwdTap(gp + sr + sc, d3, e3, tbar, gs, vbeta, v);
  let redo = flushedMatters4(flushed4(zlo), zlo, beta, OWN_PIVOT_RANGE);
  return gradBeta4(f32x4.div(f32x4.mul(gvec, v), s), redo, p, gp, 4, 1, 2, 2, 0, sr, sc, beta, gv, lane0);
}

// @ts-ignore: decorator
@inline function bwd4Channels(
  p: usize, gp: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f32, gv: usize, lane0: i32,
): f64 {
  let m = pivot4(p, 4, nd, nr, nc, sd, sr, sc, beta);
  let vbeta = f32x4.splat(beta);
  let s = f32x4.splat(0), t = s, zlo = s;
  // Up to TAP_E_MAX taps, the exponentials go to TAP_E for the second pass.
  let keep = nd * nr * nc <= TAP_E_MAX;
  let ek = TAP_E;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let q = p + <usize>d * sd + <usize>r * sr;
    for (let c = 0; c < nc; c++) {
      let dx = f32x4.sub(v128.load(q + <usize>c * sc), m);
      let z = f32x4.mul(vbeta, dx);
      let e = exp_nonpos_f32x4(z);
      if (keep) { v128.store(ek, e); ek += 16; }
      zlo = f32x4.pmin(zlo, z);
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
    }
  }
  let tbar = f32x4.div(t, s);
  if (needsCareful(f32x4.add(m, tbar), zlo)) return bwdLanesScalar(p, gp, 4, nd, nr, nc, sd, sr, sc, beta, gv, lane0);
  let gvec = loadG4(gv, lane0);
  let gs = f32x4.div(gvec, s);
  let v = f32x4.splat(0);
  ek = TAP_E;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let rowOff = <usize>d * sd + <usize>r * sr;
    // Past TAP_E_MAX taps, the row's exponentials are recomputed into TAP_E in slices of up to
    // TAP_E_MAX, so one loop serves both cases.
    for (let c0 = 0; c0 < nc; c0 += TAP_E_MAX) {
      let c1 = min(nc, c0 + TAP_E_MAX);
      if (!keep) {
        ek = TAP_E;
        for (let c = c0; c < c1; c++) {
          let dx = f32x4.sub(v128.load(p + rowOff + <usize>c * sc), m);
          v128.store(TAP_E + (<usize>(c - c0) << 4), exp_nonpos_f32x4(f32x4.mul(vbeta, dx)));
        }
      }
      for (let c = c0; c < c1; c++) {
        let off = rowOff + <usize>c * sc;
        let e = v128.load(ek);
        ek += 16;
        v = bwdTap(gp + off, f32x4.sub(v128.load(p + off), m), e, tbar, gs, vbeta, v);
      }
    }
  }
  let redo = flushedMatters4(flushed4(zlo), zlo, beta, OWN_PIVOT_RANGE);
  return gradBeta4(f32x4.div(f32x4.mul(gvec, v), s), redo, p, gp, 4, nd, nr, nc, sd, sr, sc, beta, gv, lane0);
}
