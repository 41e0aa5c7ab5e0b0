import { windowPivotF32, softpoolWindowF32, softpoolWindowBwdF32 } from "../../assembly/window_f32";
import { softpoolWindowF64, softpoolWindowBwdF64 } from "../../assembly/window_f64";

// One SoftPool window = a box of nd × nr × nc floats at byte address p with byte strides
// sd, sr, sc. Every window here sits inside a larger row-major DEPTH × ROWS × COLS buffer,
// with element steps (ds, rs, cs) >= 1, so strides skip elements and other cells surround
// the window. Input cells outside the window hold NaN (a stray read poisons
// the result); gradient cells outside the window hold SENTINEL and must stay bit-identical.

const DEPTH = 3;
const ROWS = 8;
const COLS = 16;
const NCELLS = DEPTH * ROWS * COLS;
const MAXN = 30; // 2 × 3 × 5

const X = memory.data(NCELLS * 4, 16);
const G = memory.data(NCELLS * 4, 16);
const SENTINEL: f32 = 12345.0;
const BETAS: StaticArray<f64> = [0, 0.5, 1, 4, -1];
const FLT_MAX: f32 = F32.MAX_VALUE;

// ---------------------------------------------------------------------------------------
// The current window

let nd = 1, nr = 1, nc = 1; // shape
let ds = 1, rs = 1, cs = 1; // element steps
let d0 = 0, r0 = 0, c0 = 0; // origin cell

function setWindow(_nd: i32, _nr: i32, _nc: i32, _ds: i32, _rs: i32, _cs: i32, _d0: i32, _r0: i32, _c0: i32): void {
  nd = _nd; nr = _nr; nc = _nc; ds = _ds; rs = _rs; cs = _cs; d0 = _d0; r0 = _r0; c0 = _c0;
  assert(d0 + (nd - 1) * ds < DEPTH && r0 + (nr - 1) * rs < ROWS && c0 + (nc - 1) * cs < COLS, "window outside buffer");
}

function count(): i32 { return nd * nr * nc; }
function sdB(): usize { return <usize>(ds * ROWS * COLS) << 2; }
function srB(): usize { return <usize>(rs * COLS) << 2; }
function scB(): usize { return <usize>cs << 2; }

/** Byte offset (from the buffer start) of window element i, row-major over (d, r, c). */
function offOf(i: i32): usize {
  let c = i % nc, r = (i / nc) % nr, d = i / (nc * nr);
  return <usize>(((d0 + d * ds) * ROWS + r0 + r * rs) * COLS + c0 + c * cs) << 2;
}

function xAt(i: i32): f32 { return load<f32>(X + offOf(i)); }

function fwd32(beta: f64): f32 {
  return softpoolWindowF32(X + offOf(0), nd, nr, nc, sdB(), srB(), scB(), <f32>beta);
}
function fwd64(beta: f64): f64 {
  return softpoolWindowF64(X + offOf(0), nd, nr, nc, sdB(), srB(), scB(), beta);
}
function pivot32(beta: f32): f32 {
  return windowPivotF32(X + offOf(0), nd, nr, nc, sdB(), srB(), scB(), beta);
}
function bwd32(beta: f64, g: f64): f64 {
  return softpoolWindowBwdF32(X + offOf(0), G + offOf(0), nd, nr, nc, sdB(), srB(), scB(), <f32>beta, <f32>g);
}
function bwd64(beta: f64, g: f64, addGrad: bool): f64 {
  return softpoolWindowBwdF64(X + offOf(0), G + offOf(0), nd, nr, nc, sdB(), srB(), scB(), beta, g, addGrad);
}

/** Input buffer all NaN, then the window's cells set to vals (vals.length == count()). */
function placeVals(vals: StaticArray<f32>): void {
  assert(vals.length == count());
  for (let i = 0; i < NCELLS; i++) store<f32>(X + (<usize>i << 2), NaN);
  for (let i = 0; i < vals.length; i++) store<f32>(X + offOf(i), vals[i]);
}

/** Gradient buffer all SENTINEL, the window's cells 0. */
function prepGrad(): void {
  for (let i = 0; i < NCELLS; i++) store<f32>(G + (<usize>i << 2), SENTINEL);
  for (let i = 0; i < count(); i++) store<f32>(G + offOf(i), 0);
}

/**
 * Copies the window's gradient cells into out, resets them to SENTINEL, and returns how many
 * cells of the whole gradient buffer then differ from SENTINEL (writes outside the window).
 */
function takeGrad(out: StaticArray<f64>): i32 {
  for (let i = 0; i < count(); i++) {
    out[i] = <f64>load<f32>(G + offOf(i));
    store<f32>(G + offOf(i), SENTINEL);
  }
  let bad = 0;
  for (let i = 0; i < NCELLS; i++) if (load<u32>(G + (<usize>i << 2)) != reinterpret<u32>(SENTINEL)) bad++;
  return bad;
}

// Fixed layouts for the special-value tests: element i of a value list goes to window element i.
const NLAYOUT = 7;

function tryLayout(n: i32, v: i32): bool {
  if (v == 0) { if (n > 15) return false; setWindow(1, 1, n, 1, 1, 1, 1, 2, 1); return true; }
  if (v == 1) { if (n > 7) return false; setWindow(1, n, 1, 1, 1, 1, 2, 1, 5); return true; }
  if (v == 2) { if (n > 5) return false; setWindow(1, 1, n, 1, 1, 3, 0, 7, 2); return true; }
  if (v == 3) { if (n % 2 != 0 || n > 14) return false; setWindow(2, 1, n / 2, 2, 1, 2, 0, 4, 3); return true; }
  if (v == 4) { if (n % 2 != 0 || n > 14) return false; setWindow(1, 2, n / 2, 1, 3, 2, 1, 4, 1); return true; }
  if (v == 5) { if (n % 3 != 0 || n > 45) return false; setWindow(1, 3, n / 3, 1, 2, 1, 2, 1, 0); return true; }
  if (v == 6) { if (n % 6 != 0 || n > 30) return false; setWindow(2, 3, n / 6, 1, 2, 3, 1, 0, 0); return true; }
  return false;
}

// ---------------------------------------------------------------------------------------
// xorshift32 PRNG and random windows

let rng: u32 = 0x9e3779b9;
function nextU32(): u32 {
  let s = rng;
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  rng = s;
  return s;
}
/** Uniform in [0, 1). */
function rnd(): f64 { return <f64>(nextU32() >> 8) / 16777216.0; }
function rndInt(n: i32): i32 { return <i32>(rnd() * <f64>n); }

/** A random shape (1..2 × 1..3 × 1..5), random element steps and a random origin. */
function randomLayout(): void {
  let _nd = 1 + rndInt(2), _nr = 1 + rndInt(3), _nc = 1 + rndInt(5);
  let _ds = _nd > 1 ? 1 + rndInt(2) : 1 + rndInt(3);
  let _rs = _nr > 1 ? 1 + rndInt((ROWS - 1) / (_nr - 1) < 3 ? (ROWS - 1) / (_nr - 1) : 3) : 1 + rndInt(3);
  let _cs = 1 + rndInt(3);
  let _d0 = rndInt(DEPTH - (_nd - 1) * _ds);
  let _r0 = rndInt(ROWS - (_nr - 1) * _rs);
  let _c0 = rndInt(COLS - (_nc - 1) * _cs);
  setWindow(_nd, _nr, _nc, _ds, _rs, _cs, _d0, _r0, _c0);
}

/**
 * Random finite window values. mode 0: uniform in [-scale, scale]; 1: a cluster (random centre,
 * spread scale*1e-3); 2: small integers -2..2 (ties, equal windows); 3: random sign, magnitudes
 * from scale down to scale*2^-24.
 */
function randomVals(mode: i32, scale: f64): void {
  for (let i = 0; i < NCELLS; i++) store<f32>(X + (<usize>i << 2), NaN);
  let centre = (2 * rnd() - 1) * scale;
  for (let i = 0; i < count(); i++) {
    let v: f64;
    if (mode == 0) v = (2 * rnd() - 1) * scale;
    else if (mode == 1) v = centre + (2 * rnd() - 1) * scale * 1e-3;
    else if (mode == 2) v = <f64>(rndInt(5) - 2);
    else v = (rnd() < 0.5 ? -scale : scale) * Math.pow(2, -24 * rnd());
    store<f32>(X + offOf(i), <f32>v);
  }
}

// ---------------------------------------------------------------------------------------
// Float64 reference from the definition (finite windows): w_i = exp(beta*x_i) / sum_j exp(beta*x_j)
// (evaluated shifted by the max of beta*x), y = sum w_i x_i, dy/dx_i = w_i (1 + beta (x_i - y)),
// dy/dbeta = sum w_i (x_i - y)^2.

const refW = new StaticArray<f64>(MAXN);
const refGrad = new StaticArray<f64>(MAXN);
const got32 = new StaticArray<f64>(MAXN);
const got64 = new StaticArray<f64>(MAXN);
let refY: f64 = 0;
let refGB: f64 = 0;
let refM: f64 = 0; // max(1, max |x|)
let refMaxGrad: f64 = 0;

function reference(beta: f64, g: f64): void {
  let n = count();
  let top = -Infinity;
  refM = 1;
  for (let i = 0; i < n; i++) {
    let x = <f64>xAt(i);
    top = Math.max(top, beta * x);
    refM = Math.max(refM, Math.abs(x));
  }
  let s = 0.0;
  for (let i = 0; i < n; i++) {
    refW[i] = Math.exp(beta * <f64>xAt(i) - top);
    s += refW[i];
  }
  let y = 0.0;
  for (let i = 0; i < n; i++) {
    refW[i] /= s;
    y += refW[i] * <f64>xAt(i);
  }
  refY = y;
  let gb = 0.0;
  refMaxGrad = 0;
  for (let i = 0; i < n; i++) {
    let u = <f64>xAt(i) - y;
    refGrad[i] = g * refW[i] * (1 + beta * u);
    refMaxGrad = Math.max(refMaxGrad, Math.abs(refGrad[i]));
    gb += refW[i] * u * u;
  }
  refGB = g * gb;
}

/** The reference pooled value of a finite value list, in the first layout that fits. */
function refForward(vals: StaticArray<f32>, beta: f64): f64 {
  for (let v = 0; v < NLAYOUT; v++) {
    if (tryLayout(vals.length, v)) {
      placeVals(vals);
      reference(beta, 1);
      return refY;
    }
  }
  return NaN;
}

// ---------------------------------------------------------------------------------------
// Special-value forward checks, run over every layout that fits the value list.

function bitsEqual32(a: f32, b: f32): bool { return reinterpret<u32>(a) == reinterpret<u32>(b); }

/**
 * Both forward paths give `want`: NaN as NaN, infinities and `exact` values bit for bit (f32)
 * and exactly (f64), anything else within 1e-6 relative (f32 rounding of the f64 value).
 */
function expectFwd(vals: StaticArray<f32>, beta: f64, want: f64, exact: bool, what: string): void {
  let layouts = 0;
  for (let v = 0; v < NLAYOUT; v++) {
    if (!tryLayout(vals.length, v)) continue;
    layouts++;
    placeVals(vals);
    let y32 = fwd32(beta);
    let y64 = fwd64(beta);
    let ok32: bool, ok64: bool;
    if (isNaN(want)) {
      ok32 = isNaN(y32);
      ok64 = isNaN(y64);
    } else if (exact || !isFinite(want)) {
      ok32 = bitsEqual32(y32, <f32>want);
      ok64 = y64 == want && bitsEqual32(<f32>y64, <f32>want);
    } else {
      ok32 = isFinite(y32) && Math.abs(<f64>y32 - want) <= 1e-6 * Math.max(1, Math.abs(want));
      ok64 = Math.abs(y64 - want) <= 1e-12 * Math.max(1, Math.abs(want));
    }
    // Messages are built only on failure (number formatting is slow in AssemblyScript).
    let tag = ok32 && ok64 ? "" : what + " beta=" + beta.toString() + " layout " + v.toString() +
      ": want " + want.toString() + ", f32 got " + y32.toString() + ", f64 got " + y64.toString();
    expect<bool>(ok32).toBe(true, tag);
    expect<bool>(ok64).toBe(true, tag);
  }
  expect<i32>(layouts).toBeGreaterThan(0, what + ": no layout");
}

// ---------------------------------------------------------------------------------------
// Random-window sweeps

describe("windowPivotF32", () => {
  it("is the max for beta >= 0 (incl. -0), the min for beta < 0, on random windows", () => {
    rng = 0x12345678;
    let bad = 0;
    for (let trial = 0; trial < 3000; trial++) {
      randomLayout();
      randomVals(trial & 3, 100);
      let mx: f32 = -Infinity, mn: f32 = Infinity;
      for (let i = 0; i < count(); i++) { mx = max(mx, xAt(i)); mn = min(mn, xAt(i)); }
      if (pivot32(1) != mx || pivot32(0) != mx || pivot32(-0.0) != mx || pivot32(4) != mx) bad++;
      if (pivot32(-1) != mn || pivot32(-0.5) != mn) bad++;
    }
    expect<i32>(bad).toBe(0);
  });

  it("propagates NaN from any element; sees ±Infinity", () => {
    for (let n = 1; n <= 6; n++) {
      for (let pos = 0; pos < n; pos++) {
        const vals = new StaticArray<f32>(n);
        for (let i = 0; i < n; i++) vals[i] = <f32>i - 2;
        vals[pos] = NaN;
        for (let v = 0; v < NLAYOUT; v++) {
          if (!tryLayout(n, v)) continue;
          placeVals(vals);
          expect<bool>(isNaN(pivot32(1))).toBe(true, "max with NaN at " + pos.toString());
          expect<bool>(isNaN(pivot32(-1))).toBe(true, "min with NaN at " + pos.toString());
        }
      }
    }
    const inf: StaticArray<f32> = [1, Infinity, -Infinity, 2];
    tryLayout(4, 4);
    placeVals(inf);
    expect<f32>(pivot32(1)).toBe(Infinity);
    expect<f32>(pivot32(-1)).toBe(-Infinity);
  });
});

describe("softpoolWindowF32 vs softpoolWindowF64 on random windows", () => {
  it("agree within 1e-5 * max(1, max|x|), match the definition, stay within [min, max]", () => {
    rng = 0xdeadbeef;
    const scales: StaticArray<f64> = [1, 10, 1000, 1e6];
    let windows = 0, bad32 = 0, bad64 = 0, outside = 0, nonFinite = 0;
    let worst32: f64 = 0, worst64: f64 = 0;
    let firstBad = "";
    for (let b = 0; b < BETAS.length; b++) {
      let beta = BETAS[b];
      for (let trial = 0; trial < 3000; trial++) {
        randomLayout();
        let mode = trial & 3;
        let scale = scales[(trial >> 2) & 3];
        randomVals(mode, scale);
        reference(beta, 1);
        let y32 = fwd32(beta);
        let y64 = fwd64(beta);
        let e32 = Math.abs(<f64>y32 - y64) / refM;
        let e64 = Math.abs(y64 - refY) / refM;
        if (!(e32 <= worst32)) worst32 = e32;
        if (!(e64 <= worst64)) worst64 = e64;
        if (!isFinite(y32) || !isFinite(y64)) nonFinite++;
        if (!(e32 <= 1e-5)) {
          bad32++;
          if (firstBad.length == 0) firstBad = "f32 " + y32.toString() + " vs f64 " + y64.toString() + " beta " + beta.toString();
        }
        if (!(e64 <= 1e-12)) bad64++;
        let lo: f32 = Infinity, hi: f32 = -Infinity;
        for (let i = 0; i < count(); i++) { lo = min(lo, xAt(i)); hi = max(hi, xAt(i)); }
        if (!(y32 >= lo && y32 <= hi) || !(y64 >= <f64>lo && y64 <= <f64>hi)) outside++;
        windows++;
      }
    }
    log<string>(
      windows.toString() + " windows: max |f32 - f64| / max(1, max|x|) = " + worst32.toString() +
      ", max |f64 - definition| / max(1, max|x|) = " + worst64.toString(),
    );
    if (firstBad.length > 0) log<string>("first f32 mismatch: " + firstBad);
    expect<i32>(windows).toBe(15000);
    expect<i32>(nonFinite).toBe(0);
    expect<i32>(bad32).toBe(0, "f32 path off by more than 1e-5 * max(1, max|x|)");
    expect<i32>(bad64).toBe(0, "f64 path off the definition by more than 1e-12 * max(1, max|x|)");
    expect<i32>(outside).toBe(0, "pooled value outside [min, max] of the window");
  });
});

// ---------------------------------------------------------------------------------------
// Special values, forward

describe("forward special values (f32 and f64 paths)", () => {
  it("NaN anywhere in the window gives NaN, for every beta, also next to ±Infinity", () => {
    for (let n = 1; n <= 6; n++) {
      for (let pos = 0; pos < n; pos++) {
        const vals = new StaticArray<f32>(n);
        for (let i = 0; i < n; i++) vals[i] = <f32>(i * 3 % 5) - 1.5;
        vals[pos] = NaN;
        for (let b = 0; b < BETAS.length; b++) expectFwd(vals, BETAS[b], NaN, false, "NaN at " + pos.toString());
        if (n >= 3) {
          vals[(pos + 1) % n] = Infinity;
          vals[(pos + 2) % n] = -Infinity;
          for (let b = 0; b < BETAS.length; b++) expectFwd(vals, BETAS[b], NaN, false, "NaN with ±Inf");
        }
      }
    }
    const payload: StaticArray<f32> = [1, 2, reinterpret<f32>(<u32>0xffc00001), 4];
    for (let b = 0; b < BETAS.length; b++) expectFwd(payload, BETAS[b], NaN, false, "negative NaN with payload");
  });

  it("beta = 0 is the mean; +Inf with -Inf gives NaN", () => {
    const a: StaticArray<f32> = [1, 2, 3, 4];
    expectFwd(a, 0, 2.5, true, "mean 1..4");
    const b: StaticArray<f32> = [1, 2, 4];
    expectFwd(b, 0, 7.0 / 3.0, false, "mean 1,2,4");
    const c: StaticArray<f32> = [-7.5, 0.25, 3, 100, -20, 1];
    expectFwd(c, 0, (-7.5 + 0.25 + 3 + 100 - 20 + 1) / 6, false, "mean of 6");
    const pinf: StaticArray<f32> = [1, Infinity, 2];
    expectFwd(pinf, 0, Infinity, false, "mean with +Inf");
    const ninf: StaticArray<f32> = [-Infinity, 5];
    expectFwd(ninf, 0, -Infinity, false, "mean with -Inf");
    const both: StaticArray<f32> = [Infinity, -Infinity];
    expectFwd(both, 0, NaN, false, "mean of +Inf, -Inf");
    const both3: StaticArray<f32> = [Infinity, 1, -Infinity];
    expectFwd(both3, 0, NaN, false, "mean of +Inf, 1, -Inf");
    const infs: StaticArray<f32> = [Infinity, Infinity, Infinity, Infinity, Infinity, Infinity];
    expectFwd(infs, 0, Infinity, false, "mean of +Infs");
  });

  it("beta > 0: +Inf dominates, -Inf entries weigh 0, all -Inf gives -Inf", () => {
    const pos: StaticArray<f64> = [0.5, 1, 4];
    for (let b = 0; b < pos.length; b++) {
      let beta = pos[b];
      const p1: StaticArray<f32> = [1, Infinity, 2];
      expectFwd(p1, beta, Infinity, false, "+Inf present");
      const p2: StaticArray<f32> = [Infinity, -Infinity, 0, -FLT_MAX];
      expectFwd(p2, beta, Infinity, false, "+Inf and -Inf present");
      const p3: StaticArray<f32> = [Infinity, Infinity];
      expectFwd(p3, beta, Infinity, false, "all +Inf");
      const n1: StaticArray<f32> = [-Infinity, -Infinity, -Infinity];
      expectFwd(n1, beta, -Infinity, false, "all -Inf");
      const n0: StaticArray<f32> = [-Infinity];
      expectFwd(n0, beta, -Infinity, false, "single -Inf");
      const finite: StaticArray<f32> = [1.5, -2, 0.25];
      const withNeg: StaticArray<f32> = [-Infinity, 1.5, -2, -Infinity, 0.25, -Infinity];
      expectFwd(withNeg, beta, refForward(finite, beta), false, "-Inf entries weigh 0");
      const one: StaticArray<f32> = [-Infinity, 3];
      expectFwd(one, beta, 3, true, "-Inf next to one finite value");
    }
  });

  it("beta < 0 mirrors: -Inf dominates, +Inf entries weigh 0, all +Inf gives +Inf", () => {
    const neg: StaticArray<f64> = [-0.5, -1, -4];
    for (let b = 0; b < neg.length; b++) {
      let beta = neg[b];
      const p1: StaticArray<f32> = [1, -Infinity, 2];
      expectFwd(p1, beta, -Infinity, false, "-Inf present");
      const p2: StaticArray<f32> = [-Infinity, Infinity, 0, FLT_MAX];
      expectFwd(p2, beta, -Infinity, false, "-Inf and +Inf present");
      const n1: StaticArray<f32> = [Infinity, Infinity, Infinity];
      expectFwd(n1, beta, Infinity, false, "all +Inf");
      const finite: StaticArray<f32> = [1.5, -2, 0.25];
      const withPos: StaticArray<f32> = [Infinity, 1.5, -2, Infinity, 0.25, Infinity];
      expectFwd(withPos, beta, refForward(finite, beta), false, "+Inf entries weigh 0");
      const one: StaticArray<f32> = [3, Infinity];
      expectFwd(one, beta, 3, true, "+Inf next to one finite value");
    }
  });

  it("a window of equal values gives exactly that value (incl. 3e38, FLT_MAX, subnormals)", () => {
    const values: StaticArray<f32> = [
      0, 1, -1, <f32>(1.0 / 3.0), 123.456, -7.25e-3, 1e30, -1e30, 3e38, -3e38, FLT_MAX, -FLT_MAX,
      reinterpret<f32>(<u32>1), reinterpret<f32>(<u32>0x80400000), 1.1754943508222875e-38,
    ];
    const sizes: StaticArray<i32> = [1, 2, 3, 4, 5, 6, 12, 30];
    for (let k = 0; k < values.length; k++) {
      for (let s = 0; s < sizes.length; s++) {
        const vals = new StaticArray<f32>(sizes[s]);
        for (let i = 0; i < vals.length; i++) vals[i] = values[k];
        for (let b = 0; b < BETAS.length; b++) expectFwd(vals, BETAS[b], <f64>values[k], true, "equal " + values[k].toString());
      }
    }
  });

  it("a window of -0 stays -0 (sign bit kept) in the f32 path, for every beta", () => {
    const sizes: StaticArray<i32> = [1, 2, 3, 4, 6, 30];
    for (let s = 0; s < sizes.length; s++) {
      const vals = new StaticArray<f32>(sizes[s]);
      for (let i = 0; i < vals.length; i++) vals[i] = -0.0;
      for (let b = 0; b < BETAS.length; b++) {
        for (let v = 0; v < NLAYOUT; v++) {
          if (!tryLayout(vals.length, v)) continue;
          placeVals(vals);
          expect<u32>(reinterpret<u32>(fwd32(BETAS[b]))).toBe(0x80000000, "f32 n=" + sizes[s].toString() + " beta=" + BETAS[b].toString());
          // The f64 path is checked for beta != 0 only: with beta = 0 it returns the mean as
          // sum / n with sum starting at +0, so an all -0 window gives +0 there (never reached
          // from the kernels, which call it only for non-finite fast results).
          if (BETAS[b] != 0) {
            expect<u64>(reinterpret<u64>(fwd64(BETAS[b]))).toBe(0x8000000000000000, "f64 n=" + sizes[s].toString() + " beta=" + BETAS[b].toString());
          }
        }
      }
    }
  });

  it("huge finite mixed values (±3e38, ±FLT_MAX) give finite results that match the definition", () => {
    const cases = new StaticArray<StaticArray<f32>>(8);
    cases[6] = [1e38, -1e38];
    cases[7] = [-5e37, 1.5e38, 0, -1e38];
    cases[0] = [3e38, -3e38];
    cases[1] = [FLT_MAX, -FLT_MAX, 0];
    cases[2] = [3e38, -3e38, 1, -1];
    cases[3] = [-FLT_MAX, FLT_MAX, FLT_MAX, -FLT_MAX, 2e38, -1e38];
    cases[4] = [3e38, 2.9e38, -3e38];
    cases[5] = [1, -3e38, 2];
    for (let k = 0; k < cases.length; k++) {
      for (let b = 0; b < BETAS.length; b++) {
        let want = refForward(cases[k], BETAS[b]);
        expect<bool>(isFinite(want)).toBe(true);
        expectFwd(cases[k], BETAS[b], want, false, "huge case " + k.toString());
      }
    }
    // Spot values: the mean of ±3e38 is 0; with beta > 0 the -3e38 weighs exp(-6e38 * beta) = 0.
    tryLayout(2, 2);
    placeVals(cases[0]);
    expect<f32>(fwd32(0)).toBe(0);
    expect<f32>(fwd32(1)).toBe(3e38);
    expect<f32>(fwd32(-1)).toBe(-3e38);
  });
});

// ---------------------------------------------------------------------------------------
// Backward

describe("backward on random windows (f32 and f64 paths vs the definition)", () => {
  it("gradients, gradBeta, no writes outside the window, f64 addGrad=false leaves the box alone", () => {
    rng = 0xc0ffee11;
    const scales: StaticArray<f64> = [1, 10];
    let windows = 0;
    let badG32 = 0, badG64 = 0, badAgree = 0, badGB32 = 0, badGB64 = 0, badGBAgree = 0;
    let outside = 0, touched = 0, badNoAdd = 0;
    let worstG32: f64 = 0, worstGB32: f64 = 0;
    let firstBad = "";
    const noAdd = new StaticArray<u32>(MAXN);
    for (let b = 0; b < BETAS.length; b++) {
      let beta = BETAS[b];
      for (let trial = 0; trial < 1500; trial++) {
        randomLayout();
        randomVals(trial & 3, scales[(trial >> 2) & 1]);
        let g = <f64><f32>((rnd() < 0.5 ? -1.0 : 1.0) * (0.25 + 1.75 * rnd()));
        reference(beta, g);
        let n = count();

        prepGrad();
        let gb32 = bwd32(beta, g);
        outside += takeGrad(got32);
        prepGrad();
        let gb64 = bwd64(beta, g, true);
        outside += takeGrad(got64);

        for (let i = 0; i < n; i++) {
          let e32 = Math.abs(got32[i] - refGrad[i]) / refMaxGrad;
          if (!(e32 <= worstG32)) worstG32 = e32;
          if (!(e32 <= 1e-4)) {
            badG32++;
            if (firstBad.length == 0) {
              firstBad = "grad " + got32[i].toString() + " vs " + refGrad[i].toString() + " beta " + beta.toString() +
                " n " + n.toString();
            }
          }
          if (!(Math.abs(got64[i] - refGrad[i]) <= 1e-6 * refMaxGrad)) badG64++;
          if (!(Math.abs(got32[i] - got64[i]) <= 1e-4 * refMaxGrad)) badAgree++;
        }
        // gradBeta tolerance: 1e-5 relative, plus 1e-7 * |g| * max(1, max|x|)^2 for windows
        // where it nearly vanishes (clustered values: (x - y)^2 is then limited by f32 rounding).
        let gtol = Math.abs(g) * refM * refM;
        let e = Math.abs(gb32 - refGB) / (Math.abs(refGB) + 1e-2 * gtol);
        if (!(e <= worstGB32)) worstGB32 = e;
        if (!(e <= 1e-5)) {
          badGB32++;
          if (firstBad.length == 0) firstBad = "gradBeta " + gb32.toString() + " vs " + refGB.toString();
        }
        if (!(Math.abs(gb64 - refGB) <= 1e-9 * Math.abs(refGB) + 1e-12 * gtol)) badGB64++;
        if (!(Math.abs(gb32 - gb64) <= 1e-5 * (Math.abs(gb64) + 1e-2 * gtol))) badGBAgree++;

        // addGrad = false: random contents of the box stay bit for bit, same gradBeta.
        for (let i = 0; i < NCELLS; i++) store<f32>(G + (<usize>i << 2), SENTINEL);
        for (let i = 0; i < n; i++) {
          noAdd[i] = nextU32() & 0xbfffffff; // finite (exponent field <= 127), any sign
          store<u32>(G + offOf(i), noAdd[i]);
        }
        let gbNo = bwd64(beta, g, false);
        if (reinterpret<u64>(gbNo) != reinterpret<u64>(gb64)) badNoAdd++;
        for (let i = 0; i < n; i++) {
          if (load<u32>(G + offOf(i)) != noAdd[i]) touched++;
          store<f32>(G + offOf(i), SENTINEL);
        }
        for (let i = 0; i < NCELLS; i++) if (load<f32>(G + (<usize>i << 2)) != SENTINEL) touched++;
        windows++;
      }
    }
    log<string>(
      windows.toString() + " windows: max |grad32 - ref| / max|ref grad| = " + worstG32.toString() +
      ", max |gradBeta32 - ref| / (|ref| + 0.01 |g| max(1, max|x|)^2) = " + worstGB32.toString(),
    );
    if (firstBad.length > 0) log<string>("first failure: " + firstBad);
    expect<i32>(windows).toBe(7500);
    expect<i32>(badG32).toBe(0, "f32 gradients vs definition");
    expect<i32>(badG64).toBe(0, "f64 gradients vs definition");
    expect<i32>(badAgree).toBe(0, "f32 vs f64 gradients");
    expect<i32>(badGB32).toBe(0, "f32 gradBeta vs definition");
    expect<i32>(badGB64).toBe(0, "f64 gradBeta vs definition");
    expect<i32>(badGBAgree).toBe(0, "f32 vs f64 gradBeta");
    expect<i32>(outside).toBe(0, "gradient written outside the window");
    expect<i32>(touched).toBe(0, "addGrad=false modified the gradient buffer");
    expect<i32>(badNoAdd).toBe(0, "addGrad=false returned a different gradBeta");
  });

  it("adds into the gradient box instead of overwriting it", () => {
    rng = 0x0badf00d;
    let bad = 0, outside = 0;
    const pre = new StaticArray<f64>(MAXN);
    for (let trial = 0; trial < 500; trial++) {
      randomLayout();
      randomVals(0, 3);
      let beta = BETAS[trial % BETAS.length];
      let g: f64 = 0.75;
      reference(beta, g);
      for (let path = 0; path < 2; path++) {
        prepGrad();
        for (let i = 0; i < count(); i++) {
          pre[i] = <f64><f32>(4 * rnd() - 2);
          store<f32>(G + offOf(i), <f32>pre[i]);
        }
        if (path == 0) bwd32(beta, g); else bwd64(beta, g, true);
        outside += takeGrad(got32);
        for (let i = 0; i < count(); i++) {
          if (!(Math.abs(got32[i] - pre[i] - refGrad[i]) <= 1e-4 * refMaxGrad + 1e-6)) bad++;
        }
      }
    }
    expect<i32>(bad).toBe(0);
    expect<i32>(outside).toBe(0);
  });
});

/**
 * Runs both backward paths on vals (zeroed box) and checks the gradients against want (NaN
 * allowed) and the returned gradBeta against wantGB (NaN: must be NaN; else within gbRel relative).
 */
function expectBwd(vals: StaticArray<f32>, beta: f64, g: f64, want: StaticArray<f64>, wantGB: f64, what: string, gbRel: f64 = 0): void {
  let layouts = 0;
  for (let v = 0; v < NLAYOUT; v++) {
    if (!tryLayout(vals.length, v)) continue;
    layouts++;
    placeVals(vals);
    for (let path = 0; path < 2; path++) {
      let tag = what + " beta=" + beta.toString() + " layout " + v.toString() + (path == 0 ? " f32" : " f64");
      prepGrad();
      let gb = path == 0 ? bwd32(beta, g) : bwd64(beta, g, true);
      expect<i32>(takeGrad(got32)).toBe(0, tag + ": write outside the window");
      for (let i = 0; i < vals.length; i++) {
        if (isNaN(want[i])) {
          expect<bool>(isNaN(got32[i])).toBe(true, tag + " grad " + i.toString() + " NaN");
        } else {
          expect<f64>(got32[i]).toBeCloseTo(want[i], 6, tag + " grad " + i.toString());
        }
      }
      if (isNaN(wantGB)) expect<bool>(isNaN(gb)).toBe(true, tag + " gradBeta NaN");
      else expect<f64>(Math.abs(gb - wantGB)).toBeLessThanOrEqual(gbRel * Math.abs(wantGB), tag + " gradBeta " + gb.toString());
    }
    // f64 with addGrad = false: same gradBeta, the (zeroed) box stays zero.
    prepGrad();
    let gbNo = bwd64(beta, g, false);
    expect<i32>(takeGrad(got32)).toBe(0, what + ": addGrad=false wrote outside the window");
    let nonzero = 0;
    for (let i = 0; i < vals.length; i++) if (reinterpret<u64>(got32[i]) != 0) nonzero++;
    expect<i32>(nonzero).toBe(0, what + ": addGrad=false wrote into the window");
    if (isNaN(wantGB)) expect<bool>(isNaN(gbNo)).toBe(true, what + ": addGrad=false gradBeta NaN");
    else expect<f64>(Math.abs(gbNo - wantGB)).toBeLessThanOrEqual(gbRel * Math.abs(wantGB), what + ": addGrad=false gradBeta");
  }
  expect<i32>(layouts).toBeGreaterThan(0);
}

describe("backward special values (f32 and f64 paths)", () => {
  it("an infinite output gives g/k to its k infinite entries and returns gradBeta 0", () => {
    const g: f64 = 1.5;
    const betasPos: StaticArray<f64> = [0.5, 1, 4];
    for (let b = 0; b < 3; b++) {
      let beta = betasPos[b];
      const a: StaticArray<f32> = [Infinity, 1, Infinity, 2];
      const wa: StaticArray<f64> = [g / 2, 0, g / 2, 0];
      expectBwd(a, beta, g, wa, 0, "+Inf ×2");
      const c: StaticArray<f32> = [3, -Infinity, Infinity, 0, -2, 7];
      const wc: StaticArray<f64> = [0, 0, g, 0, 0, 0];
      expectBwd(c, beta, g, wc, 0, "+Inf with -Inf");
      const d: StaticArray<f32> = [-Infinity, -Infinity, -Infinity];
      const wd: StaticArray<f64> = [g / 3, g / 3, g / 3];
      expectBwd(d, beta, g, wd, 0, "all -Inf");
      // Mirror for beta < 0.
      const am: StaticArray<f32> = [-Infinity, 1, -Infinity, 2];
      expectBwd(am, -beta, g, wa, 0, "-Inf ×2");
      const cm: StaticArray<f32> = [3, Infinity, -Infinity, 0, -2, 7];
      expectBwd(cm, -beta, g, wc, 0, "-Inf with +Inf");
      const dm: StaticArray<f32> = [Infinity, Infinity, Infinity];
      expectBwd(dm, -beta, g, wd, 0, "all +Inf");
    }
  });

  it("beta = 0 with an infinite mean spreads g/n over the window (d mean / dx_i) and returns 0", () => {
    const g: f64 = -2.0;
    const a: StaticArray<f32> = [Infinity, 1, 2, 3];
    const wa: StaticArray<f64> = [g / 4, g / 4, g / 4, g / 4];
    expectBwd(a, 0, g, wa, 0, "mean +Inf");
  });

  it("infinite entries next to a finite output get gradient 0 (weight 0)", () => {
    const g: f64 = 1.0;
    const a: StaticArray<f32> = [-Infinity, 1, 2, -Infinity];
    const fin: StaticArray<f32> = [1, 2];
    refForward(fin, 1);
    const wa: StaticArray<f64> = [0, refGrad[0], refGrad[1], 0];
    let wgb = refGB;
    expect<f64>(wgb).toBeGreaterThan(0.1);
    expectBwd(a, 1, g, wa, wgb, "-Inf weigh 0", 1e-12);
    // Mirror: +Inf entries next to a finite output for beta < 0.
    const m: StaticArray<f32> = [Infinity, 1, 2, Infinity];
    refForward(fin, -1);
    const wm: StaticArray<f64> = [0, refGrad[0], refGrad[1], 0];
    expectBwd(m, -1, g, wm, refGB, "+Inf weigh 0", 1e-12);
  });

  it("a NaN window adds NaN to every entry and returns NaN", () => {
    for (let n = 1; n <= 6; n++) {
      for (let pos = 0; pos < n; pos++) {
        const vals = new StaticArray<f32>(n);
        const want = new StaticArray<f64>(n);
        for (let i = 0; i < n; i++) { vals[i] = <f32>i * 0.5 - 1; want[i] = NaN; }
        vals[pos] = NaN;
        for (let b = 0; b < BETAS.length; b++) expectBwd(vals, BETAS[b], 0.5, want, NaN, "NaN at " + pos.toString());
      }
    }
  });

  it("huge finite windows: gradients and gradBeta match the definition (f64 careful path)", () => {
    const cases = new StaticArray<StaticArray<f32>>(6);
    cases[0] = [3e38, -3e38];
    cases[1] = [FLT_MAX, -FLT_MAX, 0, 1];
    cases[2] = [1e20, -1e20];           // beta = 0: (x - y)^2 overflows f32, only gradBeta goes to f64
    cases[3] = [2e38, -1e38, 3e38, 5];
    cases[4] = [1e38, -1e38];           // x - m finite, beta*(x - m) overflows f32 for beta = 4
    cases[5] = [-5e37, 1.5e38, 0, -1e38];
    let checked = 0;
    for (let k = 0; k < cases.length; k++) {
      for (let b = 0; b < BETAS.length; b++) {
        let beta = BETAS[b], g: f64 = 0.5;
        refForward(cases[k], beta);
        reference(beta, g);
        const want = new StaticArray<f64>(cases[k].length);
        for (let i = 0; i < want.length; i++) want[i] = refGrad[i];
        let wantGB = refGB;
        for (let v = 0; v < NLAYOUT; v++) {
          if (!tryLayout(cases[k].length, v)) continue;
          placeVals(cases[k]);
          for (let path = 0; path < 2; path++) {
            let tag = "huge " + k.toString() + " beta=" + beta.toString() + (path == 0 ? " f32" : " f64");
            prepGrad();
            let gb = path == 0 ? bwd32(beta, g) : bwd64(beta, g, true);
            expect<i32>(takeGrad(got32)).toBe(0, tag + " write outside");
            for (let i = 0; i < want.length; i++) {
              expect<f64>(Math.abs(got32[i] - want[i])).toBeLessThanOrEqual(1e-6 * refMaxGrad, tag + " grad " + i.toString());
            }
            expect<bool>(isFinite(gb)).toBe(true, tag + " gradBeta finite");
            expect<f64>(Math.abs(gb - wantGB)).toBeLessThanOrEqual(1e-9 * Math.abs(wantGB), tag + " gradBeta");
            checked++;
          }
        }
      }
    }
    expect<i32>(checked).toBeGreaterThan(40);
    // The beta = 0 overflow case by hand: grads g/2 each, gradBeta = g * 1e40.
    tryLayout(2, 2);
    placeVals(cases[2]);
    prepGrad();
    let gb = bwd32(0, 0.5);
    takeGrad(got32);
    expect<f64>(got32[0]).toBe(0.25);
    expect<f64>(got32[1]).toBe(0.25);
    expect<f64>(Math.abs(gb / (0.5 * <f64><f32>1e20 * <f64><f32>1e20) - 1)).toBeLessThanOrEqual(1e-12);
  });
});
