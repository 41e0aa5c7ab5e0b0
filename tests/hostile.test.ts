// Hostile and bad input, table driven. Every bad call must throw a TypeError (wrong type) or a
// RangeError (wrong value) whose message names the function and the argument; it must throw
// before any wasm memory is touched (stats() unchanged, peak included); the caller's arrays must
// be unchanged; and a normal call right after must still return correct results.
//
// Then legitimate but unusual input that must be computed correctly, not rejected: views at a
// byteOffset, SharedArrayBuffer and resizable/growable buffers, Float32Array subclasses, -0,
// subnormals, aliasing inputs. And hostile objects that can break memory safety (getters that
// return a different array on each read), run in a child process so that a corrupted heap cannot
// take the rest of this file down.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lib, libFn, runCase, type Tensor } from './fuzz/run.ts';
import { softPoolNdRef, softPoolNdBackwardRef, adaptiveSoftPoolNdRef } from './reference.ts';
import { assertForwardClose, assertGradInputClose, assertBitsEqual, mulberry32, randFloat32, wasmFlags } from './helpers.ts';

await lib.init(); // top level: the table below allocates (disposed wasm tensors)

type Cls = typeof TypeError | typeof RangeError;
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const rng = mulberry32(0xbad);
const T = (shape: number[], lo = -3, hi = 3): Tensor => ({ data: randFloat32(rng, prod(shape), lo, hi), shape });

function detachedF32(n: number): Float32Array {
  const buf = new ArrayBuffer(n * 4);
  const view = new Float32Array(buf);
  structuredClone(buf, { transfer: [buf] }); // detaches buf (node 20 has no ArrayBuffer.prototype.transfer)
  assert.equal(view.length, 0, 'structuredClone did not detach the buffer');
  return view;
}

/** An object that passes `instanceof Float32Array` but is not a typed array. */
function fakeF32(length: number): Float32Array {
  const f = Object.create(Float32Array.prototype) as Float32Array;
  Object.defineProperty(f, 'length', { value: length });
  return f;
}

function disposedTensor(shape: number[]): Tensor {
  const t = lib.allocTensor(shape);
  t.dispose();
  return t;
}

// ---------------------------------------------------------------------------------------------
// the fixtures every bad call may use; their bits are checked after each call

interface Ctx {
  x2: Tensor; g2: Tensor; x1: Tensor; g1: Tensor; x3: Tensor; g3: Tensor; xa: Tensor; ga: Tensor; xl: Tensor;
}
const ctx: Ctx = {
  x2: T([2, 3, 6, 7]), g2: T([2, 3, 3, 3]), // softPool2d k2
  x1: T([2, 3, 9]), g1: T([2, 3, 4]), // softPool1d k2
  x3: T([1, 2, 4, 5, 6]), g3: T([1, 2, 2, 2, 3]), // softPool3d k2
  xa: T([2, 5, 7]), ga: T([2, 3, 3]), // adaptiveSoftPool2d outputSize 3, unbatched
  xl: T([1, 6, 7, 3]), // channelsLast 2D
};
const snapshots = Object.entries(ctx).map(([k, t]) => [k, t.data, t.data.slice()] as const);

function checkStillWorks(label: string): void {
  for (const [k, data, copy] of snapshots) assertBitsEqual(data, copy, `${label}: caller's ${k}.data changed`);
  const o2 = { kernelSize: 2 };
  const y = (libFn('softPool2d') as (x: Tensor, o: object) => Tensor)(ctx.x2, o2);
  const r = softPoolNdRef(ctx.x2.data, ctx.x2.shape, o2, 2);
  assertForwardClose(y.data, r.y, r.scale, r.shape, `${label}: softPool2d after the error`);
  const b = (libFn('softPool2dBackward') as (x: Tensor, g: Tensor, o: object) => { gradInput: Tensor })(ctx.x2, ctx.g2, o2);
  const rb = softPoolNdBackwardRef(ctx.x2.data, ctx.x2.shape, ctx.g2.data, o2, 2);
  assertGradInputClose(b.gradInput.data, rb.gradInput, ctx.x2.shape, `${label}: softPool2dBackward after the error`);
  const oa = { outputSize: [2, null], dataFormat: 'channelsLast' as const, beta: -2 };
  const ya = (libFn('adaptiveSoftPool2d') as (x: Tensor, o: object) => Tensor)(ctx.xl, oa);
  const ra = adaptiveSoftPoolNdRef(ctx.xl.data, ctx.xl.shape, oa, 2);
  assertForwardClose(ya.data, ra.y, ra.scale, ra.shape, `${label}: adaptiveSoftPool2d channelsLast after the error`);
}

interface Bad {
  /** what is wrong */
  what: string;
  /** function name as it must appear in the message */
  fn: string;
  call: () => unknown;
  cls: Cls | Cls[];
  /** the argument's name, as it must appear in the message */
  arg: RegExp;
}

function expectBad(b: Bad): void {
  const classes = Array.isArray(b.cls) ? b.cls : [b.cls];
  const s0 = lib.stats();
  let caught: unknown;
  try {
    b.call();
  } catch (e) {
    caught = e;
  }
  const s1 = lib.stats();
  assert.ok(caught !== undefined, `${b.fn} (${b.what}): expected ${classes.map((c) => c.name).join('/')}, but it returned`);
  assert.ok(caught instanceof Error, `${b.fn} (${b.what}): threw a non-Error ${String(caught)}`);
  const e = caught as Error;
  assert.ok(classes.some((c) => e.constructor === c),
    `${b.fn} (${b.what}): expected ${classes.map((c) => c.name).join('/')}, got ${e.constructor.name}: ${e.message}`);
  assert.ok(e.message.includes(b.fn), `${b.fn} (${b.what}): message should name the function: "${e.message}"`);
  assert.match(e.message, b.arg, `${b.fn} (${b.what}): message should name the argument: "${e.message}"`);
  assert.deepEqual(s1, s0, `${b.fn} (${b.what}): wasm memory was touched before the error (stats ${JSON.stringify(s0)} -> ${JSON.stringify(s1)})`);
  checkStillWorks(`${b.fn} (${b.what})`);
}

// ---------------------------------------------------------------------------------------------
// the table

type AnyFn = (...a: unknown[]) => unknown;
const f = (name: string) => libFn(name) as AnyFn;
const K2 = { kernelSize: 2 };
const { x1, g1, x2, g2, x3, g3, xa, ga } = ctx;
const TE = TypeError, RE = RangeError;
const BAD: Bad[] = [];
const add = (fn: string, what: string, call: () => unknown, cls: Cls | Cls[], arg: RegExp) => BAD.push({ fn, what, call, cls, arg });

// --- x: wrong types
for (const [what, x, cls, arg] of [
  ['x is null', null, TE, /\bx\b/],
  ['x is undefined', undefined, TE, /\bx\b/],
  ['x is a string', 'tensor', TE, /\bx\b/],
  ['x is a number', 42, TE, /\bx\b/],
  ['x is an Array', [1, 2, 3], TE, /\bx(\.data)?\b/],
  ['x is a bare Float32Array', new Float32Array(84), TE, /\bx(\.data|\.shape)?\b/],
  ['x.data is an Array', { data: Array.from(x2.data), shape: x2.shape }, TE, /x\.data/],
  ['x.data is a Float64Array', { data: Float64Array.from(x2.data), shape: x2.shape }, TE, /x\.data/],
  ['x.data is an Int32Array', { data: new Int32Array(x2.data.length), shape: x2.shape }, TE, /x\.data/],
  ['x.data is a Uint8Array over the right bytes', { data: new Uint8Array(x2.data.buffer.slice(0)), shape: x2.shape }, TE, /x\.data/],
  ['x.data is null', { data: null, shape: x2.shape }, TE, /x\.data/],
  ['x.data is a string', { data: 'abc', shape: x2.shape }, TE, /x\.data/],
  ['x.data is a detached Float32Array', { data: detachedF32(x2.data.length), shape: x2.shape }, [TE, RE], /x\.data/],
  ['x.data is a fake Float32Array (Float32Array.prototype, not a typed array)', { data: fakeF32(84), shape: [1, 1, 12, 7] }, TE, /x\.data/],
  ['x is a disposed WasmTensor', disposedTensor([1, 1, 4, 4]), TE, /\bx\b/],
  ['x.shape is a string', { data: x2.data, shape: '2,3,6,7' }, TE, /x\.shape/],
  ['x.shape is null', { data: x2.data, shape: null }, TE, /x\.shape/],
  ['x.shape is an Int32Array', { data: x2.data, shape: Int32Array.from([2, 3, 6, 7]) }, TE, /x\.shape/],
  ['x.shape has a string dim', { data: x2.data, shape: [2, 3, '6', 7] }, TE, /x\.shape\[2\]/],
  ['x.shape has a bigint dim', { data: x2.data, shape: [2, 3, 6n, 7] }, TE, /x\.shape\[2\]/],
] as Array<[string, unknown, Cls | Cls[], RegExp]>) {
  add('softPool2d', what, () => f('softPool2d')(x, K2), cls, arg);
}
// --- x: bad dims
for (const [what, shape, arg] of [
  ['dim NaN', [2, 3, NaN, 7], /x\.shape\[2\]/],
  ['dim Infinity', [2, 3, Infinity, 7], /x\.shape\[2\]/],
  ['dim -0', [2, 3, -0, 7], /x\.shape\[2\]/],
  ['dim 0', [2, 3, 0, 7], /x\.shape\[2\]/],
  ['dim -6', [2, 3, -6, 7], /x\.shape\[2\]/],
  ['dim 6.5', [2, 3, 6.5, 7], /x\.shape\[2\]/],
  ['dim 1e300 (product != data length)', [2, 3, 1e300, 7], /x\.(shape|data)/],
  ['rank 2', [42, 2], /x\.shape/],
  ['rank 5', [1, 2, 3, 2, 7], /x\.shape/],
  ['rank 0', [], /x\.shape/],
  ['product 2^31 (data has 84 elements)', [1, 1, 65536, 32768], /x\.(shape|data)/],
  ['product 2^32', [1, 1, 65536, 65536], /x\.(shape|data)/],
  ['product 2^32 + 84 (equals the data length modulo 2^32)', [1, 1, 1, 2 ** 32 + 84], /x\.(shape|data)/],
  ['product 1e20 (beyond 2^53)', [1e5, 1e5, 1e5, 1e5], /x\.(shape|data)/],
  ['data one element short', [2, 3, 6, 7], /x\.data/],
] as Array<[string, number[], RegExp]>) {
  const data = what.startsWith('data one') ? x2.data.subarray(0, 83) : x2.data.subarray(0, 84);
  add('softPool2d', `x.shape ${what}`, () => f('softPool2d')({ data, shape }, K2), RangeError, arg);
}
add('softPool1d', 'x.shape product 2^32 + 27 (1D, equals the data length modulo 2^32)', () => f('softPool1d')({ data: x1.data.subarray(0, 27), shape: [1, 2 ** 32 + 27] }, K2), RE, /x\.(shape|data)/);
add('softPool3d', 'x.shape product 2^33 (3D)', () => f('softPool3d')({ data: x3.data, shape: [2, 1024, 1024, 1024, 4] }, K2), RE, /x\.(shape|data)/);
add('adaptiveSoftPool1d', 'x.shape product 2^40 with 27 elements', () => f('adaptiveSoftPool1d')({ data: x1.data.subarray(0, 27), shape: [2 ** 20, 2 ** 20] }, { outputSize: 2 }), RE, /x\.(shape|data)/);

// --- options: wrong types and unknown keys
for (const [what, o, cls, arg] of [
  ['options is null', null, TE, /options/],
  ['options is undefined', undefined, TE, /options/],
  ['options is a string', 'kernelSize', TE, /options/],
  ['options is a number', 2, TE, /options/],
  ['options is an Array', [2], TE, /options/],
  ['options is {} (no kernelSize)', {}, TE, /options\.kernelSize/],
  ['misspelled key kernelsize', { kernelsize: 2 }, TE, /"kernelsize"/],
  ['extra key strides', { kernelSize: 2, strides: 2 }, TE, /"strides"/],
  ['extra key ceil_mode', { kernelSize: 2, ceil_mode: true }, TE, /"ceil_mode"/],
  ['misspelled key dataformat', { kernelSize: 2, dataformat: 'channelsLast' }, TE, /"dataformat"/],
  ['adaptive key outputSize on a plain op', { kernelSize: 2, outputSize: 2 }, TE, /"outputSize"/],
  ['extra key padding_mode', { kernelSize: 2, padding_mode: 'zeros' }, TE, /"padding_mode"/],
] as Array<[string, unknown, Cls, RegExp]>) {
  add('softPool2d', what, () => f('softPool2d')(x2, o), cls, arg);
}
add('adaptiveSoftPool2d', 'extra key kernelSize', () => f('adaptiveSoftPool2d')(xa, { outputSize: 2, kernelSize: 2 }), TE, /"kernelSize"/);
add('adaptiveSoftPool2d', 'misspelled key outputsize', () => f('adaptiveSoftPool2d')(xa, { outputsize: 2 }), TE, /"outputsize"/);
add('adaptiveSoftPool2d', 'misspelled key output_size', () => f('adaptiveSoftPool2d')(xa, { output_size: 2 }), TE, /"output_size"/);
add('adaptiveSoftPool3d', 'no outputSize', () => f('adaptiveSoftPool3d')(x3, { beta: 1 }), TE, /options\.outputSize/);

// --- kernelSize / stride / padding values
for (const [what, o, cls, arg] of [
  ['kernelSize NaN', { kernelSize: NaN }, RE, /options\.kernelSize/],
  ['kernelSize Infinity', { kernelSize: Infinity }, RE, /options\.kernelSize/],
  ['kernelSize -0', { kernelSize: -0 }, RE, /options\.kernelSize/],
  ['kernelSize 1e300', { kernelSize: 1e300 }, RE, /options\.kernelSize/],
  ['kernelSize 2.5', { kernelSize: 2.5 }, RE, /options\.kernelSize/],
  ['kernelSize -1', { kernelSize: -1 }, RE, /options\.kernelSize/],
  ['kernelSize 0', { kernelSize: 0 }, RE, /options\.kernelSize/],
  ['kernelSize 2^30 + 1', { kernelSize: 2 ** 30 + 1 }, RE, /options\.kernelSize/],
  ['kernelSize "2"', { kernelSize: '2' }, TE, /options\.kernelSize/],
  ['kernelSize null', { kernelSize: null }, TE, /options\.kernelSize/],
  ['kernelSize true', { kernelSize: true }, TE, /options\.kernelSize/],
  ['kernelSize [2] (2 dims)', { kernelSize: [2] }, RE, /options\.kernelSize/],
  ['kernelSize [2, 2, 2] (2 dims)', { kernelSize: [2, 2, 2] }, RE, /options\.kernelSize/],
  ['kernelSize [2, NaN]', { kernelSize: [2, NaN] }, RE, /options\.kernelSize\[1\]/],
  ['kernelSize [2, "2"]', { kernelSize: [2, '2'] }, TE, /options\.kernelSize\[1\]/],
  ['kernelSize [2, -2]', { kernelSize: [2, -2] }, RE, /options\.kernelSize\[1\]/],
  ['kernel 7 larger than the input (6)', { kernelSize: 7 }, RE, /options\.kernelSize/],
  ['kernel [2, 8] larger than W = 7', { kernelSize: [2, 8] }, RE, /options\.kernelSize\[1\]/],
  ['kernel 9 with padding 1 larger than the padded input (6 + 2)', { kernelSize: 9, padding: 1 }, RE, /options\.kernelSize/],
  ['stride 0', { kernelSize: 2, stride: 0 }, RE, /options\.stride/],
  ['stride -1', { kernelSize: 2, stride: -1 }, RE, /options\.stride/],
  ['stride 1.5', { kernelSize: 2, stride: 1.5 }, RE, /options\.stride/],
  ['stride NaN', { kernelSize: 2, stride: NaN }, RE, /options\.stride/],
  ['stride Infinity', { kernelSize: 2, stride: Infinity }, RE, /options\.stride/],
  ['stride [1, 0]', { kernelSize: 2, stride: [1, 0] }, RE, /options\.stride\[1\]/],
  ['stride "1"', { kernelSize: 2, stride: '1' }, TE, /options\.stride/],
  ['stride null', { kernelSize: 2, stride: null }, TE, /options\.stride/],
  ['padding -1', { kernelSize: 2, padding: -1 }, RE, /options\.padding/],
  ['padding 0.5', { kernelSize: 2, padding: 0.5 }, RE, /options\.padding/],
  ['padding 2 > kernel 3 / 2', { kernelSize: 3, padding: 2 }, RE, /options\.padding/],
  ['padding [0, 2] > kernel [3, 3] / 2', { kernelSize: [3, 3], padding: [0, 2] }, RE, /options\.padding\[1\]/],
  ['padding 1 with kernel 1', { kernelSize: 1, padding: 1 }, RE, /options\.padding/],
  ['padding NaN', { kernelSize: 2, padding: NaN }, RE, /options\.padding/],
  ['padding 1e300', { kernelSize: 2, padding: 1e300 }, RE, /options\.padding/],
  ['padding "1"', { kernelSize: 3, padding: '1' }, TE, /options\.padding/],
  ['ceilMode 1', { kernelSize: 2, ceilMode: 1 }, TE, /options\.ceilMode/],
  ['ceilMode "true"', { kernelSize: 2, ceilMode: 'true' }, TE, /options\.ceilMode/],
  ['ceilMode null', { kernelSize: 2, ceilMode: null }, TE, /options\.ceilMode/],
  ['beta NaN', { kernelSize: 2, beta: NaN }, RE, /options\.beta/],
  ['beta Infinity', { kernelSize: 2, beta: Infinity }, RE, /options\.beta/],
  ['beta -Infinity', { kernelSize: 2, beta: -Infinity }, RE, /options\.beta/],
  ['beta 1e39 (beyond float32)', { kernelSize: 2, beta: 1e39 }, RE, /options\.beta/],
  ['beta -1e300', { kernelSize: 2, beta: -1e300 }, RE, /options\.beta/],
  ['beta "1"', { kernelSize: 2, beta: '1' }, TE, /options\.beta/],
  ['beta null', { kernelSize: 2, beta: null }, TE, /options\.beta/],
  ['beta 1n', { kernelSize: 2, beta: 1n }, TE, /options\.beta/],
  ['dataFormat "NHWC"', { kernelSize: 2, dataFormat: 'NHWC' }, RE, /options\.dataFormat/],
  ['dataFormat "channelslast"', { kernelSize: 2, dataFormat: 'channelslast' }, RE, /options\.dataFormat/],
  ['dataFormat 1', { kernelSize: 2, dataFormat: 1 }, TE, /options\.dataFormat/],
  ['dataFormat null', { kernelSize: 2, dataFormat: null }, TE, /options\.dataFormat/],
] as Array<[string, object, Cls, RegExp]>) {
  add('softPool2d', what, () => f('softPool2d')(x2, o), cls, arg);
}
add('softPool1d', 'kernelSize [] (1 dim)', () => f('softPool1d')(x1, { kernelSize: [] }), RE, /options\.kernelSize/);
add('softPool1d', 'kernel 10 larger than L = 9', () => f('softPool1d')(x1, { kernelSize: 10 }), RE, /options\.kernelSize/);
add('softPool3d', 'kernel [1, 1, 7] larger than W = 6', () => f('softPool3d')(x3, { kernelSize: [1, 1, 7] }), RE, /options\.kernelSize\[2\]/);
add('softPool3d', 'padding [0, 0, 1] with kernel 1 in W', () => f('softPool3d')(x3, { kernelSize: [2, 2, 1], padding: [0, 0, 1] }), RE, /options\.padding\[2\]/);
add('softPool3d', 'stride [1, 1, 0]', () => f('softPool3d')(x3, { kernelSize: 2, stride: [1, 1, 0] }), RE, /options\.stride\[2\]/);

// --- adaptive outputSize
for (const [what, o, cls, arg] of [
  ['outputSize 0', { outputSize: 0 }, RE, /options\.outputSize/],
  ['outputSize -1', { outputSize: -1 }, RE, /options\.outputSize/],
  ['outputSize 1.5', { outputSize: 1.5 }, RE, /options\.outputSize/],
  ['outputSize NaN', { outputSize: NaN }, RE, /options\.outputSize/],
  ['outputSize Infinity', { outputSize: Infinity }, RE, /options\.outputSize/],
  ['outputSize -0', { outputSize: -0 }, RE, /options\.outputSize/],
  ['outputSize 2^31', { outputSize: 2 ** 31 }, RE, /options\.outputSize/],
  ['outputSize "2"', { outputSize: '2' }, TE, /options\.outputSize/],
  ['outputSize null', { outputSize: null }, TE, /options\.outputSize/],
  ['outputSize [2] (2 dims)', { outputSize: [2] }, RE, /options\.outputSize/],
  ['outputSize [null, 0]', { outputSize: [null, 0] }, RE, /options\.outputSize\[1\]/],
  ['outputSize [2, "a"]', { outputSize: [2, 'a'] }, TE, /options\.outputSize\[1\]/],
  ['outputSize [2, undefined]', { outputSize: [2, undefined] }, TE, /options\.outputSize\[1\]/],
  ['beta NaN', { outputSize: 2, beta: NaN }, RE, /options\.beta/],
  ['dataFormat "NCHW"', { outputSize: 2, dataFormat: 'NCHW' }, RE, /options\.dataFormat/],
] as Array<[string, object, Cls, RegExp]>) {
  add('adaptiveSoftPool2d', what, () => f('adaptiveSoftPool2d')(xa, o), cls, arg);
}

// --- gradOutput
for (const [what, g, cls, arg] of [
  ['gradOutput is null', null, TE, /gradOutput/],
  ['gradOutput is a string', 'g', TE, /gradOutput/],
  ['gradOutput of the wrong shape [2,3,3,4]', { data: new Float32Array(72), shape: [2, 3, 3, 4] }, RE, /gradOutput\.shape/],
  ['gradOutput of the wrong rank', { data: g2.data, shape: [6, 3, 3] }, RE, /gradOutput\.shape/],
  ['gradOutput with x\'s shape', x2, RE, /gradOutput\.shape/],
  ['gradOutput.data one element short', { data: g2.data.subarray(0, 53), shape: g2.shape }, RE, /gradOutput\.data/],
  ['gradOutput.data is a Float64Array', { data: Float64Array.from(g2.data), shape: g2.shape }, TE, /gradOutput\.data/],
  ['gradOutput.data is an Array', { data: Array.from(g2.data), shape: g2.shape }, TE, /gradOutput\.data/],
  ['gradOutput.data is detached', { data: detachedF32(54), shape: g2.shape }, [TE, RE], /gradOutput\.data/],
  ['gradOutput in channelsLast order for a channelsFirst call', { data: g2.data, shape: [2, 3, 3, 3].reverse() }, RE, /gradOutput\.shape/],
  ['gradOutput.shape with NaN', { data: g2.data, shape: [2, 3, NaN, 3] }, RE, /gradOutput\.shape\[2\]/],
  ['gradOutput is a disposed WasmTensor', disposedTensor([2, 3, 3, 3]), TE, /gradOutput/],
] as Array<[string, unknown, Cls | Cls[], RegExp]>) {
  add('softPool2dBackward', what, () => f('softPool2dBackward')(x2, g, K2), cls, arg);
}
add('softPool1dBackward', 'gradOutput of the wrong length', () => f('softPool1dBackward')(x1, { data: new Float32Array(25), shape: [2, 3, 4] }, K2), RE, /gradOutput\.data/);
add('softPool3dBackward', 'gradOutput of the wrong shape', () => f('softPool3dBackward')(x3, { data: g3.data, shape: [1, 2, 2, 3, 2] }, K2), RE, /gradOutput\.shape/);
add('adaptiveSoftPool2dBackward', 'gradOutput for another outputSize', () => f('adaptiveSoftPool2dBackward')(xa, ga, { outputSize: 4 }), RE, /gradOutput\.shape/);
add('softPool2dBackward', 'x bad while gradOutput is fine', () => f('softPool2dBackward')({ data: x2.data, shape: [2, 3, 6, 6] }, g2, K2), RE, /x\.data|x\.shape/);

// --- options.out
const outCases: Array<[string, string, () => unknown, Cls | Cls[], RegExp]> = [
  ['softPool2d', 'out of the wrong shape', () => f('softPool2d')(x2, { kernelSize: 2, out: { data: new Float32Array(54), shape: [2, 3, 9, 1] } }), RE, /options\.out/],
  ['softPool2d', 'out.data is a Float64Array', () => f('softPool2d')(x2, { kernelSize: 2, out: { data: new Float64Array(54), shape: [2, 3, 3, 3] } }), TE, /options\.out\.data/],
  ['softPool2d', 'out is a string', () => f('softPool2d')(x2, { kernelSize: 2, out: 'y' }), TE, /options\.out/],
  ['softPool2d', 'out is null', () => f('softPool2d')(x2, { kernelSize: 2, out: null }), TE, /options\.out/],
  ['softPool2d', 'out is x (kernel 1)', () => f('softPool2d')(x2, { kernelSize: 1, out: x2 }), RE, /options\.out/],
  ['softPool2d', 'out overlaps x\'s bytes', () => {
    const big = new Float32Array(200);
    return f('softPool2d')({ data: big.subarray(0, 84), shape: [1, 1, 12, 7] }, { kernelSize: 2, out: { data: big.subarray(80, 98), shape: [1, 1, 6, 3] } });
  }, RE, /options\.out/],
  ['softPool2d', 'out is a disposed WasmTensor', () => f('softPool2d')(x2, { kernelSize: 2, out: disposedTensor([2, 3, 3, 3]) }), TE, /options\.out/],
  ['softPool2dBackward', 'out has the forward output\'s shape', () => f('softPool2dBackward')(x2, g2, { kernelSize: 2, out: { data: new Float32Array(54), shape: [2, 3, 3, 3] } }), RE, /options\.out/],
  ['softPool2dBackward', 'out is gradOutput (kernel 1)', () => {
    const g = { data: new Float32Array(x2.data.length), shape: x2.shape };
    return f('softPool2dBackward')(x2, g, { kernelSize: 1, out: g });
  }, RE, /options\.out/],
  ['softPool2dBackward', 'out is x', () => f('softPool2dBackward')(x2, g2, { kernelSize: 2, out: x2 }), RE, /options\.out/],
  ['adaptiveSoftPool2d', 'out with the input\'s shape', () => f('adaptiveSoftPool2d')(xa, { outputSize: 3, out: { data: new Float32Array(70), shape: [2, 5, 7] } }), RE, /options\.out/],
];
for (const [fn, what, call, cls, arg] of outCases) add(fn, what, call, cls, arg);

// --- layers
const layer = (name: string, o: object) => new (libFn(name) as unknown as new (o: object) => { beta: unknown; forward(x: unknown): Tensor; backward(g: unknown): Tensor })(o);
add('SoftPool2d', 'constructor(null)', () => layer('SoftPool2d', null as unknown as object), TE, /options/);
add('SoftPool2d', 'constructor("k")', () => layer('SoftPool2d', 'k' as unknown as object), TE, /options/);
add('SoftPool2d', 'constructor beta NaN', () => layer('SoftPool2d', { kernelSize: 2, beta: NaN }), RE, /beta/);
add('AdaptiveSoftPool1d', 'constructor beta Infinity', () => layer('AdaptiveSoftPool1d', { outputSize: 2, beta: Infinity }), RE, /beta/);
add('SoftPool2d', 'forward(null)', () => layer('SoftPool2d', K2).forward(null), TE, /\bx\b/);
add('SoftPool2d', 'forward of rank 2', () => layer('SoftPool2d', K2).forward({ data: x2.data.subarray(0, 42), shape: [6, 7] }), RE, /x\.shape/);
add('SoftPool2d', 'forward after beta = NaN', () => { const l = layer('SoftPool2d', K2); l.beta = NaN; return l.forward(x2); }, RE, /beta/);
add('SoftPool2d', 'forward after beta = "2"', () => { const l = layer('SoftPool2d', K2); l.beta = '2'; return l.forward(x2); }, TE, /beta/);
add('SoftPool2d', 'backward with gradOutput of the wrong shape', () => {
  const l = layer('SoftPool2d', K2);
  l.forward(x2);
  return l.backward({ data: new Float32Array(54), shape: [2, 3, 9, 1] });
}, RE, /gradOutput\.shape/);
add('SoftPool2d', 'settings is null', () => new (libFn('SoftPool2d') as unknown as new (o: object, s: unknown) => object)(K2, null), TE, /settings/);
add('SoftPool2d', 'settings is a string', () => new (libFn('SoftPool2d') as unknown as new (o: object, s: unknown) => object)(K2, 'keep'), TE, /settings/);
add('SoftPool2d', 'settings.keepForBackward is 1', () => new (libFn('SoftPool2d') as unknown as new (o: object, s: unknown) => object)(K2, { keepForBackward: 1 }), TE, /settings\.keepForBackward/);
add('AdaptiveSoftPool3d', 'settings.keepForBackward is "yes"', () => new (libFn('AdaptiveSoftPool3d') as unknown as new (o: object, s: unknown) => object)({ outputSize: 2 }, { keepForBackward: 'yes' }), TE, /settings\.keepForBackward/);
add('SoftPool2d', 'misspelled settings key keepforbackward', () => new (libFn('SoftPool2d') as unknown as new (o: object, s: unknown) => object)(K2, { keepforbackward: true }), TE, /"keepforbackward"/);
add('SoftPool2d', 'unknown settings key', () => new (libFn('SoftPool2d') as unknown as new (o: object, s: unknown) => object)(K2, { keepForBackward: true, inPlace: true }), TE, /"inPlace"/);
add('SoftPool3d', 'forward with a Float64Array', () => layer('SoftPool3d', K2).forward({ data: Float64Array.from(x3.data), shape: x3.shape }), TE, /x\.data/);

// --- allocTensor
for (const [what, shape, cls, arg] of [
  ['shape is a string', '1,2', TE, /shape/],
  ['shape is null', null, TE, /shape/],
  ['shape [0]', [0], RE, /shape\[0\]/],
  ['shape [2.5]', [2.5], RE, /shape\[0\]/],
  ['shape [-1]', [-1], RE, /shape\[0\]/],
  ['shape [NaN]', [NaN], RE, /shape\[0\]/],
  ['shape [4, "4"]', [4, '4'], [TE, RE], /shape\[1\]/],
  ['16 GiB: [65536, 65536] (legitimate, but beyond wasm32)', [65536, 65536], RE, /memory|4 GiB|too large/],
  ['4 GiB + slack: [2^30] (legitimate, but beyond wasm32)', [2 ** 30], RE, /memory|4 GiB|too large/],
  ['1e20 elements', [1e10, 1e10], RE, /memory|4 GiB|too large/],
] as Array<[string, unknown, Cls | Cls[], RegExp]>) {
  add('allocTensor', what, () => lib.allocTensor(shape as number[]), cls, arg);
}

describe(`hostile: ${BAD.length} bad calls, each a TypeError/RangeError naming the argument, nothing touched`, () => {
  it('has at least 60 bad calls', () => assert.ok(BAD.length >= 60, `${BAD.length}`));
  for (const b of BAD) {
    const cls = (Array.isArray(b.cls) ? b.cls : [b.cls]).map((c) => c.name).join('/');
    it(`${b.fn}: ${b.what} -> ${cls}`, () => expectBad(b));
  }
});

describe('hostile: layer constructors reject bad options (not only at the first forward)', () => {
  const cases: Array<[string, object, Cls, RegExp]> = [
    ['SoftPool2d', { kernelSize: 2, strides: 2 }, TE, /"strides"/],
    ['SoftPool2d', { kernelsize: 2 }, TE, /"kernelsize"/],
    ['SoftPool2d', {}, TE, /kernelSize/],
    ['SoftPool2d', { kernelSize: -1 }, RE, /kernelSize/],
    ['SoftPool1d', { kernelSize: 3, padding: 2 }, RE, /padding/],
    ['SoftPool3d', { kernelSize: 2, stride: 0 }, RE, /stride/],
    ['AdaptiveSoftPool2d', { outputSize: 0 }, RE, /outputSize/],
    ['AdaptiveSoftPool2d', { outputSize: 2, kernelSize: 2 }, TE, /"kernelSize"/],
  ];
  for (const [name, o, cls, arg] of cases) {
    it(`new ${name}(${JSON.stringify(o)}) -> ${cls.name}`, () => expectBad({ fn: name, what: JSON.stringify(o), call: () => layer(name, o), cls, arg }));
  }
});

// ---------------------------------------------------------------------------------------------
// legitimate but unusual input: computed, not rejected

describe('hostile: unusual but legitimate input is computed correctly', () => {
  const shapes: Array<[string, number[], object]> = [
    ['softPool1d', [2, 3, 13], { kernelSize: 3, stride: 2, padding: 1 }],
    ['softPool2d', [1, 2, 7, 9], { kernelSize: 2, ceilMode: true }],
    ['softPool3d', [2, 3, 4, 5], { kernelSize: 2, stride: 1, dataFormat: 'channelsLast' }],
    ['adaptiveSoftPool2d', [2, 5, 7], { outputSize: [3, null], beta: -1 }],
    ['adaptiveSoftPool3d', [1, 3, 4, 5, 6], { outputSize: 2, dataFormat: 'channelsLast' }],
  ];
  for (const io of ['view', 'shared', 'resizable', 'wasmAll'] as const) {
    for (const [fn, shape, opts] of shapes) {
      it(`${fn} with ${io} tensors (x, gradOutput and out)`, () => {
        const n = prod(shape);
        const x = Array.from(randFloat32(rng, n));
        // gradOutput length from the reference's output shape
        const refShape = fn.startsWith('adaptive')
          ? adaptiveSoftPoolNdRef(Float32Array.from(x), shape, opts as never, Number(fn.at(-2))).shape
          : softPoolNdRef(Float32Array.from(x), shape, opts as never, Number(fn.at(-2))).shape;
        const g = Array.from(randFloat32(rng, prod(refShape), -1, 1));
        runCase({ fn, shape, opts: opts as Record<string, unknown>, x, g, io: io === 'wasmAll' ? 'wasmAll' : io });
        if (io !== 'wasmAll') runCase({ fn, shape, opts: opts as Record<string, unknown>, x, g, io: 'out' });
      });
    }
  }

  it('views at every byteOffset 0..12 of a larger buffer, with guard bytes checked', () => {
    for (let off = 0; off <= 3; off++) {
      const buf = new ArrayBuffer(4 * (84 + 8));
      const all = new Float32Array(buf).fill(-7.25);
      const x = new Float32Array(buf, 4 * (off + 1), 84);
      x.set(ctx.x2.data.subarray(0, 84));
      const snapshot = all.slice();
      const y = (f('softPool2d') as (x: Tensor, o: object) => Tensor)({ data: x, shape: [1, 1, 12, 7] }, { kernelSize: 3, stride: 2, padding: 1 });
      const r = softPoolNdRef(x, [1, 1, 12, 7], { kernelSize: 3, stride: 2, padding: 1 }, 2);
      assertForwardClose(y.data, r.y, r.scale, r.shape, `offset ${off * 4}`);
      assertBitsEqual(all, snapshot, `offset ${off * 4}: buffer changed`);
    }
  });

  it('a length-tracking view of a resizable ArrayBuffer, after resize', () => {
    const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
    const rab = new Ctor(4 * 10, { maxByteLength: 4 * 1000 });
    const view = new Float32Array(rab); // tracks the buffer's length
    rab.resize(4 * 84);
    assert.equal(view.length, 84);
    view.set(ctx.x2.data.subarray(0, 84));
    const y = (f('softPool2d') as (x: Tensor, o: object) => Tensor)({ data: view, shape: [1, 1, 12, 7] }, K2);
    const r = softPoolNdRef(view, [1, 1, 12, 7], K2, 2);
    assertForwardClose(y.data, r.y, r.scale, r.shape, 'length-tracking view');
    rab.resize(4 * 83);
    assert.throws(() => f('softPool2d')({ data: view, shape: [1, 1, 12, 7] }, K2), RangeError, 'a view that shrank must be rejected');
  });

  it('a growable SharedArrayBuffer view', () => {
    const Ctor = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
    const sab = new Ctor(4 * 84, { maxByteLength: 4 * 1000 });
    const x = new Float32Array(sab, 0, 84);
    x.set(ctx.x2.data.subarray(0, 84));
    const y = (f('softPool1d') as (x: Tensor, o: object) => Tensor)({ data: x, shape: [4, 21] }, { kernelSize: 4, stride: 3, ceilMode: true });
    const r = softPoolNdRef(x, [4, 21], { kernelSize: 4, stride: 3, ceilMode: true }, 1);
    assertForwardClose(y.data, r.y, r.scale, r.shape, 'growable SAB');
  });

  it('a Float32Array subclass is a Float32Array', () => {
    class Mine extends Float32Array {}
    const x = new Mine(84);
    x.set(ctx.x2.data.subarray(0, 84));
    const y = (f('softPool2d') as (x: Tensor, o: object) => Tensor)({ data: x, shape: [1, 1, 12, 7] }, K2);
    const r = softPoolNdRef(x, [1, 1, 12, 7], K2, 2);
    assertForwardClose(y.data, r.y, r.scale, r.shape, 'subclass');
  });

  it('-0 everywhere: windows of -0 pool to -0 (bitwise), -0 padding and beta -0 are 0', () => {
    const x = new Float32Array(84).fill(-0);
    for (const o of [{ kernelSize: 2 }, { kernelSize: 3, padding: -0, stride: 1 }, { kernelSize: 2, beta: -0 }, { kernelSize: 2, beta: 30 }]) {
      const y = (f('softPool2d') as (x: Tensor, o: object) => Tensor)({ data: x, shape: [1, 1, 12, 7] }, o);
      for (let i = 0; i < y.data.length; i++) assert.ok(Object.is(y.data[i], -0), `${JSON.stringify(o)}: y[${i}] = ${y.data[i]}, want -0`);
    }
    const yl = (f('softPool2d') as (x: Tensor, o: object) => Tensor)({ data: x, shape: [12, 7, 1] }, { kernelSize: 2, dataFormat: 'channelsLast' });
    for (let i = 0; i < yl.data.length; i++) assert.ok(Object.is(yl.data[i], -0), `channelsLast: y[${i}] = ${yl.data[i]}, want -0`);
  });

  it('subnormal windows: constant subnormals pool to exactly themselves; mixed ones match the reference', () => {
    const sub = new Float32Array(new Uint32Array([1, 0x7fffff, 0x80000001, 0x00400000]).buffer);
    for (const v of sub) {
      const x = new Float32Array(84).fill(v);
      const y = (f('softPool2d') as (x: Tensor, o: object) => Tensor)({ data: x, shape: [1, 1, 12, 7] }, { kernelSize: 3, stride: 1, padding: 1 });
      for (let i = 0; i < y.data.length; i++) assert.ok(Object.is(y.data[i], v), `constant ${v}: y[${i}] = ${y.data[i]}`);
    }
    const x = Float32Array.from({ length: 84 }, (_, i) => sub[i % 4] * (i % 3));
    for (const beta of [1, -1, 0, 1e30]) runCase({ fn: 'softPool2d', shape: [1, 1, 12, 7], opts: { kernelSize: 2, stride: 1, beta }, x: [...x], g: new Array(66).fill(1), io: 'plain' });
  });

  it('x and gradOutput may be the same array (kernel 1), frozen shapes and options, undefined optional keys', () => {
    const x = { data: ctx.x2.data.slice(0, 84), shape: Object.freeze([1, 1, 12, 7]) };
    const o = Object.freeze({ kernelSize: 1, stride: undefined, padding: undefined, ceilMode: undefined, beta: undefined, dataFormat: undefined });
    const b = (f('softPool2dBackward') as (x: Tensor, g: Tensor, o: object) => { gradInput: Tensor })(x, x, o);
    const r = softPoolNdBackwardRef(x.data, x.shape, x.data, { kernelSize: 1 }, 2);
    assertGradInputClose(b.gradInput.data, r.gradInput, x.shape, 'x as its own gradOutput');
  });

  it('keepForBackward layers: dispose() between forward and backward, backward twice, forward again', () => {
    const Ctor = libFn('SoftPool2d') as unknown as new (o: object, s?: object) => { forward(x: Tensor): Tensor; backward(g: Tensor): Tensor; dispose(): void };
    const o = { kernelSize: 3, stride: 2, padding: 1, beta: 2 };
    const x = ctx.x2, g = { data: randFloat32(rng, 2 * 3 * 3 * 4, -1, 1), shape: [2, 3, 3, 4] };
    const r = softPoolNdBackwardRef(x.data, x.shape, g.data, o, 2);
    const inUse0 = lib.stats().inUseBytes;
    const l = new Ctor(o, { keepForBackward: true });
    l.forward(x);
    assertGradInputClose(l.backward(g).data, r.gradInput, x.shape, 'kept backward');
    assertGradInputClose(l.backward(g).data, r.gradInput, x.shape, 'kept backward, again');
    l.dispose();
    assertGradInputClose(l.backward(g).data, r.gradInput, x.shape, 'backward after dispose');
    l.forward(x);
    l.forward(x);
    assertGradInputClose(l.backward(g).data, r.gradInput, x.shape, 'backward after two forwards');
    l.dispose();
    l.dispose();
    assert.equal(lib.stats().inUseBytes, inUse0, 'kept memory freed');
  });

  it('kernel exactly the padded input; stride larger than the kernel', () => {
    runCase({ fn: 'softPool2d', shape: [1, 2, 4, 5], opts: { kernelSize: [6, 7], padding: [1, 1] }, x: Array.from(randFloat32(rng, 40)), g: [1, -1], io: 'plain' });
    runCase({ fn: 'softPool1d', shape: [2, 17], opts: { kernelSize: 2, stride: 5, ceilMode: true }, x: Array.from(randFloat32(rng, 34)), g: Array.from(randFloat32(rng, 8)), io: 'plain' });
  });
});

// ---------------------------------------------------------------------------------------------
// objects that change between reads: run in a child process (a corrupted heap must not take
// this file down); after the call the module must be intact (canary allocations unchanged,
// allocation works, results correct, nothing left in use)

const CHILD = fileURLToPath(new URL('./fuzz/hostile_child.ts', import.meta.url));

describe('hostile: tensors whose data or shape change between reads (child process)', () => {
  for (const scenario of ['x-shrinks-backward', 'x-shrinks-forward', 'gradOutput-shrinks', 'x-grows-backward', 'shape-changes', 'out-shrinks']) {
    it(scenario, () => {
      const r = spawnSync(process.execPath, [...wasmFlags(), '--import', 'tsx', CHILD, scenario], { encoding: 'utf8', timeout: 60_000, env: process.env });
      const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      assert.ok(line, `child failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
      const res = JSON.parse(line) as { threw: string | null; message: string; resultOk: boolean | null; heapOk: boolean; followUp: string | null };
      const detail = JSON.stringify(res);
      assert.ok(res.threw === null || res.threw === 'TypeError' || res.threw === 'RangeError',
        `${scenario}: the call must return a correct result or throw a TypeError/RangeError, it threw ${res.threw}: ${res.message}`);
      if (res.threw === null) assert.equal(res.resultOk, true, `${scenario}: returned a wrong result (${detail})`);
      assert.equal(res.heapOk, true, `${scenario}: wasm heap canaries changed (${detail})`);
      assert.equal(res.followUp, null, `${scenario}: the module is broken afterwards: ${res.followUp}`);
    });
  }
});
