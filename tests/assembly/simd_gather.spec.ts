import { gather4, notFinite4 } from "../../assembly/simd_gather";

// gather4(p, sc): lane j = the f32 at byte address p + j*sc. The sc == 8 path loads 32 bytes
// from p, so the source buffer keeps slack after the last float a test reads.

const NF: i32 = 64; // floats in the source buffer
const src = memory.data(NF * 4 + 32, 16);
/** Scratch space for moving lanes out of a v128. */
const lanes = memory.data(16, 16);

function fillSource(): void {
  for (let i = 0; i < NF; i++) store<f32>(src + (<usize>i << 2), <f32>i * 1.25 - 17.5);
  // Slack after the floats: NaN, so a lane that wrongly reads it shows up.
  for (let i = 0; i < 8; i++) store<f32>(src + (<usize>(NF + i) << 2), NaN);
}

function lane(v: v128, j: i32): f32 {
  v128.store(lanes, v);
  return load<f32>(lanes + (<usize>j << 2));
}

function laneBits(v: v128, j: i32): u32 {
  v128.store(lanes, v);
  return load<u32>(lanes + (<usize>j << 2));
}

// Constant strides, as in the inlined kernels (the branches fold away)...
// @ts-ignore: decorator
@inline function gatherConst4(p: usize): v128 { return gather4(p, 4); }
// @ts-ignore: decorator
@inline function gatherConst8(p: usize): v128 { return gather4(p, 8); }
// @ts-ignore: decorator
@inline function gatherConst12(p: usize): v128 { return gather4(p, 12); }
/** ...and the stride as a run-time value (no constant folding). */
function gatherDyn(p: usize, sc: usize): v128 { return gather4(p, sc); }

let mismatches: i32 = 0;
let checks: i32 = 0;

function check(v: v128, p: usize, sc: usize): void {
  for (let j = 0; j < 4; j++) {
    let want = load<u32>(p + <usize>j * sc);
    if (laneBits(v, j) != want) mismatches++;
    checks++;
  }
}

describe("gather4", () => {
  it("sc = 4: four contiguous floats, every start offset", () => {
    fillSource();
    mismatches = 0; checks = 0;
    for (let i = 0; i + 4 <= NF; i++) {
      let p = src + (<usize>i << 2); // includes starts that are not 16-byte aligned
      check(gatherConst4(p), p, 4);
      check(gatherDyn(p, 4), p, 4);
    }
    expect<i32>(checks).toBe(2 * 4 * (NF - 3));
    expect<i32>(mismatches).toBe(0);
    // Spot check by value.
    let v = gatherConst4(src + 8);
    expect<f32>(lane(v, 0)).toBe(<f32>2 * 1.25 - 17.5);
    expect<f32>(lane(v, 3)).toBe(<f32>5 * 1.25 - 17.5);
  });

  it("sc = 8: even floats of eight, every start offset", () => {
    fillSource();
    mismatches = 0; checks = 0;
    for (let i = 0; i + 8 <= NF; i++) {
      let p = src + (<usize>i << 2);
      check(gatherConst8(p), p, 8);
      check(gatherDyn(p, 8), p, 8);
    }
    expect<i32>(checks).toBe(2 * 4 * (NF - 7));
    expect<i32>(mismatches).toBe(0);
    // The last group: lane 3 is float NF-2; the slack (NaN) is loaded but not used.
    let v = gatherConst8(src + (<usize>(NF - 8) << 2));
    expect<f32>(lane(v, 3)).toBe(<f32>(NF - 2) * 1.25 - 17.5);
    expect<bool>(isNaN(lane(v, 0))).toBe(false);
    expect<f32>(lane(v, 1)).toBe(<f32>(NF - 6) * 1.25 - 17.5);
  });

  it("sc = 12, 16, 20 and 28: generic lane-by-lane path", () => {
    fillSource();
    mismatches = 0; checks = 0;
    for (let i = 0; i + 10 <= NF; i++) {
      let p = src + (<usize>i << 2);
      check(gatherConst12(p), p, 12);
      check(gatherDyn(p, 12), p, 12);
      if (i + 13 <= NF) check(gatherDyn(p, 16), p, 16);
      if (i + 16 <= NF) check(gatherDyn(p, 20), p, 20);
      if (i + 22 <= NF) check(gatherDyn(p, 28), p, 28);
    }
    expect<i32>(checks).toBeGreaterThan(4 * 4 * 40);
    expect<i32>(mismatches).toBe(0);
    let v = gatherConst12(src);
    expect<f32>(lane(v, 0)).toBe(-17.5);
    expect<f32>(lane(v, 1)).toBe(<f32>3 * 1.25 - 17.5);
    expect<f32>(lane(v, 2)).toBe(<f32>6 * 1.25 - 17.5);
    expect<f32>(lane(v, 3)).toBe(<f32>9 * 1.25 - 17.5);
  });

  it("moves bit patterns unchanged (NaN payloads, -0, subnormals)", () => {
    store<u32>(src, 0x7fc12345);
    store<u32>(src + 4, 0x80000000);
    store<u32>(src + 8, 0x00000001);
    store<u32>(src + 12, 0xff800000);
    store<u32>(src + 16, 0x807fffff);
    store<u32>(src + 20, 0xffc00001);
    store<u32>(src + 24, 0x7f7fffff);
    store<u32>(src + 28, 0x00800000);
    for (let i = 32; i < 96; i += 4) store<f32>(src + i, 0);
    let a = gatherConst4(src);
    expect<u32>(laneBits(a, 0)).toBe(0x7fc12345);
    expect<u32>(laneBits(a, 1)).toBe(0x80000000);
    expect<u32>(laneBits(a, 2)).toBe(0x00000001);
    expect<u32>(laneBits(a, 3)).toBe(0xff800000);
    let b = gatherConst8(src + 4);
    expect<u32>(laneBits(b, 0)).toBe(0x80000000);
    expect<u32>(laneBits(b, 1)).toBe(0xff800000);
    expect<u32>(laneBits(b, 2)).toBe(0xffc00001);
    expect<u32>(laneBits(b, 3)).toBe(0x00800000);
    let c = gatherDyn(src, 12);
    expect<u32>(laneBits(c, 0)).toBe(0x7fc12345);
    expect<u32>(laneBits(c, 1)).toBe(0xff800000);
    expect<u32>(laneBits(c, 2)).toBe(0x7f7fffff);
    expect<u32>(laneBits(c, 3)).toBe(0);
  });
});

/** notFinite4 with x in lane `j` and finite fillers elsewhere; returns the mask of all four lanes. */
function maskWith(x: f32, j: i32): v128 {
  v128.store(lanes, f32x4(1.5, -2.0, 0.0, 3.0e20));
  store<f32>(lanes + (<usize>j << 2), x);
  return notFinite4(v128.load(lanes));
}

function expectLane(x: f32, want: bool, what: string): void {
  for (let j = 0; j < 4; j++) {
    let m = maskWith(x, j);
    for (let k = 0; k < 4; k++) {
      let bits = laneBits(m, k);
      let expected: u32 = k == j && want ? 0xffffffff : 0;
      expect<u32>(bits).toBe(expected, what + ": lane " + k.toString() + " with x in lane " + j.toString());
    }
  }
}

describe("notFinite4", () => {
  it("NaN and ±Infinity lanes are true (all ones)", () => {
    expectLane(NaN, true, "NaN");
    expectLane(-NaN, true, "-NaN");
    expectLane(reinterpret<f32>(<u32>0x7f800001), true, "signalling NaN");
    expectLane(reinterpret<f32>(<u32>0xffffffff), true, "NaN 0xffffffff");
    expectLane(Infinity, true, "+Infinity");
    expectLane(-Infinity, true, "-Infinity");
  });

  it("finite lanes are false: ±0, subnormals, FLT_MIN, ±FLT_MAX, ordinary values", () => {
    expectLane(0.0, false, "+0");
    expectLane(-0.0, false, "-0");
    expectLane(reinterpret<f32>(<u32>1), false, "min subnormal");
    expectLane(reinterpret<f32>(<u32>0x807fffff), false, "-max subnormal");
    expectLane(reinterpret<f32>(<u32>0x00800000), false, "FLT_MIN");
    expectLane(F32.MAX_VALUE, false, "FLT_MAX");
    expectLane(-F32.MAX_VALUE, false, "-FLT_MAX");
    expectLane(3.0e38, false, "3e38");
    expectLane(-1.0, false, "-1");
    expectLane(1.0e-30, false, "1e-30");
  });

  it("mixed vector", () => {
    let m = notFinite4(f32x4(Infinity, F32.MAX_VALUE, NaN, -0.0));
    expect<u32>(laneBits(m, 0)).toBe(0xffffffff);
    expect<u32>(laneBits(m, 1)).toBe(0);
    expect<u32>(laneBits(m, 2)).toBe(0xffffffff);
    expect<u32>(laneBits(m, 3)).toBe(0);
    expect<bool>(v128.any_true(notFinite4(f32x4(1, 2, -F32.MAX_VALUE, 0)))).toBe(false);
    expect<bool>(v128.any_true(notFinite4(f32x4(1, 2, 3, -Infinity)))).toBe(true);
  });
});
