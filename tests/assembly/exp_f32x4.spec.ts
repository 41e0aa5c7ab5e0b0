import { exp_f32x4, exp_f32, exp_nonpos_f32x4, exp_nonpos_f32 } from "../../assembly/exp_f32x4";

/** Accuracy bound stated in the header of assembly/exp_f32x4.ts. */
const MAX_REL: f64 = 1.0e-7;

// Clamp / flush thresholds of the implementation, as bit patterns.
const XMIN_BITS: u32 = 0xc2aeac4f; // -87.33654: smallest x with exp(x) >= FLT_MIN
const XMAX_BITS: u32 = 0x42b17217; // 88.72283: largest x with exp(x) <= FLT_MAX
const FLT_MIN: f32 = 1.1754943508222875e-38; // smallest normal f32, 2^-126

/** Scratch space for moving single lanes in and out of a v128. */
const buf = memory.data(16, 16);

// Running results of the sweeps (module globals: no allocation in the loops).
let maxRelSimd: f64 = 0;
let maxRelScalar: f64 = 0;
let worstSimd: f32 = 0;
let worstScalar: f32 = 0;
let mismatches: i32 = 0;
let points: i32 = 0;

/** Scores one lane: x, the SIMD result for x; also runs the scalar twin. */
function score(x: f32, ySimd: f32): void {
  const yScalar = exp_f32(x);
  const e = Math.exp(<f64>x); // f64 reference, ~0.5 ulp of f64
  const rs = Math.abs(<f64>ySimd - e) / e;
  const rc = Math.abs(<f64>yScalar - e) / e;
  // `!(a <= b)` so that a NaN error also counts as a failure.
  if (!(rs <= maxRelSimd)) {
    maxRelSimd = rs;
    worstSimd = x;
  }
  if (!(rc <= maxRelScalar)) {
    maxRelScalar = rc;
    worstScalar = x;
  }
  if (reinterpret<u32>(ySimd) != reinterpret<u32>(yScalar)) mismatches++;
  points++;
}

/** Runs exp_f32x4 on four different inputs and scores every lane. */
function score4(a: f32, b: f32, c: f32, d: f32): void {
  const y = exp_f32x4(f32x4(a, b, c, d));
  score(a, f32x4.extract_lane(y, 0));
  score(b, f32x4.extract_lane(y, 1));
  score(c, f32x4.extract_lane(y, 2));
  score(d, f32x4.extract_lane(y, 3));
}

/** Every k-th f32 bit pattern in [lo, hi] (inclusive), 4 lanes at a time. */
function sweepBits(lo: u32, hi: u32, k: u32): void {
  for (let b = lo; b <= hi; b += 4 * k) {
    score4(
      reinterpret<f32>(b),
      reinterpret<f32>(min(b + k, hi)),
      reinterpret<f32>(min(b + 2 * k, hi)),
      reinterpret<f32>(min(b + 3 * k, hi)),
    );
  }
}

/** exp_f32x4 with `x` in lane `lane` and filler inputs in the other lanes; returns that lane. */
function simdLane(x: f32, lane: i32): f32 {
  v128.store(buf, f32x4(-0.5, 0.25, -3.0, 1.5));
  store<f32>(buf + (<usize>lane << 2), x);
  v128.store(buf, exp_f32x4(v128.load(buf)));
  return load<f32>(buf + (<usize>lane << 2));
}

/** Asserts exp(x) has exactly the bits of `expected` (SIMD in every lane, and scalar). */
function expectExact(x: f32, expected: f32): void {
  const want = reinterpret<u32>(expected);
  expect<u32>(reinterpret<u32>(exp_f32(x))).toBe(want, "scalar exp(" + x.toString() + ")");
  for (let lane = 0; lane < 4; lane++) {
    expect<u32>(reinterpret<u32>(simdLane(x, lane))).toBe(
      want,
      "simd lane " + lane.toString() + " exp(" + x.toString() + ")",
    );
  }
}

function expectNaN(x: f32): void {
  expect<bool>(isNaN(exp_f32(x))).toBe(true, "scalar exp(NaN)");
  for (let lane = 0; lane < 4; lane++) {
    expect<bool>(isNaN(simdLane(x, lane))).toBe(true, "simd lane " + lane.toString() + " exp(NaN)");
  }
}

describe("exp_f32x4 / exp_f32 special cases", () => {
  it("exp(0) and exp(-0) are exactly 1", () => {
    expectExact(0.0, 1.0);
    expectExact(-0.0, 1.0);
  });

  it("NaN -> NaN", () => {
    expectNaN(NaN);
    expectNaN(-NaN);
    expectNaN(reinterpret<f32>(<u32>0x7fc00001)); // quiet NaN with payload
    expectNaN(reinterpret<f32>(<u32>0xffffffff));
  });

  it("-Infinity and x below ln(FLT_MIN) flush to +0", () => {
    expectExact(-Infinity, 0.0);
    expectExact(-87.34, 0.0);
    expectExact(reinterpret<f32>(XMIN_BITS + 1), 0.0); // first f32 below the threshold
    expectExact(-88.0, 0.0);
    expectExact(-103.0, 0.0); // exp is still a nonzero subnormal here: flushed
    expectExact(-1.0e30, 0.0);
    expectExact(-F32.MAX_VALUE, 0.0);
  });

  it("+Infinity and x above ln(FLT_MAX) give +Infinity", () => {
    expectExact(Infinity, Infinity);
    expectExact(88.73, Infinity);
    expectExact(reinterpret<f32>(XMAX_BITS + 1), Infinity); // first f32 above the threshold
    expectExact(89.0, Infinity);
    expectExact(1.0e30, Infinity);
    expectExact(F32.MAX_VALUE, Infinity);
  });

  it("thresholds themselves give normal, accurate results", () => {
    const lo = reinterpret<f32>(XMIN_BITS);
    const hi = reinterpret<f32>(XMAX_BITS);
    expect<f32>(exp_f32(lo)).toBeGreaterThanOrEqual(FLT_MIN);
    expect<f32>(exp_f32(hi)).toBeLessThanOrEqual(F32.MAX_VALUE);
    for (let lane = 0; lane < 4; lane++) {
      expect<f32>(simdLane(lo, lane)).toBeGreaterThanOrEqual(FLT_MIN);
      expect<f32>(simdLane(hi, lane)).toBeLessThanOrEqual(F32.MAX_VALUE);
    }
    expect<f64>(Math.abs(<f64>exp_f32(lo) / Math.exp(<f64>lo) - 1)).toBeLessThanOrEqual(MAX_REL);
    expect<f64>(Math.abs(<f64>exp_f32(hi) / Math.exp(<f64>hi) - 1)).toBeLessThanOrEqual(MAX_REL);
  });
});

describe("exp_f32x4 / exp_f32 accuracy over [-87.3365, 88.7228]", () => {
  it("max relative error vs f64 Math.exp is within the stated bound, SIMD == scalar bit for bit", () => {
    // Every 23rd f32 bit pattern (odd stride: all mantissa residues get hit).
    sweepBits(0x80000000, XMIN_BITS, 23); // -0 down to XMIN
    sweepBits(0x00000000, XMAX_BITS, 23); // +0 up to XMAX
    // Every f32 around the worst cases of an offline exhaustive run over all
    // ~2.2e9 inputs (8.1466e-8 at x = 5.2014723, 8.1186e-8 at x = -16.287149).
    sweepBits(reinterpret<u32>(<f32>5.2014723) - 32768, reinterpret<u32>(<f32>5.2014723) + 32768, 1);
    sweepBits(reinterpret<u32>(<f32>-16.287149) - 32768, reinterpret<u32>(<f32>-16.287149) + 32768, 1);
    // Uniform grid of 2^22 points over [-87.33, 88.72].
    const lo: f64 = -87.33, hi: f64 = 88.72;
    const n = 1 << 22;
    for (let i = 0; i < n; i += 4) {
      score4(
        <f32>(lo + (hi - lo) * (<f64>i / n)),
        <f32>(lo + (hi - lo) * (<f64>(i + 1) / n)),
        <f32>(lo + (hi - lo) * (<f64>(i + 2) / n)),
        <f32>(lo + (hi - lo) * (<f64>(i + 3) / n)),
      );
    }
    log<string>(
      "points: " + points.toString() +
      ", max rel err SIMD: " + maxRelSimd.toString() + " at x = " + worstSimd.toString() +
      ", scalar: " + maxRelScalar.toString() + " at x = " + worstScalar.toString(),
    );
    expect<i32>(points).toBeGreaterThan(90_000_000);
    expect<f64>(maxRelSimd).toBeLessThanOrEqual(MAX_REL);
    expect<f64>(maxRelScalar).toBeLessThanOrEqual(MAX_REL);
    expect<i32>(mismatches).toBe(0, "SIMD and scalar results differ");
  });
});

describe("exp_nonpos_f32x4 / exp_nonpos_f32 (softmax weights, x <= 0)", () => {
  it("equals exp_f32x4 bit for bit on every 7th f32 in [XMIN, 0], and -0/+0", () => {
    let differ = 0;
    let checked = 0;
    for (let b: u32 = 0x80000000; b <= XMIN_BITS; b += 4 * 7) {
      const v = f32x4(
        reinterpret<f32>(b), reinterpret<f32>(min(b + 7, XMIN_BITS)),
        reinterpret<f32>(min(b + 14, XMIN_BITS)), reinterpret<f32>(min(b + 21, XMIN_BITS)),
      );
      const want = exp_f32x4(v);
      if (!v128.all_true<i32>(i32x4.eq(exp_nonpos_f32x4(v), want))) differ++;
      if (reinterpret<u32>(exp_nonpos_f32(reinterpret<f32>(b))) != reinterpret<u32>(exp_f32(reinterpret<f32>(b)))) differ++;
      checked += 4;
    }
    expect<i32>(checked).toBeGreaterThan(10_000_000);
    expect<i32>(differ).toBe(0);
    expect<f32>(exp_nonpos_f32(0.0)).toBe(1.0);
    expect<f32>(exp_nonpos_f32(-0.0)).toBe(1.0);
    expect<f32>(f32x4.extract_lane(exp_nonpos_f32x4(f32x4(0.0, -0.0, 0.0, -0.0)), 1)).toBe(1.0);
  });

  it("-Infinity and x below ln(FLT_MIN) flush to +0", () => {
    const cases: StaticArray<f32> = [-Infinity, -87.34, -103.0, -1.0e30, -F32.MAX_VALUE];
    for (let i = 0; i < cases.length; i++) {
      const x = cases[i];
      expect<u32>(reinterpret<u32>(exp_nonpos_f32(x))).toBe(0, "scalar exp_nonpos(" + x.toString() + ")");
      const y = exp_nonpos_f32x4(f32x4.splat(x));
      expect<bool>(v128.any_true(y)).toBe(false, "simd exp_nonpos(" + x.toString() + ")");
    }
  });
});
