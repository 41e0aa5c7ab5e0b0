// Argument validation: each bad input throws the right class, before any wasm memory is touched,
// with a message naming the argument and the bad value. After each error, normal calls still work.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, softPool2d, softPool2dBackward, stats } from 'softpool-wasm';
import { softPool2dRef, softPool2dBackwardRef } from './reference.ts';
import { mulberry32, randTensor, randFloat32, assertForwardClose, assertGradInputClose, assertGradBetaClose } from './helpers.ts';

before(async () => {
  await init();
});

type ErrClass = typeof TypeError | typeof RangeError;

// a small good problem, used to check the module still works after every error
const GOOD_SHAPE = [1, 2, 5, 7];
const GOOD_OPTS = { kernelSize: 3, stride: 2, padding: 1, beta: 1.5 };
const good = randTensor(mulberry32(1), GOOD_SHAPE);
const goodG = randFloat32(mulberry32(2), 1 * 2 * 3 * 4, -1, 1);

function checkStillWorks(label: string): void {
  const out = softPool2d({ data: good.data, shape: GOOD_SHAPE }, GOOD_OPTS);
  const ref = softPool2dRef(good.data, GOOD_SHAPE, GOOD_OPTS);
  assertForwardClose(out.data, ref.y, ref.scale, ref.shape, `${label}: forward after error`);
  const b = softPool2dBackward({ data: good.data, shape: GOOD_SHAPE }, { data: goodG, shape: [1, 2, 3, 4] }, GOOD_OPTS);
  const bref = softPool2dBackwardRef(good.data, GOOD_SHAPE, goodG, GOOD_OPTS);
  assertGradInputClose(b.gradInput.data, bref.gradInput, GOOD_SHAPE, `${label}: backward after error`);
  assertGradBetaClose(b.gradBeta, bref.gradBeta, bref.gradBetaScale, `${label}: backward after error`);
}

/**
 * Assert `fn` throws exactly `cls` with a message matching every regex, without allocating or
 * growing wasm memory, and that the module works afterwards.
 */
function expectError(label: string, fn: () => unknown, cls: ErrClass, patterns: RegExp[]): void {
  const before = stats();
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `${label}: expected ${cls.name}, but the call returned normally`);
  assert.ok(caught instanceof Error, `${label}: thrown value is not an Error: ${String(caught)}`);
  assert.equal(caught.constructor, cls, `${label}: expected ${cls.name}, got ${caught.constructor.name}: ${caught.message}`);
  for (const p of patterns) assert.match(caught.message, p, `${label}: message "${caught.message}" should match ${p}`);
  const after = stats();
  assert.equal(after.inUseBytes, before.inUseBytes, `${label}: inUseBytes changed ${before.inUseBytes} -> ${after.inUseBytes}`);
  assert.equal(after.memoryBytes, before.memoryBytes, `${label}: wasm memory grew ${before.memoryBytes} -> ${after.memoryBytes}`);
  assert.equal(after.peakInUseBytes, before.peakInUseBytes, `${label}: memory was allocated (peak ${before.peakInUseBytes} -> ${after.peakInUseBytes})`);
  checkStillWorks(label);
}

const X = () => ({ data: new Float32Array(16), shape: [1, 1, 4, 4] });
const sp = (x: unknown, o: unknown) => () => softPool2d(x as never, o as never);
const bw = (x: unknown, g: unknown, o: unknown) => () => softPool2dBackward(x as never, g as never, o as never);
const G = () => ({ data: new Float32Array(4), shape: [1, 1, 2, 2] });

describe('errors: input tensor x', () => {
  const cases: Array<[string, unknown, ErrClass, RegExp[]]> = [
    ['rank 2 shape [7,9]', { data: new Float32Array(63), shape: [7, 9] }, RangeError, [/shape/, /7, ?9|\b2\b/]],
    ['rank 5 shape [1,1,1,2,2]', { data: new Float32Array(4), shape: [1, 1, 1, 2, 2] }, RangeError, [/shape/, /1, ?1, ?1, ?2, ?2|\b5\b/]],
    ['rank 1 shape [16]', { data: new Float32Array(16), shape: [16] }, RangeError, [/shape/, /16/]],
    ['rank 0 shape []', { data: new Float32Array(1), shape: [] }, RangeError, [/shape/, /\[\]|\b0\b/]],
    ['non-integer dim 2.5', { data: new Float32Array(10), shape: [1, 1, 2.5, 4] }, RangeError, [/shape/, /2\.5/]],
    ['negative dim -3', { data: new Float32Array(12), shape: [1, 1, -3, 4] }, RangeError, [/shape/, /-3/]],
    ['zero dim', { data: new Float32Array(0), shape: [1, 0, 4, 4] }, RangeError, [/shape/, /\b0\b/]],
    ['zero width', { data: new Float32Array(0), shape: [1, 1, 4, 0] }, RangeError, [/shape/, /\b0\b/]],
    ['NaN dim', { data: new Float32Array(16), shape: [1, 1, NaN, 4] }, RangeError, [/shape/, /NaN/]],
    ['Infinity dim', { data: new Float32Array(16), shape: [1, 1, Infinity, 4] }, RangeError, [/shape/, /Infinity/]],
    ['data.length 15 != 16', { data: new Float32Array(15), shape: [1, 1, 4, 4] }, RangeError, [/data|length/, /15/]],
    ['data.length 17 != 16 (rank 3)', { data: new Float32Array(17), shape: [1, 4, 4] }, RangeError, [/data|length/, /17/]],
    ['huge shape, tiny data (no allocation)', { data: new Float32Array(1), shape: [1, 1, 4096, 4096] }, RangeError, [/data|length/]],
    ['data is Float64Array', { data: new Float64Array(16), shape: [1, 1, 4, 4] }, TypeError, [/data/, /Float64Array/]],
    ['data is a plain Array', { data: new Array(16).fill(0), shape: [1, 1, 4, 4] }, TypeError, [/data/, /Array|\[0, 0/]],
    ['data is null', { data: null, shape: [1, 1, 4, 4] }, TypeError, [/data/, /null/]],
    ['data missing', { shape: [1, 1, 4, 4] }, TypeError, [/data/, /undefined/]],
    ['shape missing', { data: new Float32Array(16) }, TypeError, [/shape/, /undefined/]],
    ['shape is a string', { data: new Float32Array(16), shape: '1,1,4,4' }, TypeError, [/shape/, /1,1,4,4/]],
    ['x is a number', 42, TypeError, [/\bx\b/, /42/]],
    ['x is null', null, TypeError, [/\bx\b/, /null/]],
    ['x is undefined', undefined, TypeError, [/\bx\b/, /undefined/]],
    ['x is a bare Float32Array', new Float32Array(16), TypeError, [/\bx\b|data|shape/]],
  ];
  for (const [name, x, cls, pats] of cases) {
    it(`softPool2d: ${name} -> ${cls.name}`, () => expectError(name, sp(x, { kernelSize: 2 }), cls, pats));
    it(`softPool2dBackward: ${name} -> ${cls.name}`, () => expectError(`bw ${name}`, bw(x, G(), { kernelSize: 2 }), cls, pats));
  }
});

describe('errors: options', () => {
  const cases: Array<[string, unknown, ErrClass, RegExp[]]> = [
    ['options missing', undefined, TypeError, [/options/, /undefined/]],
    ['options null', null, TypeError, [/options/, /null/]],
    ['options a number', 2, TypeError, [/options/, /\b2\b/]],
    ['kernelSize missing', {}, TypeError, [/kernelSize/, /undefined|required|missing/]],
    ['kernelSize missing (stride given)', { stride: 2 }, TypeError, [/kernelSize/]],
    ['kernelSize a string', { kernelSize: '2' }, TypeError, [/kernelSize/, /"2"|'2'|\b2\b/]],
    ['kernelSize null', { kernelSize: null }, TypeError, [/kernelSize/, /null/]],
    ['kernelSize 3 entries', { kernelSize: [2, 2, 2] }, RangeError, [/kernelSize/, /2, ?2, ?2|\b3\b/]],
    ['kernelSize 1 entry', { kernelSize: [2] }, RangeError, [/kernelSize/, /\[2\]|\b1\b/]],
    ['kernelSize empty', { kernelSize: [] }, RangeError, [/kernelSize/, /\[\]|\b0\b/]],
    ['stride 3 entries', { kernelSize: 2, stride: [1, 1, 1] }, RangeError, [/stride/, /1, ?1, ?1|\b3\b/]],
    ['padding 3 entries', { kernelSize: 2, padding: [0, 0, 0] }, RangeError, [/padding/, /0, ?0, ?0|\b3\b/]],
    ['kernelSize 0', { kernelSize: 0 }, RangeError, [/kernelSize/, /\b0\b/]],
    ['kernelSize -7', { kernelSize: -7 }, RangeError, [/kernelSize/, /-7/]],
    ['kernelSize 2.5', { kernelSize: 2.5 }, RangeError, [/kernelSize/, /2\.5/]],
    ['kernelSize NaN', { kernelSize: NaN }, RangeError, [/kernelSize/, /NaN/]],
    ['kernelSize Infinity', { kernelSize: Infinity }, RangeError, [/kernelSize/, /Infinity/]],
    ['kernelSize [2, 0]', { kernelSize: [2, 0] }, RangeError, [/kernelSize/, /\b0\b/]],
    ['kernelSize [1.5, 2]', { kernelSize: [1.5, 2] }, RangeError, [/kernelSize/, /1\.5/]],
    ['stride 0', { kernelSize: 2, stride: 0 }, RangeError, [/stride/, /\b0\b/]],
    ['stride -5', { kernelSize: 2, stride: -5 }, RangeError, [/stride/, /-5/]],
    ['stride 1.25', { kernelSize: 2, stride: 1.25 }, RangeError, [/stride/, /1\.25/]],
    ['stride NaN', { kernelSize: 2, stride: NaN }, RangeError, [/stride/, /NaN/]],
    ['stride [1, 0]', { kernelSize: 2, stride: [1, 0] }, RangeError, [/stride/, /\b0\b/]],
    ['padding -3', { kernelSize: 2, padding: -3 }, RangeError, [/padding/, /-3/]],
    ['padding 0.75', { kernelSize: 2, padding: 0.75 }, RangeError, [/padding/, /0\.75/]],
    ['padding NaN', { kernelSize: 2, padding: NaN }, RangeError, [/padding/, /NaN/]],
    ['padding 2 > floor(3/2)', { kernelSize: 3, padding: 2 }, RangeError, [/padding/, /\b2\b/]],
    ['padding 2 > floor(2/2)', { kernelSize: 2, padding: 2 }, RangeError, [/padding/, /\b2\b/]],
    ['padding 1 > floor(1/2)', { kernelSize: 1, padding: 1 }, RangeError, [/padding/, /\b1\b/]],
    ['padding [1, 2] with kernel [2, 3]', { kernelSize: [2, 3], padding: [1, 2] }, RangeError, [/padding/, /\b2\b/]],
    ['output size < 1: kernel 5 on 4x4', { kernelSize: 5 }, RangeError, [/kernelSize|output/, /\b5\b|\b0\b/]],
    ['output size < 1: kernel [1, 7] p [0, 1] on 4x4', { kernelSize: [1, 7], padding: [0, 1] }, RangeError, [/kernelSize|output/, /\b7\b|\b0\b/]],
    ['output size < 1 in ceil mode: kernel 6 stride 2 (ceil(-2/2)+1 = 0)', { kernelSize: 6, stride: 2, ceilMode: true }, RangeError, [/kernelSize|output/, /\b6\b|\b0\b/]],
    ['output size < 1 in ceil mode: kernel 7 stride 1 p 1', { kernelSize: 7, stride: 1, padding: 1, ceilMode: true }, RangeError, [/kernelSize|output/, /\b7\b|-?\b0\b/]],
    ['ceilMode "yes"', { kernelSize: 2, ceilMode: 'yes' }, TypeError, [/ceilMode/, /yes/]],
    ['ceilMode 1', { kernelSize: 2, ceilMode: 1 }, TypeError, [/ceilMode/, /\b1\b/]],
    ['ceilMode null', { kernelSize: 2, ceilMode: null }, TypeError, [/ceilMode/, /null/]],
    ['beta NaN', { kernelSize: 2, beta: NaN }, RangeError, [/beta/, /NaN/]],
    ['beta Infinity', { kernelSize: 2, beta: Infinity }, RangeError, [/beta/, /Infinity/]],
    ['beta -Infinity', { kernelSize: 2, beta: -Infinity }, RangeError, [/beta/, /-Infinity/]],
    ['beta "1"', { kernelSize: 2, beta: '1' }, TypeError, [/beta/, /"1"|'1'|\b1\b/]],
    ['beta null', { kernelSize: 2, beta: null }, TypeError, [/beta/, /null/]],
    ['beta a bigint', { kernelSize: 2, beta: 1n }, TypeError, [/beta/, /1n?/]],
  ];
  for (const [name, opts, cls, pats] of cases) {
    it(`softPool2d: ${name} -> ${cls.name}`, () => expectError(name, sp(X(), opts), cls, pats));
    it(`softPool2dBackward: ${name} -> ${cls.name}`, () => expectError(`bw ${name}`, bw(X(), G(), opts), cls, pats));
  }
});

describe('errors: gradOutput (backward only)', () => {
  const opts = { kernelSize: 2 };
  const cases: Array<[string, unknown, ErrClass, RegExp[]]> = [
    ['shape [1,1,2,3] != forward output [1,1,2,2]', { data: new Float32Array(6), shape: [1, 1, 2, 3] }, RangeError, [/gradOutput/, /2, ?3/]],
    ['shape [1,1,3,2] != forward output [1,1,2,2]', { data: new Float32Array(6), shape: [1, 1, 3, 2] }, RangeError, [/gradOutput/, /3, ?2/]],
    ['shape [2,1,2,2] (batch differs)', { data: new Float32Array(8), shape: [2, 1, 2, 2] }, RangeError, [/gradOutput/, /2, ?1, ?2, ?2/]],
    ['rank 3 shape [1,2,2] for rank-4 x', { data: new Float32Array(4), shape: [1, 2, 2] }, RangeError, [/gradOutput/, /1, ?2, ?2|\b3\b/]],
    ['data.length 5 != 4', { data: new Float32Array(5), shape: [1, 1, 2, 2] }, RangeError, [/gradOutput/, /\b5\b/]],
    ['data.length 3 != 4', { data: new Float32Array(3), shape: [1, 1, 2, 2] }, RangeError, [/gradOutput/, /\b3\b/]],
    ['data is Float64Array', { data: new Float64Array(4), shape: [1, 1, 2, 2] }, TypeError, [/gradOutput/, /Float64Array/]],
    ['data is a plain Array', { data: [0, 0, 0, 0], shape: [1, 1, 2, 2] }, TypeError, [/gradOutput/, /Array|\[0, 0/]],
    ['gradOutput null', null, TypeError, [/gradOutput/, /null/]],
    ['gradOutput a number', 7, TypeError, [/gradOutput/, /\b7\b/]],
    ['gradOutput missing', undefined, TypeError, [/gradOutput/, /undefined/]],
  ];
  for (const [name, g, cls, pats] of cases) {
    it(`softPool2dBackward: gradOutput ${name} -> ${cls.name}`, () => expectError(name, bw(X(), g, opts), cls, pats));
  }
  it('gradOutput shape checked against the ceil-mode output size', () => {
    // x 5x5, k2 s2 ceil -> 3x3; floor-mode size 2x2 must be rejected
    const x = { data: new Float32Array(25), shape: [1, 1, 5, 5] };
    expectError('ceil', bw(x, { data: new Float32Array(4), shape: [1, 1, 2, 2] }, { kernelSize: 2, ceilMode: true }), RangeError, [/gradOutput/, /2, ?2/]);
    const r = softPool2dBackward(x, { data: new Float32Array(9).fill(1), shape: [1, 1, 3, 3] }, { kernelSize: 2, ceilMode: true, beta: 0 });
    assert.deepEqual([...r.gradInput.shape], [1, 1, 5, 5]);
    // corner pixel (4,4) sits alone in the last window: gets the whole g = 1
    assert.equal(r.gradInput.data[24], 1);
  });
  it('a rank-3 x requires a rank-3 gradOutput', () => {
    const x = { data: new Float32Array(16), shape: [1, 4, 4] };
    expectError('rank3', bw(x, G(), opts), RangeError, [/gradOutput/]);
    const r = softPool2dBackward(x, { data: new Float32Array(4), shape: [1, 2, 2] }, opts);
    assert.deepEqual([...r.gradInput.shape], [1, 4, 4]);
  });
});

describe('errors: valid edge values are accepted', () => {
  const x = randTensor(mulberry32(9), [1, 1, 4, 4]);
  const ok: Array<[string, object]> = [
    ['padding = floor(k/2) exactly', { kernelSize: 3, padding: 1 }],
    ['padding [1, 0] with kernel [2, 1]', { kernelSize: [2, 1], padding: [1, 0] }],
    ['kernel equals input', { kernelSize: 4 }],
    ['kernel 5 with padding 1 on 4x4 (fits padded input)', { kernelSize: 5, padding: 1, stride: 1 }],
    ['stride larger than input', { kernelSize: 2, stride: 9 }],
    ['ceilMode false explicit, beta negative', { kernelSize: 2, ceilMode: false, beta: -3 }],
    ['beta = 0', { kernelSize: 2, beta: 0 }],
    ['beta = -0', { kernelSize: 2, beta: -0 }],
    ['beta = 1e-30', { kernelSize: 2, beta: 1e-30 }],
    ['stride/padding undefined explicitly', { kernelSize: 2, stride: undefined, padding: undefined, ceilMode: undefined, beta: undefined }],
  ];
  for (const [name, opts] of ok) {
    it(name, () => {
      const out = softPool2d(x, opts as never);
      const ref = softPool2dRef(x.data, x.shape, opts as never);
      assert.deepEqual([...out.shape], ref.shape);
      assertForwardClose(out.data, ref.y, ref.scale, ref.shape, name);
    });
  }
});
