// Shared test helpers: seeded PRNG, random tensors, tolerance comparers.
import assert from 'node:assert/strict';

/** mulberry32: small, fast, seeded 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;

export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function randFloat32(rng: Rng, n: number, lo = -3, hi = 3): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng();
  return a;
}

export function randFloat64(rng: Rng, n: number, lo = -3, hi = 3): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng();
  return a;
}

export function prod(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export interface TensorLike { data: Float32Array; shape: readonly number[] }

export function randTensor(rng: Rng, shape: readonly number[], lo = -3, hi = 3): TensorLike {
  return { data: randFloat32(rng, prod(shape), lo, hi), shape: [...shape] };
}

/** Unravel a flat index into a readable multi-index for failure messages. */
export function unravel(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  let r = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(r % shape[d]);
    r = Math.floor(r / shape[d]);
  }
  return `[${idx.join(',')}]`;
}

function fmt(v: number): string {
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/** Special-value aware comparison: NaN must match NaN, +-Inf must match exactly. */
function specialMismatch(got: number, want: number): boolean | undefined {
  if (Number.isNaN(want)) return !Number.isNaN(got);
  if (!Number.isFinite(want)) return got !== want;
  if (!Number.isFinite(got)) return true; // got NaN/Inf but want finite
  return undefined;
}

const MAX_REPORT = 5;

/** forward: |y - yRef| <= 1e-5 * scale_i */
export function assertForwardClose(
  got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>,
  shape: readonly number[], label: string, rtol = 1e-5,
): void {
  assert.equal(got.length, want.length, `${label}: output length ${got.length}, want ${want.length}`);
  const bad: string[] = [];
  let nBad = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    let mismatch = specialMismatch(g, w);
    let tol = NaN;
    if (mismatch === undefined) {
      tol = rtol * scale[i];
      mismatch = !(Math.abs(g - w) <= tol);
    }
    if (mismatch) {
      nBad++;
      if (bad.length < MAX_REPORT) {
        bad.push(`  y${unravel(i, shape)} (flat ${i}): got ${fmt(g)}, want ${fmt(w)}` +
          (Number.isNaN(tol) ? '' : `, |diff| ${Math.abs(g - w)} > tol ${tol}`));
      }
    }
  }
  if (nBad) assert.fail(`${label}: ${nBad}/${want.length} forward outputs out of tolerance\n${bad.join('\n')}`);
}

/** gradInput: |g - gRef| <= 1e-4 * max(1, max |gRef|); NaN must match NaN, +-Inf exactly. */
export function assertGradInputClose(
  got: ArrayLike<number>, want: ArrayLike<number>, shape: readonly number[], label: string, rtol = 1e-4,
): void {
  assert.equal(got.length, want.length, `${label}: gradInput length ${got.length}, want ${want.length}`);
  let mx = 1;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) mx = Math.max(mx, Math.abs(want[i]));
  const tol = rtol * mx;
  const bad: string[] = [];
  let nBad = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    let mismatch = specialMismatch(g, w);
    if (mismatch === undefined) mismatch = !(Math.abs(g - w) <= tol);
    if (mismatch) {
      nBad++;
      if (bad.length < MAX_REPORT) {
        bad.push(`  gradInput${unravel(i, shape)} (flat ${i}): got ${fmt(g)}, want ${fmt(w)}, tol ${tol}`);
      }
    }
  }
  if (nBad) assert.fail(`${label}: ${nBad}/${want.length} gradInput entries out of tolerance\n${bad.join('\n')}`);
}

/** gradBeta: |gb - gbRef| <= 1e-4 * gradBetaScale; NaN must match NaN. */
export function assertGradBetaClose(got: number, want: number, scale: number, label: string, rtol = 1e-4): void {
  assert.equal(typeof got, 'number', `${label}: gradBeta must be a number, got ${typeof got}`);
  const m = specialMismatch(got, want);
  if (m === undefined) {
    const tol = rtol * scale;
    if (!(Math.abs(got - want) <= tol)) {
      assert.fail(`${label}: gradBeta got ${got}, want ${want}, |diff| ${Math.abs(got - want)} > tol ${tol}`);
    }
  } else if (m) {
    assert.fail(`${label}: gradBeta got ${got}, want ${want}`);
  }
}

/** Bitwise equality of two float32 arrays (distinguishes -0 and NaN payloads). */
export function assertBitsEqual(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length ${got.length}, want ${want.length}`);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      assert.fail(`${label}: element ${i} changed: got ${fmt(got[i])} (0x${a[i].toString(16)}), ` +
        `want ${fmt(want[i])} (0x${b[i].toString(16)})`);
    }
  }
}

export function describeOpts(o: object): string {
  return JSON.stringify(o);
}

export function shapeStr(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

/** This process's WebAssembly feature flags (e.g. --experimental-wasm-relaxed-simd), for child processes that must load the same build. */
export function wasmFlags(): string[] {
  return process.execArgv.filter((a) => a.startsWith('--experimental-wasm-'));
}
