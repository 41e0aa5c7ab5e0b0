// Shared checkers for the N-d / channels-last / adaptive / layer suites. Not a test file itself.
//
// The library is imported as a namespace and typed locally from the spec, so a function that is
// not there yet makes only the tests that call it fail (with "... is not a function"), instead of
// the whole file failing to link.
import assert from 'node:assert/strict';
import * as libNs from 'softpool-wasm';
import {
  softPoolNdRef, softPoolNdBackwardRef, adaptiveSoftPoolNdRef, adaptiveSoftPoolNdBackwardRef,
  softPoolNdOutShape, adaptiveOutShape, toChannelsFirst, toChannelsLast, shapeToChannelsLast,
  type RefOptionsNd, type AdaptiveRefOptions, type ForwardRef, type BackwardRef,
} from './reference.ts';
import {
  assertForwardClose, assertGradInputClose, assertGradBetaClose, assertBitsEqual, shapeStr, prod, unravel,
  randFloat32, type Rng,
} from './helpers.ts';

export interface Tensor { data: Float32Array; shape: readonly number[] }
export interface Backward { gradInput: Tensor; gradBeta: number }
type Fwd = (x: Tensor, options: object) => Tensor;
type Bwd = (x: Tensor, gradOutput: Tensor, options: object) => Backward;
export interface Layer {
  beta: number;
  readonly gradBeta: number;
  forward(x: Tensor): Tensor;
  backward(gradOutput: Tensor): Tensor;
}
type LayerCtor = new (options: object) => Layer;

/** The API as specified (only the parts these suites use). */
export interface NdApi {
  init(): Promise<void>;
  stats(): { inUseBytes: number; peakInUseBytes: number; memoryBytes: number };
  softPool1d: Fwd; softPool2d: Fwd; softPool3d: Fwd;
  softPool1dBackward: Bwd; softPool2dBackward: Bwd; softPool3dBackward: Bwd;
  adaptiveSoftPool1d: Fwd; adaptiveSoftPool2d: Fwd; adaptiveSoftPool3d: Fwd;
  adaptiveSoftPool1dBackward: Bwd; adaptiveSoftPool2dBackward: Bwd; adaptiveSoftPool3dBackward: Bwd;
  SoftPool1d: LayerCtor; SoftPool2d: LayerCtor; SoftPool3d: LayerCtor;
  AdaptiveSoftPool1d: LayerCtor; AdaptiveSoftPool2d: LayerCtor; AdaptiveSoftPool3d: LayerCtor;
}

export const lib = libNs as unknown as NdApi;

/** Throws a clear error when the lead's implementation of `name` has not landed yet. */
export function api<K extends keyof NdApi>(name: K): NdApi[K] {
  const f = (libNs as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw new Error(`softpool-wasm does not export ${name} (yet)`);
  return f as NdApi[K];
}

/** An operation under test: plain or adaptive, with 1, 2 or 3 spatial dims. */
export interface Op {
  spatial: 1 | 2 | 3;
  adaptive: boolean;
}
export type AnyOpts = RefOptionsNd | AdaptiveRefOptions;

export const fwdName = (op: Op) => `${op.adaptive ? 'adaptiveSoftPool' : 'softPool'}${op.spatial}d` as
  'softPool1d' | 'softPool2d' | 'softPool3d' | 'adaptiveSoftPool1d' | 'adaptiveSoftPool2d' | 'adaptiveSoftPool3d';
export const bwdName = (op: Op) => `${fwdName(op)}Backward` as
  'softPool1dBackward' | 'softPool2dBackward' | 'softPool3dBackward' |
  'adaptiveSoftPool1dBackward' | 'adaptiveSoftPool2dBackward' | 'adaptiveSoftPool3dBackward';
export const layerName = (op: Op) => `${op.adaptive ? 'AdaptiveSoftPool' : 'SoftPool'}${op.spatial}d` as
  'SoftPool1d' | 'SoftPool2d' | 'SoftPool3d' | 'AdaptiveSoftPool1d' | 'AdaptiveSoftPool2d' | 'AdaptiveSoftPool3d';

export function libForward(op: Op, x: Tensor, opts: AnyOpts): Tensor {
  return api(fwdName(op))(x, opts);
}
export function libBackward(op: Op, x: Tensor, g: Tensor, opts: AnyOpts): Backward {
  return api(bwdName(op))(x, g, opts);
}
export function refForward(op: Op, x: Float32Array | Float64Array, shape: readonly number[], opts: AnyOpts): ForwardRef {
  return op.adaptive
    ? adaptiveSoftPoolNdRef(x, shape, opts as AdaptiveRefOptions, op.spatial)
    : softPoolNdRef(x, shape, opts as RefOptionsNd, op.spatial);
}
export function refBackward(op: Op, x: Float32Array | Float64Array, shape: readonly number[], g: Float32Array | Float64Array, opts: AnyOpts): BackwardRef {
  return op.adaptive
    ? adaptiveSoftPoolNdBackwardRef(x, shape, g, opts as AdaptiveRefOptions, op.spatial)
    : softPoolNdBackwardRef(x, shape, g, opts as RefOptionsNd, op.spatial);
}
export function outShapeOf(op: Op, shape: readonly number[], opts: AnyOpts): number[] {
  return op.adaptive
    ? adaptiveOutShape(shape, opts as AdaptiveRefOptions, op.spatial)
    : softPoolNdOutShape(shape, opts as RefOptionsNd, op.spatial);
}

export function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') Object.freeze(v);
  return Object.freeze(o);
}

export function label(op: Op, shape: readonly number[], opts: AnyOpts): string {
  return `${fwdName(op)} x${shapeStr(shape)} ${JSON.stringify(opts)}`;
}

/**
 * Library forward vs reference. Also: output type/shape, x data untouched (bitwise), frozen
 * shape/options accepted and not mutated.
 */
export function checkForward(op: Op, data: Float32Array, shape: readonly number[], opts: AnyOpts, extra = ''): Float32Array {
  const lbl = label(op, shape, opts) + extra;
  const copy = data.slice();
  const shapeArg = Object.freeze([...shape]);
  const ref = refForward(op, data, shape, opts);
  const out = libForward(op, { data, shape: shapeArg }, deepFreeze(structuredClone(opts)));
  assert.ok(out.data instanceof Float32Array, `${lbl}: output data must be a Float32Array`);
  assert.deepEqual([...out.shape], ref.shape, `${lbl}: output shape`);
  assertForwardClose(out.data, ref.y, ref.scale, ref.shape, lbl);
  assertBitsEqual(data, copy, `${lbl}: input data modified`);
  return out.data;
}

/** Library backward vs reference; also checks x and gradOutput are untouched. */
export function checkBackward(
  op: Op, data: Float32Array, shape: readonly number[], g: Float32Array, opts: AnyOpts, extra = '',
): { gradInput: Float32Array; gradBeta: number } {
  const lbl = label(op, shape, opts) + extra;
  const outShape = outShapeOf(op, shape, opts);
  const xCopy = data.slice(), gCopy = g.slice();
  const ref = refBackward(op, data, shape, g, opts);
  const res = libBackward(op, { data, shape: Object.freeze([...shape]) }, { data: g, shape: Object.freeze([...outShape]) },
    deepFreeze(structuredClone(opts)));
  assert.ok(res.gradInput.data instanceof Float32Array, `${lbl}: gradInput.data must be a Float32Array`);
  assert.deepEqual([...res.gradInput.shape], [...shape], `${lbl}: gradInput shape`);
  assertGradInputClose(res.gradInput.data, ref.gradInput, shape, lbl);
  assertGradBetaClose(res.gradBeta, ref.gradBeta, ref.gradBetaScale, lbl);
  assertBitsEqual(data, xCopy, `${lbl}: x data modified`);
  assertBitsEqual(g, gCopy, `${lbl}: gradOutput data modified`);
  return { gradInput: res.gradInput.data, gradBeta: res.gradBeta };
}

/** Forward and backward on random data of `shape`; g uniform in [-1, 1]. */
export function checkBoth(op: Op, rng: Rng, shape: readonly number[], opts: AnyOpts, lo = -3, hi = 3): void {
  const x = randFloat32(rng, prod(shape), lo, hi);
  checkForward(op, x, shape, opts);
  const g = randFloat32(rng, prod(outShapeOf(op, shape, opts)), -1, 1);
  checkBackward(op, x, shape, g, opts);
}

/**
 * Central finite differences of the float64 reference loss L = sum(g * y) at the (float32) x,
 * compared directly with the library's gradInput (tol 1e-4 of the largest) and gradBeta.
 * Only for small problems: 2 reference forwards per input element.
 */
export function checkLibraryAgainstFiniteDifferences(op: Op, x: Float32Array, shape: readonly number[], g: Float32Array, opts: AnyOpts): void {
  const lbl = label(op, shape, opts) + ' (finite differences)';
  const outShape = outShapeOf(op, shape, opts);
  const res = libBackward(op, { data: x, shape }, { data: g, shape: outShape }, opts);
  const x64 = Float64Array.from(x);
  const beta = opts.beta ?? 1;
  const loss = (xx: Float64Array, b: number): number => {
    const y = refForward(op, xx, shape, { ...opts, beta: b }).y;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += g[i] * y[i];
    return s;
  };
  const h = 1e-6;
  const fd = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const hi = Math.max(h, h * Math.abs(x64[i]));
    const xp = x64.slice(); xp[i] += hi;
    const xm = x64.slice(); xm[i] -= hi;
    fd[i] = (loss(xp, beta) - loss(xm, beta)) / (2 * hi);
  }
  assertGradInputClose(res.gradInput.data, fd, shape, lbl);
  const fdb = (loss(x64, beta + h) - loss(x64, beta - h)) / (2 * h);
  let gbScale = 1;
  // the scale of the beta gradient: sum |g| * weighted variance, bounded by the reference's
  gbScale = Math.max(gbScale, refBackward(op, x, shape, g, opts).gradBetaScale);
  assertGradBetaClose(res.gradBeta, fdb, gbScale, lbl);
}

// ----- layout agreement -----

/** |a - b| <= rtol * scale_i elementwise, NaN/Inf must match. */
export function assertAgree(a: ArrayLike<number>, b: ArrayLike<number>, scale: ArrayLike<number> | number,
  shape: readonly number[], what: string, rtol = 1e-6): void {
  assert.equal(a.length, b.length, `${what}: lengths ${a.length} vs ${b.length}`);
  const bad: string[] = [];
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const u = a[i], v = b[i];
    let ok: boolean;
    if (Number.isNaN(u) || Number.isNaN(v)) ok = Number.isNaN(u) && Number.isNaN(v);
    else if (!Number.isFinite(u) || !Number.isFinite(v)) ok = u === v;
    else {
      const s = typeof scale === 'number' ? scale : scale[i];
      ok = Math.abs(u - v) <= rtol * Math.max(s, Math.abs(u), Math.abs(v));
    }
    if (!ok) {
      n++;
      if (bad.length < 5) bad.push(`  ${unravel(i, shape)}: channelsFirst ${u}, channelsLast ${v}`);
    }
  }
  if (n) assert.fail(`${what}: ${n}/${a.length} entries differ by more than ${rtol} relative\n${bad.join('\n')}`);
}

function maxAbsFinite(a: ArrayLike<number>): number {
  let m = 1;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Runs the op on channels-first data and on its channels-last transpose: both must match the
 * reference, and each other to 1e-6 relative (outputs and gradients transposed back).
 */
export function checkLayoutAgreement(op: Op, xcf: Float32Array, cfShape: readonly number[], gcf: Float32Array, opts: AnyOpts): void {
  const sp = op.spatial;
  const lbl = label(op, cfShape, opts);
  const optsF = { ...opts, dataFormat: 'channelsFirst' as const };
  const optsL = { ...opts, dataFormat: 'channelsLast' as const };
  const clShape = shapeToChannelsLast(cfShape, sp);
  const xcl = toChannelsLast(xcf, cfShape, sp);
  const outCf = outShapeOf(op, cfShape, optsF);
  const outCl = shapeToChannelsLast(outCf, sp);
  const gcl = toChannelsLast(gcf, outCf, sp);

  const yF = checkForward(op, xcf, cfShape, optsF);
  const yL = checkForward(op, xcl, clShape, optsL);
  const ref = refForward(op, xcf, cfShape, optsF);
  assertAgree(yF, toChannelsFirst(yL, outCl, sp), ref.scale, outCf, `${lbl}: forward channelsFirst vs channelsLast`);

  const bF = checkBackward(op, xcf, cfShape, gcf, optsF);
  const bL = checkBackward(op, xcl, clShape, gcl, optsL);
  const gi = toChannelsFirst(bL.gradInput, clShape, sp);
  assertAgree(bF.gradInput, gi, maxAbsFinite(bF.gradInput), cfShape, `${lbl}: gradInput channelsFirst vs channelsLast`);
  const bref = refBackward(op, xcf, cfShape, gcf, optsF);
  assertAgree([bF.gradBeta], [bL.gradBeta], bref.gradBetaScale, [1], `${lbl}: gradBeta channelsFirst vs channelsLast`);
}

/** Relative agreement of two library results of different ops that must coincide. */
export function assertSameResult(a: Float32Array, b: Float32Array, shape: readonly number[], what: string, rtol = 1e-6): void {
  assertAgree(a, b, maxAbsFinite(a), shape, what, rtol);
}

export const FMAX = 3.4028234663852886e38;

/** Mix of huge finite float32 values of both signs and ordinary ones. */
export function extremeData(rng: Rng, n: number, pool: number[]): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = pool[Math.floor(rng() * pool.length)] * (0.5 + rng());
  return a;
}

export const EXTREME_POOLS: Array<[string, number[]]> = [
  ['|x| up to 1e30', [1e30, -1e30, 1e29, -3e29, 1, -1, 0]],
  ['|x| up to 3e38 mixed signs', [3e38 / 1.5, -3e38 / 1.5, 1e38, -2e38, 5, 0]],
  ['all huge positive', [2e38, 2.2e38, 1.5e38]],
];

/** Sprinkles +Inf, -Inf and NaN into a copy of data with the given probabilities. */
export function sprinkle(rng: Rng, data: Float32Array, pInf: number, pNegInf: number, pNaN: number): Float32Array {
  const a = data.slice();
  for (let i = 0; i < a.length; i++) {
    const r = rng();
    if (r < pInf) a[i] = Infinity;
    else if (r < pInf + pNegInf) a[i] = -Infinity;
    else if (r < pInf + pNegInf + pNaN) a[i] = NaN;
  }
  return a;
}

export { prod, randFloat32, shapeStr };
