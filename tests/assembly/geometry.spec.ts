import { interiorStart, interiorEnd } from "../../assembly/pool_geometry";

// Interior/edge split of one output row: interiorStart/interiorEnd must give exactly the
// output columns ow in [0, OW) whose window [ow*sW - pW, ow*sW - pW + kW) lies inside [0, W).
// Checked against a brute-force loop over every ow, for PyTorch-valid geometries
// (pW <= kW/2, output size >= 1) in floor and ceil mode.

/** PyTorch's pooled size (same as js/validate.ts pooledSize), in f64 so that floor of a negative works. */
function pooledSize(W: i32, k: i32, s: i32, p: i32, ceilMode: bool): i32 {
  let out = <i32>Math.floor(<f64>(W + 2 * p - k + (ceilMode ? s - 1 : 0)) / <f64>s) + 1;
  if (ceilMode && out > 0 && (out - 1) * s >= W + p) out -= 1;
  return out;
}

// Running tallies of a sweep (module globals: no allocation inside the loops).
let combos: i32 = 0;
let withPadding: i32 = 0;
let kernelWider: i32 = 0;
let strideWider: i32 = 0;
let emptyInterior: i32 = 0;
let ceilDiffers: i32 = 0;
let badStart: i32 = 0;
let badEnd: i32 = 0;
let badEmpty: i32 = 0;
let badCover: i32 = 0;
let badWindow: i32 = 0;
let firstBad: string = "";

function noteBad(W: i32, k: i32, s: i32, p: i32, OW: i32, what: string): void {
  if (firstBad.length == 0) {
    firstBad = what + " at W=" + W.toString() + " kW=" + k.toString() + " sW=" + s.toString() +
      " pW=" + p.toString() + " OW=" + OW.toString() +
      " start=" + interiorStart(s, p).toString() + " end=" + interiorEnd(W, OW, k, s, p).toString();
  }
}

function checkCombo(W: i32, k: i32, s: i32, p: i32, OW: i32): void {
  combos++;
  if (p > 0) withPadding++;
  if (k > W) kernelWider++;
  if (s > k) strideWider++;
  // Brute force: the (contiguous) set of ow whose window is fully inside.
  let first = -1, last = -1, count = 0;
  for (let ow = 0; ow < OW; ow++) {
    let c0 = ow * s - p;
    if (c0 >= 0 && c0 + k <= W) {
      if (first < 0) first = ow;
      last = ow;
      count++;
    }
    // Every window of a PyTorch-sized output overlaps the input (the edge loops rely on it).
    if (min(c0 + k, W) - max(c0, 0) < 1) { badWindow++; noteBad(W, k, s, p, OW, "empty window"); }
  }
  if (count > 0 && count != last - first + 1) { badCover++; noteBad(W, k, s, p, OW, "non-contiguous"); }
  let lo = interiorStart(s, p);
  let end = interiorEnd(W, OW, k, s, p);
  let hi = max(end, lo); // callers clamp the end to >= start
  if (count > 0) {
    if (lo != first) { badStart++; noteBad(W, k, s, p, OW, "start"); }
    if (end != last + 1) { badEnd++; noteBad(W, k, s, p, OW, "end"); }
  } else {
    emptyInterior++;
    if (hi != lo) { badEmpty++; noteBad(W, k, s, p, OW, "non-empty range for no interior"); }
  }
  if (end > OW || end < 0 || lo < 0) { badEnd++; noteBad(W, k, s, p, OW, "out of [0, OW]"); }
  // The callers' three ranges [0, min(lo, OW)), [lo, hi), [hi, OW) cover [0, OW) exactly once.
  for (let ow = 0; ow < OW; ow++) {
    let n = 0;
    if (ow < min(lo, OW)) n++;
    if (ow >= lo && ow < hi) n++;
    if (ow >= hi && ow < OW) n++;
    if (n != 1) { badCover++; noteBad(W, k, s, p, OW, "cover"); break; }
  }
}

function sweep(maxW: i32, ceilMode: bool): void {
  for (let W = 1; W <= maxW; W++) {
    for (let k = 1; k <= W + 4; k++) {
      for (let s = 1; s <= k + 3; s++) {
        for (let p = 0; p <= k / 2; p++) {
          let OW = pooledSize(W, k, s, p, ceilMode);
          if (OW < 1) continue; // PyTorch rejects these
          if (ceilMode && OW != pooledSize(W, k, s, p, false)) ceilDiffers++;
          checkCombo(W, k, s, p, OW);
        }
      }
    }
  }
}

function expectClean(): void {
  if (firstBad.length > 0) log<string>("first failure: " + firstBad);
  expect<i32>(badStart).toBe(0, "interiorStart != first interior column");
  expect<i32>(badEnd).toBe(0, "interiorEnd != last interior column + 1");
  expect<i32>(badEmpty).toBe(0, "clamped range not empty when no window is interior");
  expect<i32>(badCover).toBe(0, "edge/interior ranges do not partition [0, OW)");
  expect<i32>(badWindow).toBe(0, "a window outside the input (bad test geometry)");
}

function resetTallies(): void {
  combos = 0; withPadding = 0; kernelWider = 0; strideWider = 0; emptyInterior = 0; ceilDiffers = 0;
  badStart = 0; badEnd = 0; badEmpty = 0; badCover = 0; badWindow = 0; firstBad = "";
}

describe("pooledSize (test helper)", () => {
  it("matches PyTorch on known cases", () => {
    expect<i32>(pooledSize(5, 2, 2, 0, false)).toBe(2);
    expect<i32>(pooledSize(5, 2, 2, 0, true)).toBe(3);
    expect<i32>(pooledSize(4, 3, 2, 1, false)).toBe(2);
    expect<i32>(pooledSize(1, 3, 1, 1, false)).toBe(1);
    expect<i32>(pooledSize(1, 5, 1, 2, true)).toBe(1);
    expect<i32>(pooledSize(2, 3, 3, 1, true)).toBe(1); // last window would start in the right padding
    expect<i32>(pooledSize(1, 4, 1, 1, false)).toBe(0); // kernel exceeds the padded input
  });
});

describe("interiorStart / interiorEnd", () => {
  it("hand-checked cases", () => {
    // W=8, k=3, s=1, p=1: OW=8, windows at -1..6; interior ow = 1..6.
    expect<i32>(interiorStart(1, 1)).toBe(1);
    expect<i32>(interiorEnd(8, 8, 3, 1, 1)).toBe(7);
    // W=7, k=2, s=2, p=0: OW=3 (floor), interior 0..2; ceil mode OW=4, last window [6,8) clipped.
    expect<i32>(interiorStart(2, 0)).toBe(0);
    expect<i32>(interiorEnd(7, 3, 2, 2, 0)).toBe(3);
    expect<i32>(interiorEnd(7, 4, 2, 2, 0)).toBe(3);
    // W=10, k=5, s=3, p=2: OW=4, windows start -2, 1, 4, 7(->12 > 10): interior ow = 1..2.
    expect<i32>(interiorStart(3, 2)).toBe(1);
    expect<i32>(interiorEnd(10, 4, 5, 3, 2)).toBe(3);
    // Stride wider than the kernel: W=10, k=2, s=3, p=1: OW=4, starts -1, 2, 5, 8: interior 1..3.
    expect<i32>(interiorStart(3, 1)).toBe(1);
    expect<i32>(interiorEnd(10, 4, 2, 3, 1)).toBe(4);
    // Kernel wider than the input: no interior; the end (1) is below the start (2), callers clamp.
    expect<i32>(interiorEnd(2, 3, 4, 1, 2)).toBe(1);
    expect<i32>(interiorStart(1, 2)).toBe(2);
    // The end never exceeds OW even when the window fit allows more (a defensive clamp: with
    // PyTorch's OW, floor((W + pW - kW) / sW) + 1 <= OW always holds).
    expect<i32>(interiorEnd(10, 2, 2, 1, 0)).toBe(2);
    expect<i32>(max(interiorEnd(1, 1, 5, 1, 2), interiorStart(1, 2))).toBe(interiorStart(1, 2));
  });

  it("match a brute-force loop over ow, floor mode (W <= 24)", () => {
    resetTallies();
    sweep(24, false);
    log<string>(
      "floor mode: " + combos.toString() + " combos, " + withPadding.toString() + " padded, " +
      kernelWider.toString() + " kernel > W, " + strideWider.toString() + " stride > kernel, " +
      emptyInterior.toString() + " without interior",
    );
    expect<i32>(combos).toBeGreaterThan(5000);
    expect<i32>(withPadding).toBeGreaterThan(1000);
    expect<i32>(kernelWider).toBeGreaterThan(10);
    expect<i32>(strideWider).toBeGreaterThan(1000);
    expect<i32>(emptyInterior).toBeGreaterThan(10);
    expectClean();
  });

  it("match a brute-force loop over ow, ceil mode (W <= 24)", () => {
    resetTallies();
    sweep(24, true);
    log<string>(
      "ceil mode: " + combos.toString() + " combos, " + ceilDiffers.toString() + " with OW != floor-mode OW, " +
      emptyInterior.toString() + " without interior",
    );
    expect<i32>(combos).toBeGreaterThan(5000);
    expect<i32>(ceilDiffers).toBeGreaterThan(1000);
    expect<i32>(kernelWider).toBeGreaterThan(10);
    expectClean();
  });

  it("larger widths and strides (sampled)", () => {
    resetTallies();
    const Ws: StaticArray<i32> = [31, 64, 100, 127, 513, 1000];
    const ks: StaticArray<i32> = [1, 2, 3, 4, 5, 7, 8, 11, 16, 33];
    for (let i = 0; i < Ws.length; i++) for (let j = 0; j < ks.length; j++) {
      let W = Ws[i], k = ks[j];
      for (let s = 1; s <= k + 5; s++) for (let p = 0; p <= k / 2; p++) {
        for (let c = 0; c < 2; c++) {
          let OW = pooledSize(W, k, s, p, c == 1);
          if (OW >= 1) checkCombo(W, k, s, p, OW);
        }
      }
    }
    expect<i32>(combos).toBeGreaterThan(1000);
    expectClean();
  });
});
