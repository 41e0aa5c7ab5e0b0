// SoftPool forward, channels last (NWC, NHWC, NDHWC: 1D and 2D are D = 1 and H = 1), float32,
// for fixed windows (kernel, stride, padding) and adaptive ones.
//
// Channels are contiguous here, so SIMD runs across them: for every window position, four
// channels at a time load each tap with one v128.load. A last, overlapping group covers C
// that is not a multiple of 4 (recomputing a channel is harmless); C < 4 goes through the
// scalar twin. Same window math as softpool_fwd_ncdhw.

import { exp_nonpos_f32x4 } from "./exp_f32x4";
import { windowStart, windowEnd } from "./pool_geometry";
import { finishFwd4, pivot4 } from "./simd_window";
import { softpoolWindowF32 } from "./window_f32";

/** x: N × D × H × W × C, y: N × OD × OH × OW × C. With `adaptive`, k/s/p are ignored. */
export function softpool_fwd_ndhwc(
  x: usize, y: usize, N: i32, D: i32, H: i32, W: i32, C: i32, OD: i32, OH: i32, OW: i32,
  kD: i32, kH: i32, kW: i32, sD: i32, sH: i32, sW: i32, pD: i32, pH: i32, pW: i32, beta: f32, adaptive: bool,
): void {
  let sc = <usize>C << 2, sr = <usize>W * sc, sd = <usize>H * sr;
  let out = y;
  for (let n = 0; n < N; n++) {
    let xBatch = x + <usize>n * <usize>D * sd;
    for (let od = 0; od < OD; od++) {
      let d0 = windowStart(od, D, OD, kD, sD, pD, adaptive), d1 = windowEnd(od, D, OD, kD, sD, pD, adaptive);
      for (let oh = 0; oh < OH; oh++) {
        let r0 = windowStart(oh, H, OH, kH, sH, pH, adaptive), r1 = windowEnd(oh, H, OH, kH, sH, pH, adaptive);
        for (let ow = 0; ow < OW; ow++) {
          let c0 = windowStart(ow, W, OW, kW, sW, pW, adaptive), c1 = windowEnd(ow, W, OW, kW, sW, pW, adaptive);
          let p = xBatch + <usize>d0 * sd + <usize>r0 * sr + <usize>c0 * sc;
          fwdChannels(p, d1 - d0, r1 - r0, c1 - c0, sd, sr, sc, C, beta, out);
          out += sc;
        }
      }
    }
  }
}

/** All C channels of one window position. */
function fwdChannels(p: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, C: i32, beta: f32, out: usize): void {
  if (!ASC_FEATURE_SIMD || C < 4) {
    for (let ch = 0; ch < C; ch++) {
      let off = <usize>ch << 2;
      store<f32>(out + off, softpoolWindowF32(p + off, nd, nr, nc, sd, sr, sc, beta));
    }
    return;
  }
  let ch = 0;
  if (nd == 1 && nr == 2 && nc == 2) {
    do {
      let off = <usize>min(ch, C - 4) << 2;
      fwd4Channels2x2(p + off, sr, sc, beta, out + off);
      ch += 4;
    } while (ch < C);
    return;
  }
  do {
    let off = <usize>min(ch, C - 4) << 2;
    fwd4Channels(p + off, nd, nr, nc, sd, sr, sc, beta, out + off);
    ch += 4;
  } while (ch < C);
}

/**
 * fwd4Channels for a whole 2 × 2 window (kernel 2 inside the input): the four taps are
 * loaded once and stay in registers. Same operations in the same order, so the same bits.
 */
// @ts-ignore: decorator
@inline function fwd4Channels2x2(p: usize, sr: usize, sc: usize, beta: f32, out: usize): void {
  let x0 = v128.load(p), x1 = v128.load(p + sc), x2 = v128.load(p + sr), x3 = v128.load(p + sr + sc);
  let m = beta >= 0
    ? f32x4.pmax(f32x4.pmax(f32x4.pmax(x0, x1), x2), x3)
    : f32x4.pmin(f32x4.pmin(f32x4.pmin(x0, x1), x2), x3);
  let vbeta = f32x4.splat(beta);
  let d0 = f32x4.sub(x0, m), d1 = f32x4.sub(x1, m), d2 = f32x4.sub(x2, m), d3 = f32x4.sub(x3, m);
  let e0 = exp_nonpos_f32x4(f32x4.mul(vbeta, d0)), e1 = exp_nonpos_f32x4(f32x4.mul(vbeta, d1));
  let e2 = exp_nonpos_f32x4(f32x4.mul(vbeta, d2)), e3 = exp_nonpos_f32x4(f32x4.mul(vbeta, d3));
  let s = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.splat(0), e0), e1), e2), e3);
  let t = f32x4.add(f32x4.splat(0), f32x4.mul(e0, d0));
  t = f32x4.add(t, f32x4.mul(e1, d1));
  t = f32x4.add(t, f32x4.mul(e2, d2));
  t = f32x4.add(t, f32x4.mul(e3, d3));
  finishFwd4(m, s, t, out, p, 4, 1, 2, 2, 0, sr, sc, beta);
}

// @ts-ignore: decorator
@inline function fwd4Channels(p: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f32, out: usize): void {
  let m = pivot4(p, 4, nd, nr, nc, sd, sr, sc, beta);
  let vbeta = f32x4.splat(beta);
  let s = f32x4.splat(0);
  let t = s;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let q = p + <usize>d * sd + <usize>r * sr;
    for (let c = 0; c < nc; c++) {
      let dx = f32x4.sub(v128.load(q + <usize>c * sc), m);
      let e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
    }
  }
  finishFwd4(m, s, t, out, p, 4, nd, nr, nc, sd, sr, sc, beta);
}
