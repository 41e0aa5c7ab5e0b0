// Exhaustive error sweep of assembly/exp_f32x4.ts (driven by scripts/exp-error/run.mjs).
//
// sweep(start, count, step) evaluates the f32 inputs with bit patterns
// start, start + step, ..., start + (count - 1) * step (the caller keeps them in one
// sign half, without u32 wrap-around) through
//   fn 0  exp_f32x4          (4 lanes at a time)
//   fn 1  exp_f32            (its scalar twin, one lane at a time)
//   fn 2  exp_nonpos_f32x4   (only lanes with x <= 0)
//   fn 3  exp_nonpos_f32     (only x <= 0)
// and compares each result y with e = Math.exp(<f64>x) (AssemblyScript's NativeMath,
// an f64 exp with < 1 f64 ulp of error, so e is exact to ~1e-16 relative):
//   relative error |y - e| / e, kept as a running maximum (first argument reaching it);
//   ulp distance |bits(y) - bits(<f32>e)| (results are positive, so integer distance of
//   the bit patterns is distance in f32 ulps), kept as a running maximum.
// It also counts bit mismatches:
//   mis 0  exp_f32x4 lane != exp_f32            (SIMD vs scalar twin; expected 0)
//   mis 1  exp_nonpos_f32x4 lane != exp_nonpos_f32   (expected 0)
//   mis 2  exp_nonpos_f32x4 lane != exp_f32x4 lane, x <= 0 (same core; expected 0)
// The exp_f32x4 results are stored to OUT (outPtr()) so that run.mjs can compare the
// results of two builds (simd vs relaxed-simd) bit for bit with diff().
//
// Everything is plain memory and globals: no managed objects, no allocation.

import { exp_f32x4, exp_f32, exp_nonpos_f32x4, exp_nonpos_f32 } from "../../assembly/exp_f32x4";
import { madd4 } from "../../assembly/simd_fma";

const NFN = 4;
const NMIS = 3;

// Per function: [maxRel f64][maxRelArgBits u32][maxUlp u32][evaluated u64] = 24 bytes.
const STATS: usize = memory.data(NFN * 24, 16);
// Per mismatch kind: [count u64][firstArgBits u32][pad] = 16 bytes.
const MIS: usize = memory.data(NMIS * 16, 16);

// OUT and REF: two buffers of `capacity` f32 each, after the static data.
const BUF_BASE: usize = (__heap_base + 15) & ~<usize>15;
let capacity: u32 = 0;

/** Makes room for `count` values in OUT and REF; returns 0 when memory cannot grow. */
export function reserve(count: u32): i32 {
  const n = (count + 3) & ~3;
  if (n <= capacity) return 1;
  const end = BUF_BASE + <usize>n * 8;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  capacity = n;
  return 1;
}

/** Where sweep() stores exp_f32x4 results (capacity f32). */
export function outPtr(): usize { return BUF_BASE; }
/** Where run.mjs copies the other build's results for diff() (capacity f32). */
export function refPtr(): usize { return BUF_BASE + <usize>capacity * 4; }

export function reset(): void {
  memory.fill(STATS, 0, NFN * 24);
  memory.fill(MIS, 0, NMIS * 16);
  diffCount = 0;
  diffMaxUlp = 0;
  diffFirstBits = 0;
}

// @ts-ignore: decorator
@inline function record(fn: i32, x: f32, y: f32, e: f64): void {
  const s = STATS + <usize>fn * 24;
  const rel = Math.abs(<f64>y - e) / e;
  if (rel > load<f64>(s)) {
    store<f64>(s, rel);
    store<u32>(s, reinterpret<u32>(x), 8);
  }
  const d = reinterpret<i32>(y) - reinterpret<i32>(<f32>e);
  const ad = <u32>(d < 0 ? -d : d);
  if (ad > load<u32>(s, 12)) store<u32>(s, ad, 12);
  store<u64>(s, load<u64>(s, 16) + 1, 16);
}

// @ts-ignore: decorator
@inline function mismatch(kind: i32, x: f32, a: f32, b: f32): void {
  if (reinterpret<u32>(a) != reinterpret<u32>(b)) {
    const m = MIS + <usize>kind * 16;
    const c = load<u64>(m);
    if (c == 0) store<u32>(m, reinterpret<u32>(x), 8);
    store<u64>(m, c + 1);
  }
}

// @ts-ignore: decorator
@inline function checkLane(x: f32, y: f32, yn: f32): void {
  const e = Math.exp(<f64>x);
  const ys = exp_f32(x);
  mismatch(0, x, y, ys);
  record(0, x, y, e);
  record(1, x, ys, e);
  if (x <= 0) {
    const ns = exp_nonpos_f32(x);
    mismatch(1, x, yn, ns);
    mismatch(2, x, yn, y);
    record(2, x, yn, e);
    record(3, x, ns, e);
  }
}

/** Sweeps `count` bit patterns start + i*step (see the header); stores exp_f32x4 results to OUT. */
export function sweep(start: u32, count: u32, step: u32): void {
  const lanes = i32x4(0, <i32>step, <i32>(step * 2), <i32>(step * 3));
  const full = count & ~3;
  let i: u32 = 0;
  for (; i < full; i += 4) {
    const xv = i32x4.add(i32x4.splat(<i32>(start + i * step)), lanes);
    const yv = exp_f32x4(xv);
    const nv = exp_nonpos_f32x4(xv);
    v128.store(BUF_BASE + (<usize>i << 2), yv);
    checkLane(f32x4.extract_lane(xv, 0), f32x4.extract_lane(yv, 0), f32x4.extract_lane(nv, 0));
    checkLane(f32x4.extract_lane(xv, 1), f32x4.extract_lane(yv, 1), f32x4.extract_lane(nv, 1));
    checkLane(f32x4.extract_lane(xv, 2), f32x4.extract_lane(yv, 2), f32x4.extract_lane(nv, 2));
    checkLane(f32x4.extract_lane(xv, 3), f32x4.extract_lane(yv, 3), f32x4.extract_lane(nv, 3));
  }
  if (i < count) {
    // Tail of 1..3 values: the missing lanes repeat the last value, and only real lanes count.
    const last = start + (count - 1) * step;
    const b0 = start + i * step;
    const b1 = i + 1 < count ? b0 + step : last;
    const b2 = i + 2 < count ? b0 + step * 2 : last;
    const xv = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(
      i32x4.splat(<i32>last), 0, <i32>b0), 1, <i32>b1), 2, <i32>b2);
    const yv = exp_f32x4(xv);
    const nv = exp_nonpos_f32x4(xv);
    v128.store(BUF_BASE + (<usize>i << 2), yv);
    checkLane(f32x4.extract_lane(xv, 0), f32x4.extract_lane(yv, 0), f32x4.extract_lane(nv, 0));
    if (i + 1 < count) checkLane(f32x4.extract_lane(xv, 1), f32x4.extract_lane(yv, 1), f32x4.extract_lane(nv, 1));
    if (i + 2 < count) checkLane(f32x4.extract_lane(xv, 2), f32x4.extract_lane(yv, 2), f32x4.extract_lane(nv, 2));
  }
}

// Bit differences between OUT (this build) and REF (another build's OUT for the same inputs).
let diffCount: u64 = 0;
let diffMaxUlp: u32 = 0;
let diffFirstBits: u32 = 0; // input bit pattern of the first difference

/** Compares OUT[0..count) with REF[0..count); inputs are start + i*step as in sweep(). */
export function diff(start: u32, count: u32, step: u32): void {
  const ref = BUF_BASE + <usize>capacity * 4;
  for (let i: u32 = 0; i < count; i++) {
    const a = load<i32>(BUF_BASE + (<usize>i << 2));
    const b = load<i32>(ref + (<usize>i << 2));
    if (a != b) {
      if (diffCount == 0) diffFirstBits = start + i * step;
      diffCount++;
      const d = <u32>(a > b ? a - b : b - a);
      if (d > diffMaxUlp) diffMaxUlp = d;
    }
  }
}

export function maxRel(fn: i32): f64 { return load<f64>(STATS + <usize>fn * 24); }
export function maxRelArgBits(fn: i32): u32 { return load<u32>(STATS + <usize>fn * 24, 8); }
export function maxUlp(fn: i32): u32 { return load<u32>(STATS + <usize>fn * 24, 12); }
export function evaluated(fn: i32): f64 { return <f64>load<u64>(STATS + <usize>fn * 24, 16); }
export function mismatches(kind: i32): f64 { return <f64>load<u64>(MIS + <usize>kind * 16); }
export function mismatchFirstBits(kind: i32): u32 { return load<u32>(MIS + <usize>kind * 16, 8); }
export function diffs(): f64 { return <f64>diffCount; }
export function diffMaxUlps(): u32 { return diffMaxUlp; }
export function diffFirst(): u32 { return diffFirstBits; }

/** madd4(a, b, c) lane 0 as this build compiles it: fused iff it differs from fround(fround(a*b)+c). */
export function maddProbe(a: f32, b: f32, c: f32): f32 {
  return f32x4.extract_lane(madd4(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
}

/** 1 if this module was compiled with relaxed SIMD (madd4 is f32x4.relaxed_madd). */
export function relaxedBuild(): i32 { return ASC_FEATURE_RELAXED_SIMD ? 1 : 0; }
