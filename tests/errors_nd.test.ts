// Bad inputs of the N-d / channels-last / adaptive functions and the layer classes: each throws the
// right class before any wasm memory is touched, with a message naming the argument and the value;
// the module keeps working afterwards.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32, randFloat32, prod, assertForwardClose, assertGradInputClose } from './helpers.ts';
import { lib, api, type Op, type Layer, layerName, refForward, refBackward } from './nd_common.ts';

before(async () => {
  await lib.init();
});

type ErrClass = typeof TypeError | typeof RangeError | typeof Error;

// small good problems, run after every error
const GOOD_X = randFloat32(mulberry32(1), 2 * 3 * 4 * 5);
function checkStillWorks(label: string): void {
  const cases: Array<[Op, number[], object]> = [
    [{ spatial: 1, adaptive: false }, [2, 3, 20], { kernelSize: 3, stride: 2, padding: 1, beta: 1.5 }],
    [{ spatial: 3, adaptive: false }, [1, 2, 3, 4, 5], { kernelSize: 2, stride: 1, beta: -1 }],
    [{ spatial: 2, adaptive: true }, [2, 4, 5, 3], { outputSize: [3, null], dataFormat: 'channelsLast' }],
  ];
  for (const [op, shape, opts] of cases) {
    const fn = `${op.adaptive ? 'adaptiveSoftPool' : 'softPool'}${op.spatial}d` as 'softPool1d';
    const y = api(fn)({ data: GOOD_X, shape }, opts);
    const ref = refForward(op, GOOD_X, shape, opts as never);
    assertForwardClose(y.data, ref.y, ref.scale, ref.shape, `${label}: ${fn} after error`);
    const g = randFloat32(mulberry32(2), y.data.length, -1, 1);
    const b = api(`${fn}Backward` as 'softPool1dBackward')({ data: GOOD_X, shape }, { data: g, shape: y.shape }, opts);
    assertGradInputClose(b.gradInput.data, refBackward(op, GOOD_X, shape, g, opts as never).gradInput, shape, `${label}: ${fn}Backward after error`);
  }
}

function expectError(label: string, fn: () => unknown, cls: ErrClass | ErrClass[], patterns: RegExp[]): void {
  const classes = Array.isArray(cls) ? cls : [cls];
  const before = lib.stats();
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `${label}: expected ${classes.map((c) => c.name).join('/')}, but the call returned normally`);
  assert.ok(caught instanceof Error, `${label}: thrown value is not an Error: ${String(caught)}`);
  assert.ok(classes.includes(caught.constructor as ErrClass),
    `${label}: expected ${classes.map((c) => c.name).join('/')}, got ${caught.constructor.name}: ${caught.message}`);
  for (const p of patterns) assert.match(caught.message, p, `${label}: message "${caught.message}" should match ${p}`);
  const after = lib.stats();
  assert.equal(after.inUseBytes, before.inUseBytes, `${label}: inUseBytes changed ${before.inUseBytes} -> ${after.inUseBytes}`);
  assert.equal(after.memoryBytes, before.memoryBytes, `${label}: wasm memory grew`);
  assert.equal(after.peakInUseBytes, before.peakInUseBytes, `${label}: memory was allocated (peak ${before.peakInUseBytes} -> ${after.peakInUseBytes})`);
  checkStillWorks(label);
}

const T = (shape: number[]) => ({ data: new Float32Array(prod(shape)), shape });
const call = (name: string, ...args: unknown[]) => () => (api(name as 'softPool1d') as (...a: unknown[]) => unknown)(...args);

// ---------------------------------------------------------------------------------------------
describe('errors N-d: rank of x per function and layout', () => {
  // [function, x shape, options, pattern for the shape]
  const cases: Array<[string, number[], object, RegExp]> = [
    ['softPool1d', [16], { kernelSize: 2 }, /\[16\]|\b1\b/],
    ['softPool1d', [1, 1, 1, 16], { kernelSize: 2 }, /1, ?1, ?1, ?16|\b4\b/],
    ['softPool1d', [1, 1, 1, 16], { kernelSize: 2, dataFormat: 'channelsLast' }, /1, ?1, ?1, ?16|\b4\b/],
    ['softPool1d', [16], { kernelSize: 2, dataFormat: 'channelsLast' }, /\[16\]|\b1\b/],
    ['softPool2d', [4, 4], { kernelSize: 2, dataFormat: 'channelsLast' }, /4, ?4|\b2\b/],
    ['softPool2d', [1, 1, 1, 4, 4], { kernelSize: 2, dataFormat: 'channelsLast' }, /1, ?1, ?1, ?4, ?4|\b5\b/],
    ['softPool3d', [4, 4, 4], { kernelSize: 2 }, /4, ?4, ?4|\b3\b/],
    ['softPool3d', [1, 1, 1, 2, 2, 2], { kernelSize: 2 }, /1, ?1, ?1, ?2, ?2, ?2|\b6\b/],
    ['softPool3d', [4, 4, 4], { kernelSize: 2, dataFormat: 'channelsLast' }, /4, ?4, ?4|\b3\b/],
    ['softPool3d', [], { kernelSize: 2 }, /\[\]|\b0\b/],
    ['adaptiveSoftPool1d', [8], { outputSize: 2 }, /\[8\]|\b1\b/],
    ['adaptiveSoftPool1d', [1, 1, 2, 8], { outputSize: 2 }, /1, ?1, ?2, ?8|\b4\b/],
    ['adaptiveSoftPool2d', [8, 8], { outputSize: 2 }, /8, ?8|\b2\b/],
    ['adaptiveSoftPool2d', [1, 1, 1, 8, 8], { outputSize: 2, dataFormat: 'channelsLast' }, /1, ?1, ?1, ?8, ?8|\b5\b/],
    ['adaptiveSoftPool3d', [2, 4, 4], { outputSize: 2 }, /2, ?4, ?4|\b3\b/],
    ['adaptiveSoftPool3d', [1, 1, 2, 2, 2, 2], { outputSize: 1, dataFormat: 'channelsLast' }, /1, ?1, ?2, ?2, ?2, ?2|\b6\b/],
  ];
  for (const [fn, shape, opts, pat] of cases) {
    it(`${fn} x.shape [${shape}] ${JSON.stringify(opts)} -> RangeError`, () => expectError(`${fn} [${shape}]`, call(fn, T(shape), opts), RangeError, [/shape/, pat]));
    const os = [...shape];
    it(`${fn}Backward x.shape [${shape}] -> RangeError`, () => expectError(`${fn}Backward [${shape}]`, call(`${fn}Backward`, T(shape), T(os.length ? os : [1]), opts), RangeError, [/shape/, pat]));
  }
  const other: Array<[string, unknown, ErrClass, RegExp[]]> = [
    ['data.length 15 for [1,1,16]', { data: new Float32Array(15), shape: [1, 1, 16] }, RangeError, [/data|length/, /15/]],
    ['data is Float64Array', { data: new Float64Array(16), shape: [1, 1, 16] }, TypeError, [/data/, /Float64Array/]],
    ['zero dim', { data: new Float32Array(0), shape: [1, 0, 16] }, RangeError, [/shape/, /\b0\b/]],
    ['dim 2.5', { data: new Float32Array(16), shape: [1, 1, 2.5] }, RangeError, [/shape/, /2\.5/]],
    ['x null', null, TypeError, [/\bx\b/, /null/]],
  ];
  for (const [name, x, cls, pats] of other) {
    it(`softPool1d: ${name} -> ${cls.name}`, () => expectError(name, call('softPool1d', x, { kernelSize: 2 }), cls, pats));
    it(`adaptiveSoftPool1d: ${name} -> ${cls.name}`, () => expectError(name, call('adaptiveSoftPool1d', x, { outputSize: 2 }), cls, pats));
  }
  it('softPool3d: data.length mismatch in channelsLast', () =>
    expectError('3d cl', call('softPool3d', { data: new Float32Array(23), shape: [2, 2, 2, 3] }, { kernelSize: 2, dataFormat: 'channelsLast' }), RangeError, [/data|length/, /23/]));
});

// ---------------------------------------------------------------------------------------------
describe('errors N-d: kernelSize / stride / padding per dim', () => {
  const cases: Array<[string, number[], unknown, ErrClass, RegExp[]]> = [
    ['softPool1d', [1, 1, 8], { kernelSize: [2, 2] }, RangeError, [/kernelSize/, /2, ?2|\b2\b/]],
    ['softPool1d', [1, 1, 8], { kernelSize: [] }, RangeError, [/kernelSize/, /\[\]|\b0\b/]],
    ['softPool1d', [1, 1, 8], { kernelSize: 2, stride: [1, 1] }, RangeError, [/stride/]],
    ['softPool1d', [1, 1, 8], { kernelSize: 2, padding: [1, 1] }, RangeError, [/padding/]],
    ['softPool1d', [1, 1, 8], { kernelSize: 0 }, RangeError, [/kernelSize/, /\b0\b/]],
    ['softPool1d', [1, 1, 8], { kernelSize: 9 }, RangeError, [/kernelSize|output/, /\b9\b|\b0\b/]],
    ['softPool1d', [1, 1, 8], { kernelSize: 3, padding: 2 }, RangeError, [/padding/, /\b2\b/]],
    ['softPool1d', [1, 1, 8], { kernelSize: 2, stride: 1.5 }, RangeError, [/stride/, /1\.5/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [2, 2] }, RangeError, [/kernelSize/, /2, ?2|\b2\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [2, 2, 2, 2] }, RangeError, [/kernelSize/, /2, ?2, ?2, ?2|\b4\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: 2, stride: [1, 1] }, RangeError, [/stride/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: 2, padding: [0, 0, 0, 0] }, RangeError, [/padding/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [2, 0, 2] }, RangeError, [/kernelSize/, /\b0\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [2, 2, 2], stride: [1, -1, 1] }, RangeError, [/stride/, /-1/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [2, 2, 3], padding: [1, 1, 2] }, RangeError, [/padding/, /\b2\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [2, 3, 2], padding: [0, 1.5, 0] }, RangeError, [/padding/, /1\.5/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [5, 1, 1] }, RangeError, [/kernelSize|output/, /\b5\b|\b0\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [1, 1, 7], padding: [0, 0, 1] }, RangeError, [/kernelSize|output/, /\b7\b|\b0\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [1, 6, 1], stride: [1, 2, 1], ceilMode: true }, RangeError, [/kernelSize|output/, /\b6\b|\b0\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: '2' }, TypeError, [/kernelSize/, /"2"|\b2\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: [2, '2', 2] }, TypeError, [/kernelSize/, /"2"|\b2\b/]],
    ['softPool3d', [1, 1, 4, 4, 4], {}, TypeError, [/kernelSize/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: 2, beta: NaN }, RangeError, [/beta/, /NaN/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: 2, beta: '1' }, TypeError, [/beta/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: 2, ceilMode: 'yes' }, TypeError, [/ceilMode/, /yes/]],
    ['softPool3d', [1, 1, 4, 4, 4], { kernelSize: 2, outputSize: 2 }, TypeError, [/outputSize/]], // unknown key for the plain op
    ['softPool1d', [1, 1, 8], { kernelSize: 2, kernel_size: 2 }, TypeError, [/kernel_size/]],
    ['softPool1d', [1, 1, 8], null, TypeError, [/options/, /null/]],
    ['softPool3d', [1, 1, 4, 4, 4], undefined, TypeError, [/options/, /undefined/]],
  ];
  for (const [fn, shape, opts, cls, pats] of cases) {
    it(`${fn} ${JSON.stringify(opts) ?? 'undefined'} -> ${cls.name}`, () => expectError(`${fn} ${JSON.stringify(opts)}`, call(fn, T(shape), opts), cls, pats));
    it(`${fn}Backward ${JSON.stringify(opts) ?? 'undefined'} -> ${cls.name}`, () =>
      expectError(`${fn}Backward ${JSON.stringify(opts)}`, call(`${fn}Backward`, T(shape), T(shape.map(() => 1)), opts), cls, pats));
  }
});

// ---------------------------------------------------------------------------------------------
describe('errors N-d: dataFormat', () => {
  const bad: Array<[unknown, RegExp]> = [
    ['NHWC', /NHWC/], ['channels_last', /channels_last/], ['ChannelsLast', /ChannelsLast/], ['channelsfirst', /channelsfirst/],
    ['', /""|''/], [null, /null/], [1, /\b1\b/], [true, /true/], [['channelsLast'], /channelsLast|Array/],
  ];
  const fns: Array<[string, number[], object]> = [
    ['softPool1d', [1, 2, 8], { kernelSize: 2 }],
    ['softPool2d', [1, 2, 4, 4], { kernelSize: 2 }],
    ['softPool3d', [1, 2, 2, 4, 4], { kernelSize: 2 }],
    ['adaptiveSoftPool1d', [1, 2, 8], { outputSize: 2 }],
    ['adaptiveSoftPool2d', [1, 2, 4, 4], { outputSize: 2 }],
    ['adaptiveSoftPool3d', [1, 2, 2, 4, 4], { outputSize: 1 }],
  ];
  for (const [fn, shape, opts] of fns) {
    for (const [value, pat] of bad) {
      const o = { ...opts, dataFormat: value };
      it(`${fn} dataFormat ${JSON.stringify(value)} -> TypeError/RangeError naming dataFormat and the value`, () =>
        expectError(`${fn} ${JSON.stringify(value)}`, call(fn, T(shape), o), [TypeError, RangeError], [/dataFormat/, pat]));
    }
    it(`${fn}Backward dataFormat "NHWC" -> TypeError/RangeError`, () =>
      expectError(`${fn}Backward NHWC`, call(`${fn}Backward`, T(shape), T([1, 2, 1, 1, 1].slice(0, shape.length)), { ...opts, dataFormat: 'NHWC' }),
        [TypeError, RangeError], [/dataFormat/, /NHWC/]));
  }
});

// ---------------------------------------------------------------------------------------------
describe('errors N-d: adaptive outputSize', () => {
  const cases: Array<[string, number[], unknown, ErrClass, RegExp[]]> = [
    ['adaptiveSoftPool1d', [1, 2, 8], 0, RangeError, [/\b0\b/]],
    ['adaptiveSoftPool1d', [1, 2, 8], -1, RangeError, [/-1/]],
    ['adaptiveSoftPool1d', [1, 2, 8], 1.5, RangeError, [/1\.5/]],
    ['adaptiveSoftPool1d', [1, 2, 8], NaN, RangeError, [/NaN/]],
    ['adaptiveSoftPool1d', [1, 2, 8], Infinity, RangeError, [/Infinity/]],
    ['adaptiveSoftPool1d', [1, 2, 8], [2, 2], RangeError, [/2, ?2|\b2\b/]],
    ['adaptiveSoftPool1d', [1, 2, 8], [], RangeError, [/\[\]|\b0\b/]],
    ['adaptiveSoftPool1d', [1, 2, 8], [0], RangeError, [/\b0\b/]],
    ['adaptiveSoftPool1d', [1, 2, 8], '2', TypeError, [/"2"|\b2\b/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], 0, RangeError, [/\b0\b/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], -1, RangeError, [/-1/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], 1.5, RangeError, [/1\.5/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], NaN, RangeError, [/NaN/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], [2], RangeError, [/\[2\]|\b1\b/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], [2, 2, 2], RangeError, [/2, ?2, ?2|\b3\b/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], [2, 0], RangeError, [/\b0\b/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], [null, 1.5], RangeError, [/1\.5/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], [NaN, 2], RangeError, [/NaN/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], [2, -3], RangeError, [/-3/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], [2, '2'], TypeError, [/"2"|\b2\b/]],
    ['adaptiveSoftPool2d', [1, 2, 8, 8], { h: 2, w: 2 }, TypeError, [/object|h/]],
    ['adaptiveSoftPool3d', [1, 2, 4, 4, 4], 0, RangeError, [/\b0\b/]],
    ['adaptiveSoftPool3d', [1, 2, 4, 4, 4], 1.5, RangeError, [/1\.5/]],
    ['adaptiveSoftPool3d', [1, 2, 4, 4, 4], [2, 2], RangeError, [/2, ?2|\b2\b/]],
    ['adaptiveSoftPool3d', [1, 2, 4, 4, 4], [2, 2, 2, 2], RangeError, [/2, ?2, ?2, ?2|\b4\b/]],
    ['adaptiveSoftPool3d', [1, 2, 4, 4, 4], [2, null, -1], RangeError, [/-1/]],
    ['adaptiveSoftPool3d', [1, 2, 4, 4, 4], [2, NaN, 1], RangeError, [/NaN/]],
    ['adaptiveSoftPool3d', [1, 2, 4, 4, 4], undefined, TypeError, [/undefined|required|missing/]],
  ];
  for (const [fn, shape, outputSize, cls, pats] of cases) {
    const desc = Number.isNaN(outputSize) ? 'NaN' : outputSize === Infinity ? 'Infinity' : JSON.stringify(outputSize) ?? 'undefined';
    const opts = outputSize === undefined ? { beta: 1 } : { outputSize };
    it(`${fn} outputSize ${desc} -> ${cls.name}`, () =>
      expectError(`${fn} outputSize ${desc}`, call(fn, T(shape), opts), cls, [/outputSize/, ...pats]));
    it(`${fn}Backward outputSize ${desc} -> ${cls.name}`, () =>
      expectError(`${fn}Backward outputSize ${desc}`, call(`${fn}Backward`, T(shape), T(shape.map(() => 1)), opts), cls, [/outputSize/, ...pats]));
  }
  const other: Array<[string, object, ErrClass, RegExp[]]> = [
    ['kernelSize given to an adaptive op (unknown key)', { outputSize: 2, kernelSize: 2 }, TypeError, [/kernelSize/]],
    ['ceilMode given to an adaptive op (unknown key)', { outputSize: 2, ceilMode: true }, TypeError, [/ceilMode/]],
    ['beta NaN', { outputSize: 2, beta: NaN }, RangeError, [/beta/, /NaN/]],
    ['beta Infinity', { outputSize: 2, beta: Infinity }, RangeError, [/beta/, /Infinity/]],
    ['beta null', { outputSize: 2, beta: null }, TypeError, [/beta/, /null/]],
  ];
  for (const [name, opts, cls, pats] of other) {
    it(`adaptiveSoftPool2d ${name} -> ${cls.name}`, () => expectError(name, call('adaptiveSoftPool2d', T([1, 2, 8, 8]), opts), cls, pats));
  }
  it('options null / a number -> TypeError naming options', () => {
    expectError('null', call('adaptiveSoftPool1d', T([1, 2, 8]), null), TypeError, [/options/, /null/]);
    expectError('number', call('adaptiveSoftPool3d', T([1, 2, 4, 4, 4]), 2), TypeError, [/options/, /\b2\b/]);
  });
  it('valid edge values are accepted: outputSize larger than the input, all-null, [1, null, 1]', () => {
    const x = randFloat32(mulberry32(3), 2 * 3 * 4 * 5);
    for (const [fn, shape, outputSize, want] of [
      ['adaptiveSoftPool1d', [2, 3, 20], 41, [2, 3, 41]],
      ['adaptiveSoftPool2d', [2, 3, 4, 5], [null, null], [2, 3, 4, 5]],
      ['adaptiveSoftPool3d', [2, 3, 4, 5], [1, null, 1], [2, 1, 4, 1]],
    ] as Array<[string, number[], unknown, number[]]>) {
      const y = (api(fn as 'softPool1d') as (x: unknown, o: unknown) => { shape: readonly number[] })({ data: x, shape }, { outputSize });
      assert.deepEqual([...y.shape], want, fn);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('errors N-d: gradOutput shape', () => {
  const cases: Array<[string, number[], object, number[], string]> = [
    ['softPool1dBackward', [1, 2, 8], { kernelSize: 2 }, [1, 2, 5], 'length one off'],
    ['softPool1dBackward', [1, 2, 8], { kernelSize: 2 }, [2, 4], 'rank 2 for a rank-3 x'],
    ['softPool1dBackward', [1, 2, 9], { kernelSize: 2, ceilMode: true }, [1, 2, 4], 'floor size in ceil mode'],
    ['softPool1dBackward', [1, 8, 2], { kernelSize: 2, dataFormat: 'channelsLast' }, [1, 2, 4], 'channels-first shape for a channelsLast call'],
    ['softPool2dBackward', [1, 4, 6, 3], { kernelSize: 2, dataFormat: 'channelsLast' }, [1, 3, 2, 3], 'channels-first shape (channelsLast)'],
    ['softPool3dBackward', [1, 2, 4, 4, 4], { kernelSize: 2 }, [1, 2, 2, 2, 3], 'W one off'],
    ['softPool3dBackward', [1, 2, 4, 4, 4], { kernelSize: 2 }, [1, 2, 2, 2], 'rank 4 for a rank-5 x'],
    ['softPool3dBackward', [1, 2, 4, 4, 4], { kernelSize: [2, 1, 2] }, [1, 2, 2, 2, 2], 'H kernel 1 keeps 4'],
    ['softPool3dBackward', [2, 4, 4, 4, 3], { kernelSize: 2, dataFormat: 'channelsLast' }, [2, 3, 2, 2, 2], 'channels-first shape (channelsLast)'],
    ['adaptiveSoftPool1dBackward', [1, 2, 7], { outputSize: 3 }, [1, 2, 4], 'length one off'],
    ['adaptiveSoftPool2dBackward', [1, 2, 7, 5], { outputSize: [3, null] }, [1, 2, 3, 3], 'null keeps 5, not 3'],
    ['adaptiveSoftPool3dBackward', [1, 2, 3, 4, 5], { outputSize: 2 }, [2, 2, 2, 2, 1], 'batch differs'],
    ['adaptiveSoftPool3dBackward', [3, 4, 5, 2], { outputSize: [1, 2, 3], dataFormat: 'channelsLast' }, [2, 1, 2, 3], 'channels-first shape (channelsLast)'],
  ];
  for (const [fn, xs, opts, gs, name] of cases) {
    it(`${fn} ${name}: gradOutput [${gs}] -> RangeError naming gradOutput`, () =>
      expectError(`${fn} ${name}`, call(fn, T(xs), T(gs), opts), RangeError, [/gradOutput/, new RegExp(gs.join(', ?'))]));
  }
  const bad: Array<[string, unknown, ErrClass, RegExp[]]> = [
    ['data.length 5 for [1,2,2]', { data: new Float32Array(5), shape: [1, 2, 2] }, RangeError, [/gradOutput/, /\b5\b/]],
    ['data Float64Array', { data: new Float64Array(4), shape: [1, 2, 2] }, TypeError, [/gradOutput/, /Float64Array/]],
    ['gradOutput null', null, TypeError, [/gradOutput/, /null/]],
    ['gradOutput missing', undefined, TypeError, [/gradOutput/, /undefined/]],
  ];
  for (const [name, g, cls, pats] of bad) {
    it(`softPool1dBackward gradOutput ${name} -> ${cls.name}`, () => expectError(name, call('softPool1dBackward', T([1, 2, 4]), g, { kernelSize: 2 }), cls, pats));
    it(`adaptiveSoftPool1dBackward gradOutput ${name} -> ${cls.name}`, () => expectError(name, call('adaptiveSoftPool1dBackward', T([1, 2, 4]), g, { outputSize: 2 }), cls, pats));
  }
});

// ---------------------------------------------------------------------------------------------
describe('errors N-d: layer classes', () => {
  const layers: Array<[Op, object, number[]]> = [
    [{ spatial: 1, adaptive: false }, { kernelSize: 2 }, [1, 2, 8]],
    [{ spatial: 2, adaptive: false }, { kernelSize: 2 }, [1, 2, 4, 4]],
    [{ spatial: 3, adaptive: false }, { kernelSize: 2 }, [1, 2, 2, 4, 4]],
    [{ spatial: 1, adaptive: true }, { outputSize: 3 }, [1, 2, 8]],
    [{ spatial: 2, adaptive: true }, { outputSize: [2, null] }, [1, 2, 4, 4]],
    [{ spatial: 3, adaptive: true }, { outputSize: 1 }, [1, 2, 2, 4, 4]],
  ];
  const make = (op: Op, opts: object): Layer => new (api(layerName(op)))(opts);
  for (const [op, opts, shape] of layers) {
    const name = layerName(op);
    it(`${name}: backward before any forward -> Error mentioning forward`, () => {
      const layer = make(op, opts);
      const os = op.adaptive ? shape : shape.map((d, i) => (i < 2 ? d : Math.floor(d / 2)));
      expectError(`${name} backward first`, () => layer.backward(T(os)), [Error, RangeError, TypeError], [/forward/i]);
    });
    it(`${name}: backward with the wrong gradient shape -> Error/RangeError mentioning the shape`, () => {
      const layer = make(op, opts);
      const y = layer.forward({ data: randFloat32(mulberry32(4), prod(shape)), shape });
      const wrong = [...y.shape];
      wrong[wrong.length - 1] += 1;
      expectError(`${name} wrong gradient shape`, () => layer.backward(T(wrong)), [RangeError, Error], [/shape/i]);
      const fewer = y.shape.slice(1);
      expectError(`${name} wrong gradient rank`, () => layer.backward(T(fewer)), [RangeError, Error], [/shape|rank/i]);
      expectError(`${name} gradient null`, () => layer.backward(null as never), [TypeError, RangeError], [/grad|tensor/i]);
    });
    it(`${name}: forward with a wrong-rank input -> RangeError naming the shape`, () => {
      const layer = make(op, opts);
      expectError(`${name} rank`, () => layer.forward(T([...shape, 1, 1])), RangeError, [/shape/]);
    });
    it(`${name}: bad options are rejected at construction or at the first forward`, () => {
      const badOpts: Array<[object, ErrClass | ErrClass[], RegExp]> = op.adaptive
        ? [[{ outputSize: 0 }, RangeError, /outputSize/], [{ outputSize: 1.5 }, RangeError, /outputSize/], [{}, TypeError, /outputSize/],
          [{ outputSize: 2, dataFormat: 'NHWC' }, [TypeError, RangeError], /dataFormat/], [{ outputSize: 2, beta: NaN }, RangeError, /beta/]]
        : [[{ kernelSize: 0 }, RangeError, /kernelSize/], [{}, TypeError, /kernelSize/], [{ kernelSize: 2, dataFormat: 'NHWC' }, [TypeError, RangeError], /dataFormat/],
          [{ kernelSize: 2, beta: NaN }, RangeError, /beta/], [{ kernelSize: [2, 2, 2, 2] }, RangeError, /kernelSize/]];
      for (const [bad, cls, pat] of badOpts) {
        expectError(`${name} ${JSON.stringify(bad)}`, () => make(op, bad).forward({ data: randFloat32(mulberry32(5), prod(shape)), shape }), cls, [pat]);
      }
    });
    it(`${name}: beta set to NaN / Infinity / a string is rejected (at assignment or next forward) naming beta`, () => {
      for (const v of [NaN, Infinity, '2']) {
        const layer = make(op, opts);
        expectError(`${name} beta=${String(v)}`, () => {
          (layer as { beta: unknown }).beta = v;
          layer.forward({ data: randFloat32(mulberry32(6), prod(shape)), shape });
        }, [RangeError, TypeError], [/beta/]);
      }
    });
  }
});
