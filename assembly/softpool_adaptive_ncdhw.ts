// Adaptive SoftPool, channels first (NCW, NCHW, NCDHW), forward and backward, for output
// sizes that do not divide the input (the loader sends divisible ones to the fixed-window
// kernels, where the windows are a plain kernel = stride = in/out). PyTorch's rule places
// the windows: start = floor(o*in/out), end = ceil((o+1)*in/out), so they differ in size and
// start along a row, but not across planes: the f32x4 path pools four planes at once, lane j
// holding the same window of plane j (no masking, any output size). A row of the window is
// read four columns at a time from each plane and transposed to four tap vectors.
//
// Each lane runs the scalar twin's operations (window_f32.ts) in the same order, so a plane
// gets the same bits whichever lane, or the scalar twin, pools it: outputs and gradInput do
// not depend on how the planes are split into calls (tests/chunking.test.ts); gradBeta's
// float64 sum over windows only runs in another order. A last group of fewer than four planes
// repeats its last plane in the spare lanes, which add no gradient (their forward stores
// write that plane's value again). The scalar build (no SIMD) keeps the scalar twin loop.

import { adaptiveStart, adaptiveEnd } from "./pool_geometry";
import { exp_nonpos_f32x4 } from "./exp_f32x4";
import { notFinite4 } from "./simd_gather";
import { flushed4, flushedMatters4, needsCareful, OWN_PIVOT_RANGE } from "./simd_window";
import { softpoolWindowF32, softpoolWindowBwdF32, windowPivotF32 } from "./window_f32";
import { softpoolWindowF64, softpoolWindowBwdF64 } from "./window_f64";

/** x: planes × D × H × W, y: planes × OD × OH × OW. */
export function softpool_adaptive_fwd_ncdhw(
  x: usize, y: usize, planes: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32, beta: f32,
): void {
  let rowB = <usize>W << 2, sliceB = <usize>H * rowB;
  if (ASC_FEATURE_SIMD) {
    let planeB = <usize>D * sliceB, outB = <usize>OD * <usize>OH * <usize>OW << 2;
    for (let pl = 0; pl < planes; pl += 4) {
      fwdGroup(x + <usize>pl * planeB, y + <usize>pl * outB, min(planes - pl, 4), planeB, outB, sliceB, rowB, D, H, W, OD, OH, OW, beta);
    }
    return;
  }
  let out = y;
  for (let pl = 0; pl < planes; pl++) {
    let xPlane = x + <usize>pl * <usize>D * sliceB;
    for (let od = 0; od < OD; od++) {
      let d0 = adaptiveStart(od, D, OD), nd = adaptiveEnd(od, D, OD) - d0;
      for (let oh = 0; oh < OH; oh++) {
        let r0 = adaptiveStart(oh, H, OH), nr = adaptiveEnd(oh, H, OH) - r0;
        for (let ow = 0; ow < OW; ow++) {
          let c0 = adaptiveStart(ow, W, OW), nc = adaptiveEnd(ow, W, OW) - c0;
          let p = xPlane + <usize>d0 * sliceB + <usize>r0 * rowB + (<usize>c0 << 2);
          store<f32>(out, softpoolWindowF32(p, nd, nr, nc, sliceB, rowB, 4, beta));
          out += 4;
        }
      }
    }
  }
}

/** Adds the input gradient into gx (zeros, or sums to continue) and returns gradBeta. */
export function softpool_adaptive_bwd_ncdhw(
  x: usize, g: usize, gx: usize, planes: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32, beta: f32,
): f64 {
  let rowB = <usize>W << 2, sliceB = <usize>H * rowB;
  let gradBeta = 0.0;
  if (ASC_FEATURE_SIMD) {
    let planeB = <usize>D * sliceB, outB = <usize>OD * <usize>OH * <usize>OW << 2;
    for (let pl = 0; pl < planes; pl += 4) {
      let off = <usize>pl * planeB;
      gradBeta += bwdGroup(x + off, gx + off, g + <usize>pl * outB, min(planes - pl, 4), planeB, outB, sliceB, rowB, D, H, W, OD, OH, OW, beta);
    }
    return gradBeta;
  }
  let gv = g;
  for (let pl = 0; pl < planes; pl++) {
    let planeOff = <usize>pl * <usize>D * sliceB;
    for (let od = 0; od < OD; od++) {
      let d0 = adaptiveStart(od, D, OD), nd = adaptiveEnd(od, D, OD) - d0;
      for (let oh = 0; oh < OH; oh++) {
        let r0 = adaptiveStart(oh, H, OH), nr = adaptiveEnd(oh, H, OH) - r0;
        for (let ow = 0; ow < OW; ow++) {
          let c0 = adaptiveStart(ow, W, OW), nc = adaptiveEnd(ow, W, OW) - c0;
          let off = planeOff + <usize>d0 * sliceB + <usize>r0 * rowB + (<usize>c0 << 2);
          gradBeta += softpoolWindowBwdF32(x + off, gx + off, nd, nr, nc, sliceB, rowB, 4, beta, load<f32>(gv));
          gv += 4;
        }
      }
    }
  }
  return gradBeta;
}

// ---- f32x4 across four planes ----
//
// Lane j reads its plane at p + oj (o0 = 0; o1..o3 = min(j, count - 1) planes on), writes its
// output at out + qj. Columns are read in blocks of four from each plane: a last partial block
// reads up to three floats past the window's row, which stay in the input (or in the slack the
// loader keeps after every input buffer) and are never used.

// A 4×4 transpose of rows a0..a3 (one per plane) into columns (one per tap) in two steps:
// lo4/hi4 interleave two rows' first/last two floats, even4/odd4 pick 64-bit halves of two
// such pairs, e.g. column 0 = even4(lo4(a0, a1), lo4(a2, a3)) = (a0[0], a1[0], a2[0], a3[0]).
// Eight shuffles per four taps of four planes, against twelve lane inserts for gathers.

// @ts-ignore: decorator
@inline function lo4(a: v128, b: v128): v128 {
  return f32x4.shuffle(a, b, 0, 4, 1, 5);
}

// @ts-ignore: decorator
@inline function hi4(a: v128, b: v128): v128 {
  return f32x4.shuffle(a, b, 2, 6, 3, 7);
}

// @ts-ignore: decorator
@inline function even4(a: v128, b: v128): v128 {
  return f32x4.shuffle(a, b, 0, 1, 4, 5);
}

// @ts-ignore: decorator
@inline function odd4(a: v128, b: v128): v128 {
  return f32x4.shuffle(a, b, 2, 3, 6, 7);
}

/** max (beta >= 0) or min, skipping a NaN b; order and NaN do not matter to the caller (see pivotLanes). */
// @ts-ignore: decorator
@inline function ext4(a: v128, b: v128, up: bool): v128 {
  return up ? f32x4.pmax(a, b) : f32x4.pmin(a, b);
}

/**
 * The lanes' pivots, equal to the scalar twin's windowPivotF32 wherever it matters: pmax and
 * pmin give the same max and min except that they skip NaN (such a window's taps turn NaN
 * through x - m and it is redone like the scalar twin's) and pick either zero of a ±0 tie,
 * so lanes whose pivot is zero take the scalar pivot.
 */
function pivotLanes(p: usize, o1: usize, o2: usize, o3: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, beta: f32): v128 {
  let up = beta >= 0;
  let rest = nc & 3, full = nc - rest;
  // Per plane over its own columns; a partial block repeats its column 0 in the unused lanes.
  let keep = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(rest));
  let m0 = f32x4.splat(load<f32>(p)), m1 = f32x4.splat(load<f32>(p + o1));
  let m2 = f32x4.splat(load<f32>(p + o2)), m3 = f32x4.splat(load<f32>(p + o3));
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let q = p + <usize>d * sd + <usize>r * sr;
    for (let c = 0; c < full; c += 4) {
      let a = q + (<usize>c << 2);
      m0 = ext4(m0, v128.load(a), up);
      m1 = ext4(m1, v128.load(a + o1), up);
      m2 = ext4(m2, v128.load(a + o2), up);
      m3 = ext4(m3, v128.load(a + o3), up);
    }
    if (rest != 0) {
      let a = q + (<usize>full << 2);
      let a0 = v128.load(a), a1 = v128.load(a + o1), a2 = v128.load(a + o2), a3 = v128.load(a + o3);
      m0 = ext4(m0, v128.bitselect(a0, f32x4.shuffle(a0, a0, 0, 0, 0, 0), keep), up);
      m1 = ext4(m1, v128.bitselect(a1, f32x4.shuffle(a1, a1, 0, 0, 0, 0), keep), up);
      m2 = ext4(m2, v128.bitselect(a2, f32x4.shuffle(a2, a2, 0, 0, 0, 0), keep), up);
      m3 = ext4(m3, v128.bitselect(a3, f32x4.shuffle(a3, a3, 0, 0, 0, 0), keep), up);
    }
  }
  // Reduce each plane's four lanes: lane j of the result is plane j's.
  let h01 = ext4(lo4(m0, m1), hi4(m0, m1), up), h23 = ext4(lo4(m2, m3), hi4(m2, m3), up);
  let m = ext4(even4(h01, h23), odd4(h01, h23), up);
  if (v128.any_true(f32x4.eq(m, f32x4.splat(0)))) {
    m = f32x4(
      windowPivotF32(p, nd, nr, nc, sd, sr, 4, beta), windowPivotF32(p + o1, nd, nr, nc, sd, sr, 4, beta),
      windowPivotF32(p + o2, nd, nr, nc, sd, sr, 4, beta), windowPivotF32(p + o3, nd, nr, nc, sd, sr, 4, beta),
    );
  }
  return m;
}

/** Forward of planes x .. x + (count-1)*planeB (count 1..4) into y with plane stride outB. */
function fwdGroup(
  x: usize, y: usize, count: i32, planeB: usize, outB: usize, sliceB: usize, rowB: usize,
  D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32, beta: f32,
): void {
  let last = <usize>(count - 1);
  let o1 = min<usize>(1, last) * planeB, o2 = min<usize>(2, last) * planeB, o3 = last * planeB;
  let q1 = min<usize>(1, last) * outB, q2 = min<usize>(2, last) * outB, q3 = last * outB;
  // Along W, window ow starts at floor(ow*W/OW) = c0 (remainder rem) and ends at the next
  // window's start, plus one if that has a remainder: stepped without a division per window.
  let step = W / OW, stepRem = W % OW;
  let out = y;
  for (let od = 0; od < OD; od++) {
    let d0 = adaptiveStart(od, D, OD), nd = adaptiveEnd(od, D, OD) - d0;
    for (let oh = 0; oh < OH; oh++) {
      let r0 = adaptiveStart(oh, H, OH), nr = adaptiveEnd(oh, H, OH) - r0;
      let xRow = x + <usize>d0 * sliceB + <usize>r0 * rowB;
      let c0 = 0, rem = 0;
      for (let ow = 0; ow < OW; ow++) {
        let c1 = c0 + step, rem1 = rem + stepRem;
        if (rem1 >= OW) { c1++; rem1 -= OW; }
        let nc = c1 + i32(rem1 != 0) - c0;
        fwdWindow4(xRow + (<usize>c0 << 2), o1, o2, o3, nd, nr, nc, sliceB, rowB, beta, out, q1, q2, q3);
        out += 4;
        c0 = c1;
        rem = rem1;
      }
    }
  }
}

/** One window of four planes: the scalar twin's softpoolWindowF32 per lane. */
function fwdWindow4(
  p: usize, o1: usize, o2: usize, o3: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, beta: f32,
  out: usize, q1: usize, q2: usize, q3: usize,
): void {
  let m = pivotLanes(p, o1, o2, o3, nd, nr, nc, sd, sr, beta);
  let vbeta = f32x4.splat(beta);
  let s = f32x4.splat(0), t = s;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let q = p + <usize>d * sd + <usize>r * sr;
    let c = 0;
    // Whole blocks of four columns, then the row's last one to three.
    for (; c + 4 <= nc; c += 4) {
      let a = q + (<usize>c << 2);
      let a0 = v128.load(a), a1 = v128.load(a + o1), a2 = v128.load(a + o2), a3 = v128.load(a + o3);
      let l01 = lo4(a0, a1), l23 = lo4(a2, a3), h01 = hi4(a0, a1), h23 = hi4(a2, a3);
      // Taps in column order, as the scalar twin adds them.
      let dx = f32x4.sub(even4(l01, l23), m);
      let e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
      dx = f32x4.sub(odd4(l01, l23), m);
      e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
      dx = f32x4.sub(even4(h01, h23), m);
      e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
      dx = f32x4.sub(odd4(h01, h23), m);
      e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
    }
    if (c < nc) {
      let a = q + (<usize>c << 2), n = nc - c;
      let a0 = v128.load(a), a1 = v128.load(a + o1), a2 = v128.load(a + o2), a3 = v128.load(a + o3);
      let l01 = lo4(a0, a1), l23 = lo4(a2, a3);
      let dx = f32x4.sub(even4(l01, l23), m);
      let e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
      if (n > 1) {
        dx = f32x4.sub(odd4(l01, l23), m);
        e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
        s = f32x4.add(s, e);
        t = f32x4.add(t, f32x4.mul(e, dx));
        if (n > 2) {
          dx = f32x4.sub(even4(hi4(a0, a1), hi4(a2, a3)), m);
          e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
          s = f32x4.add(s, e);
          t = f32x4.add(t, f32x4.mul(e, dx));
        }
      }
    }
  }
  let yv = v128.bitselect(m, f32x4.add(m, f32x4.div(t, s)), f32x4.eq(t, f32x4.splat(0)));
  // Spare lanes repeat the last plane: they store its value to its place.
  v128.store32_lane(out, yv, 0);
  v128.store32_lane(out + q1, yv, 1);
  v128.store32_lane(out + q2, yv, 2);
  v128.store32_lane(out + q3, yv, 3);
  if (v128.any_true(notFinite4(yv))) {
    fixLane(p, out, nd, nr, nc, sd, sr, beta);
    if (o1 != 0) fixLane(p + o1, out + q1, nd, nr, nc, sd, sr, beta);
    if (o2 != o1) fixLane(p + o2, out + q2, nd, nr, nc, sd, sr, beta);
    if (o3 != o2) fixLane(p + o3, out + q3, nd, nr, nc, sd, sr, beta);
  }
}

/** A lane whose stored output is not finite: the float64 careful path, as in the scalar twin. */
function fixLane(p: usize, out: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, beta: f32): void {
  let v = load<f32>(out);
  if (v - v != 0) store<f32>(out, <f32>softpoolWindowF64(p, nd, nr, nc, sd, sr, 4, <f64>beta));
}

/** Backward of planes x .. x + (count-1)*planeB into gx (same layout); g has plane stride outB. */
function bwdGroup(
  x: usize, gx: usize, g: usize, count: i32, planeB: usize, outB: usize, sliceB: usize, rowB: usize,
  D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32, beta: f32,
): f64 {
  let last = <usize>(count - 1);
  let o1 = min<usize>(1, last) * planeB, o2 = min<usize>(2, last) * planeB, o3 = last * planeB;
  let q1 = min<usize>(1, last) * outB, q2 = min<usize>(2, last) * outB, q3 = last * outB;
  let step = W / OW, stepRem = W % OW; // as in fwdGroup
  let gb = 0.0;
  let gv = g;
  for (let od = 0; od < OD; od++) {
    let d0 = adaptiveStart(od, D, OD), nd = adaptiveEnd(od, D, OD) - d0;
    for (let oh = 0; oh < OH; oh++) {
      let r0 = adaptiveStart(oh, H, OH), nr = adaptiveEnd(oh, H, OH) - r0;
      let rowOff = <usize>d0 * sliceB + <usize>r0 * rowB;
      let c0 = 0, rem = 0;
      for (let ow = 0; ow < OW; ow++) {
        let c1 = c0 + step, rem1 = rem + stepRem;
        if (rem1 >= OW) { c1++; rem1 -= OW; }
        let nc = c1 + i32(rem1 != 0) - c0;
        let off = rowOff + (<usize>c0 << 2);
        c0 = c1;
        rem = rem1;
        let gvec = f32x4(load<f32>(gv), load<f32>(gv + q1), load<f32>(gv + q2), load<f32>(gv + q3));
        gb += bwdWindow4(x + off, gx + off, o1, o2, o3, count, nd, nr, nc, sliceB, rowB, beta, gvec);
        gv += 4;
      }
    }
  }
  return gb;
}

/**
 * One window of four planes: the scalar twin's softpoolWindowBwdF32 per lane (the whole group
 * goes through it when a lane needs the careful path). Returns the lanes' gradBeta terms.
 */
function bwdWindow4(
  p: usize, gp: usize, o1: usize, o2: usize, o3: usize, count: i32, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize,
  beta: f32, gvec: v128,
): f64 {
  let m = pivotLanes(p, o1, o2, o3, nd, nr, nc, sd, sr, beta);
  let vbeta = f32x4.splat(beta);
  let s = f32x4.splat(0), t = s, zlo = s;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let q = p + <usize>d * sd + <usize>r * sr;
    let c = 0;
    for (; c + 4 <= nc; c += 4) {
      let a = q + (<usize>c << 2);
      let a0 = v128.load(a), a1 = v128.load(a + o1), a2 = v128.load(a + o2), a3 = v128.load(a + o3);
      let l01 = lo4(a0, a1), l23 = lo4(a2, a3), h01 = hi4(a0, a1), h23 = hi4(a2, a3);
      let dx = f32x4.sub(even4(l01, l23), m);
      let z = f32x4.mul(vbeta, dx);
      let e = exp_nonpos_f32x4(z);
      zlo = f32x4.pmin(zlo, z);
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
      dx = f32x4.sub(odd4(l01, l23), m);
      z = f32x4.mul(vbeta, dx);
      e = exp_nonpos_f32x4(z);
      zlo = f32x4.pmin(zlo, z);
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
      dx = f32x4.sub(even4(h01, h23), m);
      z = f32x4.mul(vbeta, dx);
      e = exp_nonpos_f32x4(z);
      zlo = f32x4.pmin(zlo, z);
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
      dx = f32x4.sub(odd4(h01, h23), m);
      z = f32x4.mul(vbeta, dx);
      e = exp_nonpos_f32x4(z);
      zlo = f32x4.pmin(zlo, z);
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
    }
    if (c < nc) {
      let a = q + (<usize>c << 2), n = nc - c;
      let a0 = v128.load(a), a1 = v128.load(a + o1), a2 = v128.load(a + o2), a3 = v128.load(a + o3);
      let l01 = lo4(a0, a1), l23 = lo4(a2, a3);
      let dx = f32x4.sub(even4(l01, l23), m);
      let z = f32x4.mul(vbeta, dx);
      let e = exp_nonpos_f32x4(z);
      zlo = f32x4.pmin(zlo, z);
      s = f32x4.add(s, e);
      t = f32x4.add(t, f32x4.mul(e, dx));
      if (n > 1) {
        dx = f32x4.sub(odd4(l01, l23), m);
        z = f32x4.mul(vbeta, dx);
        e = exp_nonpos_f32x4(z);
        zlo = f32x4.pmin(zlo, z);
        s = f32x4.add(s, e);
        t = f32x4.add(t, f32x4.mul(e, dx));
        if (n > 2) {
          dx = f32x4.sub(even4(hi4(a0, a1), hi4(a2, a3)), m);
          z = f32x4.mul(vbeta, dx);
          e = exp_nonpos_f32x4(z);
          zlo = f32x4.pmin(zlo, z);
          s = f32x4.add(s, e);
          t = f32x4.add(t, f32x4.mul(e, dx));
        }
      }
    }
  }
  let tbar = f32x4.div(t, s);
  if (needsCareful(f32x4.add(m, tbar), zlo)) return bwdLanesTwin(p, gp, o1, o2, o3, count, nd, nr, nc, sd, sr, beta, gvec);
  let gs = f32x4.div(gvec, s);
  let one = f32x4.splat(1);
  let v = f32x4.splat(0);
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) {
    let rowOff = <usize>d * sd + <usize>r * sr;
    let c = 0;
    for (; c + 4 <= nc; c += 4) {
      let off = rowOff + (<usize>c << 2);
      let a = p + off;
      let a0 = v128.load(a), a1 = v128.load(a + o1), a2 = v128.load(a + o2), a3 = v128.load(a + o3);
      let l01 = lo4(a0, a1), l23 = lo4(a2, a3), h01 = hi4(a0, a1), h23 = hi4(a2, a3);
      // Per tap: u = x - y, gradient (g/s)*e*(1 + beta*u), v += e*u*u, as the scalar twin has them.
      let dx = f32x4.sub(even4(l01, l23), m);
      let e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      let u = f32x4.sub(dx, tbar);
      let g0 = f32x4.mul(f32x4.mul(gs, e), f32x4.add(one, f32x4.mul(vbeta, u)));
      v = f32x4.add(v, f32x4.mul(f32x4.mul(e, u), u));
      dx = f32x4.sub(odd4(l01, l23), m);
      e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      u = f32x4.sub(dx, tbar);
      let g1 = f32x4.mul(f32x4.mul(gs, e), f32x4.add(one, f32x4.mul(vbeta, u)));
      v = f32x4.add(v, f32x4.mul(f32x4.mul(e, u), u));
      dx = f32x4.sub(even4(h01, h23), m);
      e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      u = f32x4.sub(dx, tbar);
      let g2 = f32x4.mul(f32x4.mul(gs, e), f32x4.add(one, f32x4.mul(vbeta, u)));
      v = f32x4.add(v, f32x4.mul(f32x4.mul(e, u), u));
      dx = f32x4.sub(odd4(h01, h23), m);
      e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      u = f32x4.sub(dx, tbar);
      let g3 = f32x4.mul(f32x4.mul(gs, e), f32x4.add(one, f32x4.mul(vbeta, u)));
      v = f32x4.add(v, f32x4.mul(f32x4.mul(e, u), u));
      // Transposed back: plane j's four columns, added with one load and store per plane.
      let b = gp + off;
      let k01 = lo4(g0, g1), k23 = lo4(g2, g3), j01 = hi4(g0, g1), j23 = hi4(g2, g3);
      v128.store(b, f32x4.add(v128.load(b), even4(k01, k23)));
      if (count > 1) v128.store(b + o1, f32x4.add(v128.load(b + o1), odd4(k01, k23)));
      if (count > 2) v128.store(b + o2, f32x4.add(v128.load(b + o2), even4(j01, j23)));
      if (count > 3) v128.store(b + o3, f32x4.add(v128.load(b + o3), odd4(j01, j23)));
    }
    if (c < nc) {
      // The last one to three columns: only those are added (the gradient has no slack past the row).
      let off = rowOff + (<usize>c << 2), n = nc - c;
      let a = p + off;
      let a0 = v128.load(a), a1 = v128.load(a + o1), a2 = v128.load(a + o2), a3 = v128.load(a + o3);
      let l01 = lo4(a0, a1), l23 = lo4(a2, a3);
      let dx = f32x4.sub(even4(l01, l23), m);
      let e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
      let u = f32x4.sub(dx, tbar);
      let g0 = f32x4.mul(f32x4.mul(gs, e), f32x4.add(one, f32x4.mul(vbeta, u)));
      v = f32x4.add(v, f32x4.mul(f32x4.mul(e, u), u));
      let g1 = f32x4.splat(0), g2 = g1;
      if (n > 1) {
        dx = f32x4.sub(odd4(l01, l23), m);
        e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
        u = f32x4.sub(dx, tbar);
        g1 = f32x4.mul(f32x4.mul(gs, e), f32x4.add(one, f32x4.mul(vbeta, u)));
        v = f32x4.add(v, f32x4.mul(f32x4.mul(e, u), u));
        if (n > 2) {
          dx = f32x4.sub(even4(hi4(a0, a1), hi4(a2, a3)), m);
          e = exp_nonpos_f32x4(f32x4.mul(vbeta, dx));
          u = f32x4.sub(dx, tbar);
          g2 = f32x4.mul(f32x4.mul(gs, e), f32x4.add(one, f32x4.mul(vbeta, u)));
          v = f32x4.add(v, f32x4.mul(f32x4.mul(e, u), u));
        }
      }
      let b = gp + off;
      addCols(b, f32x4.extract_lane(g0, 0), f32x4.extract_lane(g1, 0), f32x4.extract_lane(g2, 0), n);
      if (count > 1) addCols(b + o1, f32x4.extract_lane(g0, 1), f32x4.extract_lane(g1, 1), f32x4.extract_lane(g2, 1), n);
      if (count > 2) addCols(b + o2, f32x4.extract_lane(g0, 2), f32x4.extract_lane(g1, 2), f32x4.extract_lane(g2, 2), n);
      if (count > 3) addCols(b + o3, f32x4.extract_lane(g0, 3), f32x4.extract_lane(g1, 3), f32x4.extract_lane(g2, 3), n);
    }
  }
  // gradBeta per lane in float64 as the scalar twin has it; lanes it would redo are redone.
  let redo = flushedMatters4(flushed4(zlo), zlo, beta, OWN_PIVOT_RANGE);
  let gb = laneGradBeta(
    f32x4.extract_lane(gvec, 0), f32x4.extract_lane(v, 0), f32x4.extract_lane(s, 0), i32x4.extract_lane(redo, 0),
    p, gp, nd, nr, nc, sd, sr, beta,
  );
  if (count > 1) {
    gb += laneGradBeta(
      f32x4.extract_lane(gvec, 1), f32x4.extract_lane(v, 1), f32x4.extract_lane(s, 1), i32x4.extract_lane(redo, 1),
      p + o1, gp + o1, nd, nr, nc, sd, sr, beta,
    );
  }
  if (count > 2) {
    gb += laneGradBeta(
      f32x4.extract_lane(gvec, 2), f32x4.extract_lane(v, 2), f32x4.extract_lane(s, 2), i32x4.extract_lane(redo, 2),
      p + o2, gp + o2, nd, nr, nc, sd, sr, beta,
    );
  }
  if (count > 3) {
    gb += laneGradBeta(
      f32x4.extract_lane(gvec, 3), f32x4.extract_lane(v, 3), f32x4.extract_lane(s, 3), i32x4.extract_lane(redo, 3),
      p + o3, gp + o3, nd, nr, nc, sd, sr, beta,
    );
  }
  return gb;
}

/** Adds the first n (1..3) of c0, c1, c2 to the floats at q. */
// @ts-ignore: decorator
@inline function addCols(q: usize, c0: f32, c1: f32, c2: f32, n: i32): void {
  store<f32>(q, load<f32>(q) + c0);
  if (n > 1) store<f32>(q + 4, load<f32>(q + 4) + c1);
  if (n > 2) store<f32>(q + 8, load<f32>(q + 8) + c2);
}

/** A lane's gradBeta term g*v/s in float64, or the careful path's where the scalar twin would take it. */
// @ts-ignore: decorator
@inline function laneGradBeta(
  g: f32, v: f32, s: f32, redo: i32, p: usize, gp: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, beta: f32,
): f64 {
  let gb = <f64>g * <f64>v / <f64>s;
  if (gb - gb != 0 || redo != 0) gb = softpoolWindowBwdF64(p, gp, nd, nr, nc, sd, sr, 4, <f64>beta, <f64>g, false);
  return gb;
}

/** Lanes 0..count-1 one at a time through the scalar twin (with its own careful fallback). */
function bwdLanesTwin(
  p: usize, gp: usize, o1: usize, o2: usize, o3: usize, count: i32, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize,
  beta: f32, gvec: v128,
): f64 {
  let gb = softpoolWindowBwdF32(p, gp, nd, nr, nc, sd, sr, 4, beta, f32x4.extract_lane(gvec, 0));
  if (count > 1) gb += softpoolWindowBwdF32(p + o1, gp + o1, nd, nr, nc, sd, sr, 4, beta, f32x4.extract_lane(gvec, 1));
  if (count > 2) gb += softpoolWindowBwdF32(p + o2, gp + o2, nd, nr, nc, sd, sr, 4, beta, f32x4.extract_lane(gvec, 2));
  if (count > 3) gb += softpoolWindowBwdF32(p + o3, gp + o3, nd, nr, nc, sd, sr, 4, beta, f32x4.extract_lane(gvec, 3));
  return gb;
}
