// Runs one fuzz Case against the library and the float64 reference (tests/reference.ts), at the
// core tolerances (tests/helpers.ts): forward |y - yRef| <= 1e-5 * max(1, max|x| over the window);
// gradInput within 1e-4 of max(1, max|gradRef|); gradBeta within 1e-4 * gradBetaScale; NaN must
// match NaN and ±Inf exactly. Also: the caller's arrays are unchanged, options.out receives the
// result, bytes around views are untouched, results do not alias wasm memory, and every wasm
// byte the case allocated is given back (stats().inUseBytes). Throws an AssertionError (or the
// library's error) on failure. Not a test file itself.
import assert from 'node:assert/strict';
import * as libNs from 'softpool-wasm';
import {
  softPoolNdRef, softPoolNdBackwardRef, adaptiveSoftPoolNdRef, adaptiveSoftPoolNdBackwardRef,
  type ForwardRef, type BackwardRef, type RefOptionsNd, type AdaptiveRefOptions,
} from '../reference.ts';
import { assertForwardClose, assertGradInputClose, assertGradBetaClose, assertBitsEqual } from '../helpers.ts';
import { caseInfo, encodeCase, type Case, type Io } from './cases.ts';
import { centeredBackward } from './centered.ts';

export interface Tensor { data: Float32Array; shape: readonly number[] }
interface WasmTensor extends Tensor { readonly pointer: number; dispose(): void }
interface Layer { beta: number; readonly gradBeta: number; forward(x: Tensor): Tensor; backward(g: Tensor): Tensor; dispose?(): void }
type Fn = (...args: unknown[]) => unknown;

export const lib = libNs as unknown as {
  init(o?: object): Promise<void>;
  stats(): { inUseBytes: number; peakInUseBytes: number; memoryBytes: number };
  allocTensor(shape: readonly number[]): WasmTensor;
} & Record<string, unknown>;

export function libFn(name: string): Fn {
  const f = (libNs as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw new Error(`softpool-wasm does not export ${name}`);
  return f as Fn;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function refForwardOf(c: Case, x: Float32Array, beta?: number): ForwardRef {
  const { spatial, adaptive } = caseInfo(c.fn);
  const opts = beta === undefined ? c.opts : { ...c.opts, beta };
  return adaptive ? adaptiveSoftPoolNdRef(x, c.shape, opts as unknown as AdaptiveRefOptions, spatial)
    : softPoolNdRef(x, c.shape, opts as unknown as RefOptionsNd, spatial);
}

export function refBackwardOf(c: Case, x: Float32Array, g: Float32Array): BackwardRef {
  const { spatial, adaptive } = caseInfo(c.fn);
  return adaptive ? adaptiveSoftPoolNdBackwardRef(x, c.shape, g, c.opts as unknown as AdaptiveRefOptions, spatial)
    : softPoolNdBackwardRef(x, c.shape, g, c.opts as unknown as RefOptionsNd, spatial);
}

// ---------------------------------------------------------------------------------------------
// placing tensors

const GUARD = 0x7fc0dead; // a NaN pattern around views
const GUARD_WORDS = 3;

/** A tensor for the library plus the checks to run after the call. */
interface Placed {
  t: Tensor;
  /** current contents (reads .data again for wasm tensors) */
  read(): Float32Array;
  /** throws if bytes the library must not touch were changed */
  checkGuards(what: string): void;
  dispose(): void;
}

function place(values: Float32Array, shape: readonly number[], kind: 'plain' | 'view' | 'shared' | 'resizable' | 'wasm'): Placed {
  const n = values.length;
  if (kind === 'wasm') {
    const t = lib.allocTensor(shape);
    t.data.set(values);
    return { t, read: () => t.data, checkGuards: () => {}, dispose: () => t.dispose() };
  }
  if (kind === 'plain') {
    const data = values.slice();
    return { t: { data, shape: [...shape] }, read: () => data, checkGuards: () => {}, dispose: () => {} };
  }
  const bytes = (n + 2 * GUARD_WORDS) * 4;
  const buffer = kind === 'shared' ? new SharedArrayBuffer(bytes)
    : kind === 'resizable' ? new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(bytes, { maxByteLength: bytes * 2 })
    : new ArrayBuffer(bytes);
  const words = new Uint32Array(buffer);
  words.fill(GUARD);
  const data = new Float32Array(buffer, GUARD_WORDS * 4, n);
  data.set(values);
  return {
    t: { data, shape: [...shape] },
    read: () => data,
    checkGuards(what) {
      for (let i = 0; i < GUARD_WORDS; i++) {
        assert.equal(words[i], GUARD, `${what}: byte before the view changed (word ${i - GUARD_WORDS})`);
        assert.equal(words[words.length - 1 - i], GUARD, `${what}: byte after the view changed (word +${GUARD_WORDS - 1 - i})`);
      }
    },
    dispose: () => {},
  };
}

function inputKind(io: Io): 'plain' | 'view' | 'shared' | 'resizable' | 'wasm' {
  switch (io) {
    case 'view': case 'shared': case 'resizable': return io;
    case 'wasmX': case 'wasmAll': return 'wasm';
    default: return 'plain';
  }
}
function gradKind(io: Io): 'plain' | 'view' | 'shared' | 'resizable' | 'wasm' {
  return io === 'wasmX' ? 'plain' : io === 'wasmAll' ? 'wasm' : inputKind(io);
}
function outKind(io: Io): 'plain' | 'view' | 'wasm' | null {
  switch (io) {
    case 'out': return 'plain';
    case 'view': return 'view';
    case 'wasmOut': case 'wasmAll': return 'wasm';
    default: return null;
  }
}

/** garbage an output must overwrite */
function garbage(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = i % 3 === 0 ? NaN : i % 3 === 1 ? -1e30 : 7;
  return a;
}

function wasmBuffer(): ArrayBufferLike | null {
  // the memory's ArrayBuffer, reached through a 1-element wasm tensor
  const t = lib.allocTensor([1]);
  try { return t.data.buffer; } finally { t.dispose(); }
}

// ---------------------------------------------------------------------------------------------

export interface RunResult { checks: number }

/** Cases where tests/reference.ts's backward was off by float64 cancellation and tests/fuzz/centered.ts decided. */
export const fallbackStats = { used: 0 };

/**
 * gradInput and gradBeta vs tests/reference.ts at the core tolerances; if that fails, vs the
 * centred float64 evaluation (tests/fuzz/centered.ts), which has no cancellation in x_i - y.
 */
function checkGradients(c: Case, x32: Float32Array, g32: Float32Array, refB: BackwardRef,
  gi: Float32Array, gradBeta: number, label: string): void {
  try {
    assertGradInputClose(gi, refB.gradInput, c.shape, label);
    assertGradBetaClose(gradBeta, refB.gradBeta, refB.gradBetaScale, label);
  } catch (first) {
    const cb = centeredBackward(c, x32, g32);
    try {
      assertGradInputClose(gi, cb.gradInput, c.shape, `${label} (centred reference)`);
      assertGradBetaClose(gradBeta, cb.gradBeta, cb.gradBetaScale, `${label} (centred reference)`);
    } catch (second) {
      if (first instanceof Error && second instanceof Error) first.message += `\n  and against the centred float64 evaluation: ${second.message}`;
      throw first;
    }
    fallbackStats.used++;
  }
}

/** Runs c; throws with the encoded case appended on failure. */
export function runCase(c: Case): RunResult {
  try {
    return runCaseInner(c);
  } catch (e) {
    if (e instanceof Error) e.message += `\n  case: ${encodeCase(c)}`;
    throw e;
  }
}

function runCaseInner(c: Case): RunResult {
  const info = caseInfo(c.fn);
  const x32 = Float32Array.from(c.x);
  const g32 = Float32Array.from(c.g);
  assert.equal(x32.length, prod(c.shape), 'fuzz case: x length does not match shape');
  const label = `${c.fn} x[${c.shape}] ${JSON.stringify(c.opts)} io=${c.io}${c.keep ? ' keepForBackward' : ''}`;
  const refF = refForwardOf(c, x32);
  const refB = refBackwardOf(c, x32, g32);
  assert.equal(g32.length, prod(refF.shape), 'fuzz case: g length does not match the output shape');
  const inUse0 = lib.stats().inUseBytes;
  const owned: Placed[] = [];
  const own = (p: Placed) => { owned.push(p); return p; };
  let checks = 0;
  try {
    const xp = own(place(x32, c.shape, inputKind(c.io)));
    const gp = own(place(g32, refF.shape, gradKind(c.io)));
    if (info.layer) {
      checks += runLayer(c, label, xp, gp, refF, refB, x32, g32);
    } else {
      const ok = outKind(c.io);
      // forward
      const yOut = ok ? own(place(garbage(refF.y.length), refF.shape, ok)) : null;
      const fwdOpts = yOut ? { ...c.opts, out: yOut.t } : { ...c.opts };
      const y = libFn(c.fn)(xp.t, fwdOpts) as Tensor;
      const yData = yOut ? yOut.read() : y.data;
      if (yOut) assert.ok(y === yOut.t || y.data === yOut.t.data || (y.data.buffer === yOut.read().buffer && y.data.byteOffset === yOut.read().byteOffset),
        `${label}: forward with options.out must return out`);
      assert.ok(yData instanceof Float32Array, `${label}: forward data must be a Float32Array`);
      assert.deepEqual([...y.shape], refF.shape, `${label}: forward shape`);
      assertForwardClose(yData, refF.y, refF.scale, refF.shape, `${label} forward`);
      checks++;
      assertBitsEqual(xp.read(), x32, `${label}: forward modified x`);
      xp.checkGuards(`${label}: forward x`);
      yOut?.checkGuards(`${label}: forward out`);
      const ySnap = yOut ? null : y.data.slice();
      // backward
      const gOut = ok ? own(place(garbage(x32.length), c.shape, ok)) : null;
      const bwdOpts = gOut ? { ...c.opts, out: gOut.t } : { ...c.opts };
      const b = libFn(`${c.fn}Backward`)(xp.t, gp.t, bwdOpts) as { gradInput: Tensor; gradBeta: number };
      const giData = gOut ? gOut.read() : b.gradInput.data;
      assert.ok(giData instanceof Float32Array, `${label}: gradInput data must be a Float32Array`);
      assert.deepEqual([...b.gradInput.shape], [...c.shape], `${label}: gradInput shape`);
      checkGradients(c, x32, g32, refB, giData, b.gradBeta, `${label} backward`);
      checks += 2;
      assertBitsEqual(xp.read(), x32, `${label}: backward modified x`);
      assertBitsEqual(gp.read(), g32, `${label}: backward modified gradOutput`);
      xp.checkGuards(`${label}: backward x`);
      gp.checkGuards(`${label}: backward gradOutput`);
      gOut?.checkGuards(`${label}: backward out`);
      // a fresh forward result is the caller's own array: the backward did not overwrite it
      if (ySnap) {
        assert.notEqual(y.data.buffer, wasmBuffer(), `${label}: forward result is a view of wasm memory`);
        assertBitsEqual(y.data, ySnap, `${label}: forward result changed by a later call`);
      }
    }
  } finally {
    for (const p of owned) p.dispose();
  }
  assert.equal(lib.stats().inUseBytes, inUse0, `${label}: wasm bytes in use before/after the case`);
  return { checks };
}

function runLayer(c: Case, label: string, xp: Placed, gp: Placed, refF: ForwardRef, refB: BackwardRef,
  x32: Float32Array, g32: Float32Array): number {
  const Ctor = libFn(c.fn) as unknown as new (o: object, settings?: object) => Layer;
  const layer = c.keep ? new Ctor({ ...c.opts }, { keepForBackward: true }) : new Ctor({ ...c.opts });
  try {
    return runLayerChecks(c, label, layer, xp, gp, refF, refB, x32, g32);
  } finally {
    if (c.keep) {
      assert.equal(typeof layer.dispose, 'function', `${label}: a layer with keepForBackward has no dispose()`);
      layer.dispose!();
      layer.dispose!(); // idempotent
    }
  }
}

function runLayerChecks(c: Case, label: string, layer: Layer, xp: Placed, gp: Placed, refF: ForwardRef, refB: BackwardRef,
  x32: Float32Array, g32: Float32Array): number {
  const beta0 = (c.opts.beta as number | undefined) ?? 1;
  assert.ok(Object.is(layer.beta, beta0), `${label}: layer.beta is ${layer.beta}, want ${beta0}`);
  assert.equal(layer.gradBeta, 0, `${label}: gradBeta before any backward`);
  const y = layer.forward(xp.t);
  assert.deepEqual([...y.shape], refF.shape, `${label}: layer forward shape`);
  assertForwardClose(y.data, refF.y, refF.scale, refF.shape, `${label} layer forward`);
  assertBitsEqual(xp.read(), x32, `${label}: layer forward modified x`);
  if (c.newBeta !== undefined) layer.beta = c.newBeta;
  const gi = layer.backward(gp.t);
  assert.deepEqual([...gi.shape], [...c.shape], `${label}: layer gradInput shape`);
  checkGradients(c, x32, g32, refB, gi.data, layer.gradBeta, `${label} layer backward (beta of the forward)`);
  assertBitsEqual(xp.read(), x32, `${label}: layer backward modified x`);
  assertBitsEqual(gp.read(), g32, `${label}: layer backward modified gradOutput`);
  xp.checkGuards(`${label}: layer x`);
  gp.checkGuards(`${label}: layer gradOutput`);
  let checks = 3;
  if (c.newBeta !== undefined) {
    const y2 = layer.forward(xp.t);
    const ref2 = refForwardOf(c, x32, c.newBeta);
    assertForwardClose(y2.data, ref2.y, ref2.scale, ref2.shape, `${label} layer forward after beta = ${c.newBeta}`);
    checks++;
  }
  return checks;
}
