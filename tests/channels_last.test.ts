// dataFormat: 'channelsLast' for every function: against the reference, and equal (1e-6 relative)
// to the channels-first result on the transposed input, outputs and gradients transposed back.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { toChannelsLast, toChannelsFirst, shapeToChannelsLast } from './reference.ts';
import { mulberry32, randFloat32, prod, assertBitsEqual, shapeStr } from './helpers.ts';
import {
  lib, api, type Op, type AnyOpts, checkForward, checkBackward, checkLayoutAgreement, checkLibraryAgainstFiniteDifferences,
  outShapeOf, fwdName, bwdName, extremeData, EXTREME_POOLS, sprinkle,
} from './nd_common.ts';

before(async () => {
  await lib.init();
});

const CHANNELS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17, 33];
const BETAS = [0, 0.5, 1, 4, -1];

const P1: Op = { spatial: 1, adaptive: false };
const P2: Op = { spatial: 2, adaptive: false };
const P3: Op = { spatial: 3, adaptive: false };
const A1: Op = { spatial: 1, adaptive: true };
const A2: Op = { spatial: 2, adaptive: true };
const A3: Op = { spatial: 3, adaptive: true };

/** For each op: a channels-first spatial shape (without N, C) and a few option sets. */
const SUITES: Array<{ op: Op; spatial: number[]; cfgs: AnyOpts[] }> = [
  { op: P1, spatial: [11], cfgs: [{ kernelSize: 2 }, { kernelSize: 3, stride: 1, padding: 1 }, { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }] },
  { op: P2, spatial: [5, 7], cfgs: [{ kernelSize: 2 }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }, { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0] }] },
  { op: P3, spatial: [3, 4, 5], cfgs: [{ kernelSize: 2 }, { kernelSize: [2, 3, 2], stride: 1, padding: [1, 1, 0], ceilMode: true }, { kernelSize: [3, 1, 2], stride: [2, 1, 2], padding: [1, 0, 1] }] },
  { op: A1, spatial: [7], cfgs: [{ outputSize: 3 }, { outputSize: 9 }, { outputSize: 1 }] },
  { op: A2, spatial: [5, 6], cfgs: [{ outputSize: [3, 4] }, { outputSize: [null, 2] }, { outputSize: 7 }] },
  { op: A3, spatial: [3, 5, 4], cfgs: [{ outputSize: [2, 3, 3] }, { outputSize: [5, null, 1] }, { outputSize: 2 }] },
];

describe('channelsLast: channel sweep (SIMD tails in C), agreement with channelsFirst', () => {
  let seed = 50_000;
  for (const { op, spatial, cfgs } of SUITES) {
    CHANNELS.forEach((C, i) => {
      const cfg = cfgs[i % cfgs.length];
      const beta = BETAS[i % BETAS.length];
      const s = seed++;
      it(`${fwdName(op)} C=${C} beta=${beta} ${JSON.stringify(cfg)}`, () => {
        const rng = mulberry32(s);
        const cf = [2, C, ...spatial];
        const x = randFloat32(rng, prod(cf));
        const g = randFloat32(rng, prod(outShapeOf(op, cf, cfg)), -1, 1);
        checkLayoutAgreement(op, x, cf, g, { ...cfg, beta });
      });
    });
  }
});

describe('channelsLast: every config and beta, unbatched shapes', () => {
  let seed = 51_000;
  for (const { op, spatial, cfgs } of SUITES) {
    for (const cfg of cfgs) {
      for (const beta of BETAS) {
        const s = seed++;
        it(`${fwdName(op)} beta=${beta} ${JSON.stringify(cfg)} (batched [2,...,5] and unbatched [...,3])`, () => {
          const rng = mulberry32(s);
          for (const cf of [[2, 5, ...spatial], [3, ...spatial]]) {
            const x = randFloat32(rng, prod(cf));
            const g = randFloat32(rng, prod(outShapeOf(op, cf, cfg)), -1, 1);
            checkLayoutAgreement(op, x, cf, g, { ...cfg, beta });
          }
        });
      }
    }
  }
});

describe('channelsLast: shapes', () => {
  const cases: Array<[Op, number[], AnyOpts, number[]]> = [
    [P1, [9, 3], { kernelSize: 2, dataFormat: 'channelsLast' }, [4, 3]],
    [P1, [2, 9, 3], { kernelSize: 2, dataFormat: 'channelsLast' }, [2, 4, 3]],
    [P2, [6, 7, 5], { kernelSize: [2, 3], dataFormat: 'channelsLast' }, [3, 2, 5]],
    [P2, [2, 6, 7, 5], { kernelSize: [2, 3], ceilMode: true, dataFormat: 'channelsLast' }, [2, 3, 3, 5]],
    [P3, [4, 5, 6, 2], { kernelSize: [1, 2, 3], dataFormat: 'channelsLast' }, [4, 2, 2, 2]],
    [P3, [3, 4, 5, 6, 2], { kernelSize: 2, stride: 1, padding: 1, dataFormat: 'channelsLast' }, [3, 5, 6, 7, 2]],
    [A1, [7, 4], { outputSize: 3, dataFormat: 'channelsLast' }, [3, 4]],
    [A2, [2, 5, 7, 3], { outputSize: [null, 2], dataFormat: 'channelsLast' }, [2, 5, 2, 3]],
    [A3, [3, 4, 5, 6], { outputSize: [1, 2, 3], dataFormat: 'channelsLast' }, [1, 2, 3, 6]],
  ];
  let seed = 52_000;
  for (const [op, shape, opts, want] of cases) {
    const s = seed++;
    it(`${fwdName(op)} x${shapeStr(shape)} -> ${shapeStr(want)}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, prod(shape));
      const y = checkForward(op, x, shape, opts);
      assert.equal(y.length, prod(want));
      const out = api(fwdName(op))({ data: x, shape }, opts);
      assert.deepEqual([...out.shape], want);
      checkBackward(op, x, shape, randFloat32(rng, prod(want), -1, 1), opts);
    });
  }
  it("dataFormat 'channelsFirst' explicitly equals the default (bit-exact)", () => {
    const rng = mulberry32(53);
    for (const [op, cf, opts] of [[P1, [2, 3, 19], { kernelSize: 3, stride: 2 }], [P2, [2, 3, 5, 9], { kernelSize: 2 }],
      [P3, [1, 2, 3, 4, 9], { kernelSize: 2, stride: 1 }], [A2, [2, 3, 7, 9], { outputSize: [3, 4] }]] as Array<[Op, number[], AnyOpts]>) {
      const x = randFloat32(rng, prod(cf));
      const a = api(fwdName(op))({ data: x, shape: cf }, opts);
      const b = api(fwdName(op))({ data: x, shape: cf }, { ...opts, dataFormat: 'channelsFirst' });
      const c = api(fwdName(op))({ data: x, shape: cf }, { ...opts, dataFormat: undefined });
      assertBitsEqual(b.data, a.data, `${fwdName(op)} explicit channelsFirst`);
      assertBitsEqual(c.data, a.data, `${fwdName(op)} dataFormat undefined`);
    }
  });
  it('a [N,H,W,C] tensor read as channelsFirst is a different problem (layout really is honoured)', () => {
    // [1,4,4,2] channels-last: the two channels are constant 0 and 10. channelsLast k2 -> [1,2,2,2] of 0/10 pairs.
    const x = new Float32Array(32);
    for (let i = 0; i < 16; i++) { x[2 * i] = 0; x[2 * i + 1] = 10; }
    const y = api('softPool2d')({ data: x, shape: [1, 4, 4, 2] }, { kernelSize: 2, dataFormat: 'channelsLast' });
    assert.deepEqual([...y.shape], [1, 2, 2, 2]);
    assert.deepEqual(Array.from(y.data), [0, 10, 0, 10, 0, 10, 0, 10]);
  });
});

describe('channelsLast: extreme values and ±Inf/NaN', () => {
  let seed = 54_000;
  for (const { op, spatial, cfgs } of SUITES) {
    for (const [name, pool] of EXTREME_POOLS) {
      const s = seed++;
      it(`${fwdName(op)} ${name}, every beta`, () => {
        const rng = mulberry32(s);
        for (const beta of BETAS) {
          const cf = [1, 5, ...spatial];
          const cfg = cfgs[Math.floor(rng() * cfgs.length)];
          const x = extremeData(rng, prod(cf), pool);
          const g = randFloat32(rng, prod(outShapeOf(op, cf, cfg)), -1, 1);
          checkLayoutAgreement(op, x, cf, g, { ...cfg, beta });
          const clShape = shapeToChannelsLast(cf, op.spatial);
          const y = checkForward(op, toChannelsLast(x, cf, op.spatial), clShape, { ...cfg, beta, dataFormat: 'channelsLast' });
          assert.ok(y.every(Number.isFinite), 'finite output');
        }
      });
    }
    const s = seed++;
    it(`${fwdName(op)} ±Inf/NaN sprinkled, every beta`, () => {
      const rng = mulberry32(s);
      for (const beta of BETAS) {
        const cf = [2, 9, ...spatial];
        for (const cfg of cfgs) {
          const x = sprinkle(rng, randFloat32(rng, prod(cf)), 0.05, beta === 0 ? 0 : 0.05, 0.01);
          const g = randFloat32(rng, prod(outShapeOf(op, cf, cfg)), -1, 1);
          checkLayoutAgreement(op, x, cf, g, { ...cfg, beta });
        }
      }
    });
  }
  it('one NaN at [n=1, l=4, c=2] of a [2,8,5] channelsLast 1D input poisons only (n=1, c=2) window 2', () => {
    const x = randFloat32(mulberry32(55), 2 * 8 * 5);
    x[(1 * 8 + 4) * 5 + 2] = NaN;
    const y = checkForward(P1, x, [2, 8, 5], { kernelSize: 2, dataFormat: 'channelsLast' });
    const nan = Array.from(y).map((v, i) => (Number.isNaN(v) ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(nan, [(1 * 4 + 2) * 5 + 2]);
    const b = checkBackward(P1, x, [2, 8, 5], randFloat32(mulberry32(56), 40, -1, 1), { kernelSize: 2, dataFormat: 'channelsLast' });
    const nanG = Array.from(b.gradInput).map((v, i) => (Number.isNaN(v) ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(nanG, [(1 * 8 + 4) * 5 + 2, (1 * 8 + 5) * 5 + 2]);
    assert.ok(Number.isNaN(b.gradBeta));
  });
  it('+Inf at one cell, channelsLast 3D, beta 1: output +Inf only for that channel, gradient g to that cell', () => {
    const cl = [1, 2, 2, 2, 3];
    const x = randFloat32(mulberry32(57), prod(cl));
    x[7 * 3 + 1] = Infinity; // last spatial cell, channel 1
    const y = checkForward(P3, x, cl, { kernelSize: 2, dataFormat: 'channelsLast' });
    assert.ok(Number.isFinite(y[0]) && y[1] === Infinity && Number.isFinite(y[2]), `got ${Array.from(y)}`);
    const b = checkBackward(P3, x, cl, Float32Array.of(1, 2, 3), { kernelSize: 2, dataFormat: 'channelsLast' });
    for (let s = 0; s < 8; s++) assert.equal(b.gradInput[s * 3 + 1], s === 7 ? 2 : 0, `cell ${s} channel 1`);
  });
});

describe('channelsLast: library gradients vs finite differences of the reference', () => {
  const cases: Array<[Op, number[], AnyOpts]> = [
    [P1, [2, 7, 3], { kernelSize: 3, stride: 2, padding: 1, beta: 2.5, dataFormat: 'channelsLast' }],
    [P2, [1, 4, 5, 3], { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], beta: 1.2, dataFormat: 'channelsLast' }],
    [P3, [1, 3, 3, 3, 2], { kernelSize: 2, stride: 1, padding: 1, beta: -0.5, dataFormat: 'channelsLast' }],
    [A2, [5, 7, 2], { outputSize: [3, 4], beta: 1, dataFormat: 'channelsLast' }],
    [A3, [2, 3, 5, 2], { outputSize: [3, null, 2], beta: 0.7, dataFormat: 'channelsLast' }],
  ];
  let seed = 58_000;
  for (const [op, shape, opts] of cases) {
    const s = seed++;
    it(`${fwdName(op)} x${shapeStr(shape)} ${JSON.stringify(opts)}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, prod(shape), -2, 2);
      checkLibraryAgainstFiniteDifferences(op, x, shape, randFloat32(rng, prod(outShapeOf(op, shape, opts)), -1, 1), opts);
    });
  }
});

describe('channelsLast: inputs untouched, transposes are not written back', () => {
  it('x and gradOutput data unchanged, frozen arguments accepted, for each function', () => {
    const rng = mulberry32(59);
    for (const { op, spatial, cfgs } of SUITES) {
      const cl = [2, ...spatial, 6];
      const opts = deepFreezeOpts({ ...cfgs[1], beta: 1.5, dataFormat: 'channelsLast' });
      const x = randFloat32(rng, prod(cl));
      const xc = x.slice();
      const y = api(fwdName(op))(Object.freeze({ data: x, shape: Object.freeze(cl) }), opts);
      const g = randFloat32(rng, y.data.length, -1, 1);
      const gc = g.slice();
      const b = api(`${fwdName(op)}Backward` as 'softPool1dBackward')({ data: x, shape: cl }, { data: g, shape: y.shape }, opts);
      assertBitsEqual(x, xc, `${fwdName(op)} x`);
      assertBitsEqual(g, gc, `${fwdName(op)} gradOutput`);
      assert.deepEqual([...b.gradInput.shape], cl);
      assert.notEqual(b.gradInput.data.buffer, x.buffer);
      // channels-first view of the same result agrees
      const cf = [2, 6, ...spatial];
      const yf = api(fwdName(op))({ data: toChannelsFirst(x, cl, op.spatial), shape: cf }, { ...opts, dataFormat: 'channelsFirst' });
      const back = toChannelsFirst(y.data, y.shape, op.spatial);
      for (let i = 0; i < back.length; i++) assert.ok(Math.abs(back[i] - yf.data[i]) <= 1e-6 * Math.max(1, Math.abs(yf.data[i]), 3), `${fwdName(op)} [${i}]`);
    }
  });
});

function deepFreezeOpts<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') Object.freeze(v);
  return Object.freeze(o);
}


describe('channelsLast: exact values, wide C, large inputs', () => {
  it('each channel constant: every window pools to exactly that value (±FLT_MAX, ±3e38, subnormal, -0), every beta', () => {
    const values = [0.1, -2.5, 3e38, -3e38, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e30, 7];
    const C = values.length;
    for (const { op, spatial, cfgs } of SUITES) {
      for (const beta of [...BETAS, 30, -30]) {
        for (const cfg of cfgs) {
          const cl = [2, ...spatial, C];
          const x = new Float32Array(prod(cl));
          for (let i = 0; i < x.length; i++) x[i] = values[i % C];
          const y = api(fwdName(op))({ data: x, shape: cl }, { ...cfg, beta, dataFormat: 'channelsLast' });
          for (let i = 0; i < y.data.length; i++) {
            const want = Math.fround(values[i % C]);
            assert.ok(Object.is(y.data[i], want), `${fwdName(op)} beta=${beta} ${JSON.stringify(cfg)} out[${i}] (c=${i % C}): got ${y.data[i]}, want ${want}`);
          }
        }
      }
    }
  });
  it('all -0 input pools to zero (no NaN) and has finite gradients, every beta', () => {
    for (const { op, spatial, cfgs } of SUITES) {
      for (const beta of BETAS) {
        const cl = [1, ...spatial, 5];
        const x = new Float32Array(prod(cl)).fill(-0);
        const y = checkForward(op, x, cl, { ...cfgs[1], beta, dataFormat: 'channelsLast' });
        assert.ok(y.every((v) => v === 0), `${fwdName(op)} beta=${beta}`);
        const b = checkBackward(op, x, cl, randFloat32(mulberry32(60), y.length, -1, 1), { ...cfgs[1], beta, dataFormat: 'channelsLast' });
        assert.equal(b.gradBeta, 0);
      }
    }
  });
  for (const C of [31, 64, 65, 129]) {
    it(`wide C=${C}, every op`, () => {
      const rng = mulberry32(61 + C);
      for (const { op, spatial, cfgs } of SUITES) {
        const cf = [1, C, ...spatial.map((n) => Math.min(n, 4))];
        const cfg = cfgs[C % cfgs.length];
        const x = randFloat32(rng, prod(cf));
        checkLayoutAgreement(op, x, cf, randFloat32(rng, prod(outShapeOf(op, cf, cfg)), -1, 1), { ...cfg, beta: 1.5 });
      }
    });
  }
  it('large channelsLast inputs (> 64 KiB, memory growth), 2D and 3D, plain and adaptive', () => {
    const rng = mulberry32(62);
    const cases: Array<[Op, number[], AnyOpts]> = [
      [P2, [2, 40, 40, 24], { kernelSize: 3, stride: 2, padding: 1, dataFormat: 'channelsLast' }],
      [P3, [1, 8, 16, 16, 12], { kernelSize: 2, dataFormat: 'channelsLast', beta: -1 }],
      [A2, [2, 30, 33, 16], { outputSize: [7, 5], dataFormat: 'channelsLast', beta: 4 }],
    ];
    for (const [op, shape, opts] of cases) {
      const x = randFloat32(rng, prod(shape));
      checkForward(op, x, shape, opts);
      checkBackward(op, x, shape, randFloat32(rng, prod(outShapeOf(op, shape, opts)), -1, 1), opts);
    }
  });
  it('channelsLast input given as a subarray at an odd offset', () => {
    const rng = mulberry32(63);
    for (const { op, spatial, cfgs } of SUITES) {
      const cl = [2, ...spatial, 5];
      const base = randFloat32(rng, 1 + prod(cl));
      const opts = { ...cfgs[2], beta: -1, dataFormat: 'channelsLast' as const };
      checkForward(op, base.subarray(1), cl, opts);
      checkBackward(op, base.subarray(1), cl, randFloat32(rng, prod(outShapeOf(op, cl, opts)), -1, 1), opts);
    }
  });
});

describe('channelsLast with one channel runs on the channels-first kernels (same memory layout)', () => {
  const cases: Array<[Op, number[], AnyOpts]> = [
    [P1, [2, 1, 45], { kernelSize: 3, stride: 2, padding: 1 }],
    [P2, [2, 1, 23, 37], { kernelSize: 2 }],
    [P2, [1, 1, 19, 26], { kernelSize: 3, stride: 1, padding: 1, ceilMode: true }],
    [P3, [1, 1, 6, 9, 21], { kernelSize: 2 }],
    [A2, [2, 1, 17, 29], { outputSize: [5, 7] }],
  ];
  let seed = 77_000;
  for (const [op, cfShape, opts] of cases) {
    const s = seed++;
    it(`${fwdName(op)} x${shapeStr(cfShape)} ${JSON.stringify(opts)}: bit-identical to channelsFirst, forward and backward`, () => {
      const rng = mulberry32(s);
      const spatial = cfShape.length - 2;
      const x = sprinkle(rng, randFloat32(rng, prod(cfShape)), 0.01, 0.01, 0.005);
      const clShape = shapeToChannelsLast(cfShape, spatial);
      const fwd = api(fwdName(op)), bwd = api(bwdName(op));
      const yF = fwd({ data: x, shape: cfShape }, opts);
      const yL = fwd({ data: x, shape: clShape }, { ...opts, dataFormat: 'channelsLast' });
      assert.deepEqual(yL.shape, shapeToChannelsLast(yF.shape, spatial));
      assertBitsEqual(yL.data, yF.data, 'forward');
      const g = randFloat32(rng, yF.data.length, -1, 1);
      const bF = bwd({ data: x, shape: cfShape }, { data: g, shape: yF.shape }, opts);
      const bL = bwd({ data: x, shape: clShape }, { data: g, shape: yL.shape }, { ...opts, dataFormat: 'channelsLast' });
      assertBitsEqual(bL.gradInput.data, bF.gradInput.data, 'gradInput');
      assert.equal(bL.gradBeta, bF.gradBeta, 'gradBeta');
      checkForward(op, x, clShape, { ...opts, dataFormat: 'channelsLast' });
    });
  }
});
