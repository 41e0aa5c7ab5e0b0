// Fast f32 exponential: exp_f32x4 (4 lanes, wasm SIMD) and its scalar twin exp_f32.
//
// Both run the same operations in the same order, so they return
// bit-identical results for every non-NaN input (NaN payloads are not
// specified by wasm). The multiply-adds go through simd_fma.ts: plain mul and
// add in the SIMD and scalar builds, relaxed SIMD's fused multiply-add in the
// relaxed build (where the scalar twin uses lane 0 of the same instruction).
//
// Range reduction: x = n*ln2 + r with n = round(x*log2(e)) and
// |r| <= ln2/2 (plus a hair from rounding x*log2(e)). r is computed with a
// two-constant Cody-Waite split ln2 = LN2_HI + LN2_LO: LN2_HI has 15
// significant bits and |n| <= 128 (8 bits), so n*LN2_HI is exact, and
// x - n*LN2_HI is exact too (Sterbenz); only the tiny n*LN2_LO term rounds.
//
// Polynomial: exp(r) ~= 1 + r + r^2*(P2 + r*(P3 + r*(P4 + r*(P5 + r*P6)))),
// degree 6 with the first two coefficients fixed to 1 so exp(+-0) == 1 exactly.
// P2..P6 minimise the maximum relative error on [-0.34662, 0.34662]
// (linear-programming minimax, ~3.1e-9 before f32 rounding). The tail is
// evaluated by Horner; adding r and then 1 last keeps the rounding error of
// the small terms small.
//
// Rounding: adding ROUNDER = 1.5 * 2^23 to x*log2(e) rounds it to an integer
// (ties to even, as nearest does) and leaves that integer in the low mantissa
// bits of the sum, so n costs one add and one sub instead of nearest plus the
// several-instruction i32x4.trunc_sat on x86.
//
// Scaling: exp(x) = 2^n * exp(r) by adding n<<23 to the bit pattern of
// exp(r) in [0.707, 1.415]. The input is clamped to [XMIN, XMAX] first, which
// keeps the biased exponent within 1..254, so no overflow / wrap-around.
//
// Two entry points share that core: exp_f32x4 for any input, and
// exp_nonpos_f32x4 for the softmax weights (x <= 0 after subtracting the
// window's pivot), which skips the upper clamp and the +Inf/NaN select. Its
// result for a NaN input is unspecified (a NaN's payload bits reach the
// exponent): callers detect NaN windows through x - m, which stays NaN.
//
// Accuracy (MEASURED against f64 exp over EVERY f32 in [XMIN, XMAX],
// scripts/exp-error/run.mjs, results in its README):
//   SIMD build (mul + add):     max relative error 8.15e-8 (8.1466e-8 at x = 5.2014723);
//   relaxed build, fused (FMA): max relative error 8.50e-8 (8.5001e-8 at x = -27.379135);
// every result within 1 ulp of the correctly rounded exp, twins identical. Where the
// engine lowers relaxed_madd to mul + add (no FMA on the CPU), the relaxed build computes
// exactly what the SIMD build does. Checked by tests/exp_error.test.ts (both builds,
// every 1009th f32) and tests/assembly/exp_f32x4.spec.ts (SIMD build, 1e8-point sweep),
// which assert max relative error <= 1.0e-7.
//
// Special cases:
//   exp(+-0) = 1 exactly; NaN -> NaN (exp_f32x4 and exp_f32 only);
//   x < XMIN (incl. -Infinity) -> +0: results that would be subnormal are
//   FLUSHED TO ZERO; x > XMAX (incl. +Infinity) -> +Infinity.
// No branches. With FMA, eight multiply-add pairs of the core become one instruction each.

import { madd4, nmadd4, madd, nmadd } from "./simd_fma";

/** log2(e), rounded to f32. */
const LOG2E: f32 = 1.44269502162933349609375; // 0x3FB8AA3B
/** High part of ln(2): 15 significant bits, so n*LN2_HI is exact for |n| <= 128. */
const LN2_HI: f32 = 0.693145751953125; // 0x3F317200
/** Low part of ln(2): ln(2) - LN2_HI, rounded to f32. */
const LN2_LO: f32 = 1.428606765330187045037746429443359375e-6; // 0x35BFBE8E

/** Minimax coefficients of r^2..r^6 (close to 1/2!, 1/3!, 1/4!, 1/5!, 1/6!). */
const P2: f32 = 0.499999940395355224609375; // 0x3EFFFFFE
const P3: f32 = 0.16666521131992340087890625; // 0x3E2AAA49
const P4: f32 = 0.0416683889925479888916015625; // 0x3D2AAC79
const P5: f32 = 0.0083687193691730499267578125; // 0x3C091CF4
const P6: f32 = 0.00138145941309630870819091796875; // 0x3AB51216

/** 1.5 * 2^23: adding it rounds |v| < 2^22 to an integer held in the low mantissa bits. */
const ROUNDER: f32 = 12582912.0; // 0x4B400000

/** Smallest f32 with exp(x) >= FLT_MIN (ln(FLT_MIN) = -87.33654475...). Below: flush to 0. */
const XMIN: f32 = -87.33654022216796875; // 0xC2AEAC4F
/** Arguments below this give 0 (their exp would be below FLT_MIN): for callers that must know what was flushed. */
export const EXP_FLUSH_BELOW: f32 = XMIN;

/** Largest f32 with exp(x) <= FLT_MAX (ln(FLT_MAX) = 88.72283905...). Above: +Infinity. */
const XMAX: f32 = 88.72283172607421875; // 0x42B17217

/** 2^n * exp(r) for x already clamped to [XMIN, XMAX]. */
// @ts-ignore: decorator
@inline function expCore_f32x4(xc: v128): v128 {
  const big = madd4(xc, f32x4.splat(LOG2E), f32x4.splat(ROUNDER));
  const n = f32x4.sub(big, f32x4.splat(ROUNDER));
  const r = nmadd4(n, f32x4.splat(LN2_LO), nmadd4(n, f32x4.splat(LN2_HI), xc));
  let q = madd4(f32x4.splat(P6), r, f32x4.splat(P5));
  q = madd4(q, r, f32x4.splat(P4));
  q = madd4(q, r, f32x4.splat(P3));
  q = madd4(q, r, f32x4.splat(P2));
  const p = f32x4.add(f32x4.splat(1.0), madd4(f32x4.mul(r, r), q, r));
  // (bits(big) << 23) == n << 23: ROUNDER's own bits all shift out of the word.
  return i32x4.add(p, i32x4.shl(big, 23));
}

/** exp of each f32 lane of `x`, any input. */
// @ts-ignore: decorator
@inline export function exp_f32x4(x: v128): v128 {
  // Clamp so 2^n stays a normal scale. pmax(a, b) = a < b ? b : a and
  // pmin(a, b) = b < a ? b : a return `a` when it is NaN, so with x as the
  // FIRST operand NaN gets through, at one instruction each on x86.
  const y = expCore_f32x4(f32x4.pmin(f32x4.pmax(x, f32x4.splat(XMIN)), f32x4.splat(XMAX)));
  // x < XMIN (incl. -Inf) -> 0 (flush); x > XMAX (incl. +Inf) -> +Inf and NaN -> NaN, both as x + Inf.
  return v128.bitselect(
    v128.andnot(y, f32x4.lt(x, f32x4.splat(XMIN))),
    f32x4.add(x, f32x4.splat(Infinity)),
    f32x4.le(x, f32x4.splat(XMAX)),
  );
}

/** exp of each lane for x <= 0 (incl. -Infinity); NaN input gives an unspecified result. */
// @ts-ignore: decorator
@inline export function exp_nonpos_f32x4(x: v128): v128 {
  const y = expCore_f32x4(f32x4.pmax(x, f32x4.splat(XMIN)));
  return v128.andnot(y, f32x4.lt(x, f32x4.splat(XMIN)));
}

/** 2^n * exp(r) for x already clamped to [XMIN, XMAX]: scalar twin of expCore_f32x4. */
// @ts-ignore: decorator
@inline function expCore_f32(xc: f32): f32 {
  const big = madd(xc, LOG2E, ROUNDER);
  const n = big - ROUNDER;
  const r = nmadd(n, LN2_LO, nmadd(n, LN2_HI, xc));
  let q = madd(P6, r, P5);
  q = madd(q, r, P4);
  q = madd(q, r, P3);
  q = madd(q, r, P2);
  const p: f32 = <f32>1.0 + madd(r * r, q, r);
  return reinterpret<f32>(reinterpret<i32>(p) + (reinterpret<i32>(big) << 23));
}

/** Scalar twin of exp_f32x4: same operations, same order, bit-identical results. */
// @ts-ignore: decorator
@inline export function exp_f32(x: f32): f32 {
  // Same clamp as f32x4.pmax/pmin above (NaN and -0 pass through unchanged).
  let xc = select<f32>(XMIN, x, x < XMIN);
  xc = select<f32>(XMAX, xc, xc > XMAX);
  const y = expCore_f32(xc);
  return select<f32>(select<f32>(0, y, x < XMIN), x + Infinity, x <= XMAX);
}

/** Scalar twin of exp_nonpos_f32x4. */
// @ts-ignore: decorator
@inline export function exp_nonpos_f32(x: f32): f32 {
  const y = expCore_f32(select<f32>(XMIN, x, x < XMIN));
  return select<f32>(0, y, x < XMIN);
}
