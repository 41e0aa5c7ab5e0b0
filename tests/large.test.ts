// Large problems (several MiB): the loader may stream them through wasm memory in pieces (whole
// planes / batch items, or bands of output rows with overlapping input rows whose gradients are
// added). Whatever it does internally, results must equal the reference, and the batched result
// must equal the per-item results.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32, randFloat32, prod, assertBitsEqual, shapeStr } from './helpers.ts';
import {
  lib, api, type Op, type AnyOpts, checkForward, checkBackward, fwdName, bwdName, layerName, sprinkle, extremeData,
  assertSameResult, refForward, refBackward,
} from './nd_common.ts';
import { assertForwardClose, assertGradInputClose, assertGradBetaClose } from './helpers.ts';

before(async () => {
  await lib.init();
});

const P1: Op = { spatial: 1, adaptive: false };
const P2: Op = { spatial: 2, adaptive: false };
const P3: Op = { spatial: 3, adaptive: false };
const A2: Op = { spatial: 2, adaptive: true };

// [op, shape, options, data kind]
const CASES: Array<[Op, number[], AnyOpts, 'normal' | 'special' | 'huge']> = [
  [P2, [1, 1, 600, 600], { kernelSize: 3, stride: 1, padding: 1, beta: 4 }, 'special'], // one plane, overlapping rows
  [P2, [1, 1, 760, 700], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, beta: -1 }, 'huge'],
  [P2, [8, 16, 90, 90], { kernelSize: 2, beta: -1 }, 'normal'], // many planes
  [P1, [1, 1, 500_000], { kernelSize: 5, stride: 2, padding: 2, beta: 0.5 }, 'normal'], // one long row
  [P3, [1, 1, 48, 110, 100], { kernelSize: [2, 3, 3], stride: 2, padding: [0, 1, 1], beta: 1 }, 'normal'], // cut along D
  [P3, [1, 1, 2, 500, 500], { kernelSize: [2, 3, 3], stride: 1, padding: [0, 1, 1], beta: 0 }, 'normal'], // D fully pooled
  [P2, [2, 320, 320, 6], { kernelSize: 3, stride: 2, padding: 1, beta: 1, dataFormat: 'channelsLast' }, 'normal'], // big batch items
  [P3, [1, 32, 100, 64, 5], { kernelSize: 2, stride: [2, 1, 2], beta: 4, dataFormat: 'channelsLast' }, 'special'],
  [A2, [1, 1, 1100, 1000], { outputSize: [9, 13], beta: 1 }, 'normal'], // adaptive, one big plane
  [A2, [2, 300, 300, 8], { outputSize: [7, null], beta: -1, dataFormat: 'channelsLast' }, 'normal'],
  [A2, [4, 8, 180, 180], { outputSize: [5, 7], beta: 0.5 }, 'special'],
];

describe('large problems vs the reference', () => {
  let seed = 95_000;
  for (const [op, shape, opts, kind] of CASES) {
    const s = seed++;
    it(`${fwdName(op)} x${shapeStr(shape)} ${JSON.stringify(opts)} ${kind}`, () => {
      const rng = mulberry32(s);
      const n = prod(shape);
      let x = randFloat32(rng, n);
      if (kind === 'special') x = sprinkle(rng, x, 0.003, (opts.beta ?? 1) === 0 ? 0 : 0.003, 0.0005);
      if (kind === 'huge') x = extremeData(rng, n, [3e38 / 1.5, -3e38 / 1.5, 1e30, -1e30, 1, 0]);
      const y = checkForward(op, x, shape, opts);
      if (kind !== 'special') assert.ok(y.every(Number.isFinite), 'finite output');
      const g = randFloat32(rng, y.length, -1, 1);
      checkBackward(op, x, shape, g, opts);
    });
  }
});

describe('large problems: batched result equals per-item results', () => {
  const cases: Array<[Op, number[], AnyOpts]> = [
    [P2, [6, 8, 100, 100], { kernelSize: 3, stride: 1, padding: 1, beta: 2 }],
    [P2, [4, 200, 200, 8], { kernelSize: 2, stride: 1, beta: -1, dataFormat: 'channelsLast' }],
    [A2, [6, 8, 100, 100], { outputSize: [7, 9], beta: 1 }],
  ];
  let seed = 96_000;
  for (const [op, shape, opts] of cases) {
    const s = seed++;
    it(`${fwdName(op)} x${shapeStr(shape)} ${JSON.stringify(opts)}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, prod(shape));
      const y = api(fwdName(op))({ data: x, shape }, opts);
      const g = randFloat32(rng, y.data.length, -1, 1);
      const b = api(bwdName(op))({ data: x, shape }, { data: g, shape: y.shape }, opts);
      const N = shape[0], inItem = prod(shape.slice(1)), outItem = prod(y.shape.slice(1));
      let gb = 0;
      for (let i = 0; i < N; i++) {
        const xi = x.subarray(i * inItem, (i + 1) * inItem), gi = g.subarray(i * outItem, (i + 1) * outItem);
        const yi = api(fwdName(op))({ data: xi, shape: [1, ...shape.slice(1)] }, opts);
        assertSameResult(y.data.subarray(i * outItem, (i + 1) * outItem), yi.data, yi.shape, `forward item ${i}`);
        const bi = api(bwdName(op))({ data: xi, shape: [1, ...shape.slice(1)] }, { data: gi, shape: yi.shape }, opts);
        assertSameResult(b.gradInput.data.subarray(i * inItem, (i + 1) * inItem), bi.gradInput.data, bi.gradInput.shape, `gradInput item ${i}`);
        gb += bi.gradBeta;
      }
      assert.ok(Math.abs(b.gradBeta - gb) <= 1e-6 * Math.max(1, Math.abs(gb)), `gradBeta ${b.gradBeta} vs sum over items ${gb}`);
    });
  }
});

describe('large problems: layers, inputs untouched, memory released', () => {
  it('SoftPool2d layer on a 600x600 plane equals the reference; input and gradient arrays unchanged', () => {
    const rng = mulberry32(97);
    const shape = [1, 1, 600, 600];
    const opts = { kernelSize: 3, stride: 1, padding: 1, beta: 1.5 };
    const x = randFloat32(rng, prod(shape));
    const xc = x.slice();
    const layer = new (api(layerName(P2)))(opts);
    const y = layer.forward({ data: x, shape });
    const ref = refForward(P2, x, shape, opts);
    assertForwardClose(y.data, ref.y, ref.scale, ref.shape, 'layer forward');
    const g = randFloat32(rng, y.data.length, -1, 1);
    const gc = g.slice();
    const gi = layer.backward({ data: g, shape: y.shape });
    const bref = refBackward(P2, x, shape, g, opts);
    assertGradInputClose(gi.data, bref.gradInput, shape, 'layer backward');
    assertGradBetaClose(layer.gradBeta, bref.gradBeta, bref.gradBetaScale, 'layer gradBeta');
    assertBitsEqual(x, xc, 'x');
    assertBitsEqual(g, gc, 'g');
  });
  it('inUseBytes returns to its start after large calls', () => {
    const before = lib.stats().inUseBytes;
    const rng = mulberry32(98);
    const x = randFloat32(rng, 1 * 1 * 700 * 700);
    const y = api('softPool2d')({ data: x, shape: [1, 1, 700, 700] }, { kernelSize: 3, stride: 1, padding: 1 });
    api('softPool2dBackward')({ data: x, shape: [1, 1, 700, 700] }, { data: y.data, shape: y.shape }, { kernelSize: 3, stride: 1, padding: 1 });
    api('softPool3d')({ data: x, shape: [1, 1, 7, 100, 700] }, { kernelSize: 2 });
    api('adaptiveSoftPool1d')({ data: x, shape: [1, 1, 490_000] }, { outputSize: 3 });
    assert.equal(lib.stats().inUseBytes, before);
  });
});

