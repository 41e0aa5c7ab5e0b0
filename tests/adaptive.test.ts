// adaptiveSoftPool{1,2,3}d and their backward: PyTorch's adaptive windows
// (start = floor(i*in/out), end = ceil((i+1)*in/out)), against the float64 reference.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { AdaptiveRefOptions } from './reference.ts';
import { mulberry32, randFloat32, prod, assertBitsEqual, shapeStr } from './helpers.ts';
import {
  lib, api, type Op, checkForward, checkBackward, checkBoth, checkLibraryAgainstFiniteDifferences, outShapeOf, fwdName,
  bwdName, assertSameResult, extremeData, EXTREME_POOLS, FMAX, sprinkle,
} from './nd_common.ts';

before(async () => {
  await lib.init();
});

const A1: Op = { spatial: 1, adaptive: true };
const A2: Op = { spatial: 2, adaptive: true };
const A3: Op = { spatial: 3, adaptive: true };
const P: Record<number, Op> = { 1: { spatial: 1, adaptive: false }, 2: { spatial: 2, adaptive: false }, 3: { spatial: 3, adaptive: false } };
const BETAS = [0, 0.5, 1, 4, -1];

describe('adaptive: output shapes', () => {
  const cases: Array<[Op, number[], AdaptiveRefOptions, number[]]> = [
    [A1, [2, 3, 7], { outputSize: 3 }, [2, 3, 3]],
    [A1, [3, 7], { outputSize: [5] }, [3, 5]],
    [A1, [1, 1, 3], { outputSize: 5 }, [1, 1, 5]], // larger than the input
    [A1, [1, 2, 9], { outputSize: [null] }, [1, 2, 9]],
    [A2, [2, 3, 7, 5], { outputSize: 3 }, [2, 3, 3, 3]],
    [A2, [2, 3, 7, 5], { outputSize: [null, 2] }, [2, 3, 7, 2]],
    [A2, [3, 4, 6], { outputSize: [1, 9] }, [3, 1, 9]],
    [A3, [1, 2, 5, 6, 7], { outputSize: [3, null, 1] }, [1, 2, 3, 6, 1]],
    [A3, [2, 3, 4, 5], { outputSize: 2 }, [2, 2, 2, 2]],
  ];
  let seed = 60_000;
  for (const [op, shape, opts, want] of cases) {
    const s = seed++;
    it(`${fwdName(op)} x${shapeStr(shape)} ${JSON.stringify(opts)} -> ${shapeStr(want)}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, prod(shape));
      const y = api(fwdName(op))({ data: x, shape }, opts);
      assert.deepEqual([...y.shape], want);
      checkForward(op, x, shape, opts);
      checkBackward(op, x, shape, randFloat32(rng, prod(want), -1, 1), opts);
    });
  }
});

describe('adaptive: non-divisible sizes (7->3, 5->3, 3->5, ...) for every beta', () => {
  const sizes: Array<[number, number]> = [[7, 3], [5, 3], [3, 5], [10, 4], [1, 3], [13, 5], [2, 3], [9, 9], [8, 1], [17, 6], [33, 7], [31, 32]];
  let seed = 61_000;
  for (const [inp, out] of sizes) {
    const s = seed++;
    it(`1D ${inp} -> ${out}`, () => {
      const rng = mulberry32(s);
      for (const beta of BETAS) checkBoth(A1, rng, [2, 3, inp], { outputSize: out, beta });
    });
  }
  const combos2: Array<[number[], Array<number | null>]> = [
    [[7, 5], [3, 3]], [[5, 7], [3, null]], [[3, 8], [5, 3]], [[4, 9], [4, 2]], [[6, 13], [4, 5]], [[1, 7], [2, 3]],
  ];
  for (const [sp, out] of combos2) {
    const s = seed++;
    it(`2D ${shapeStr(sp)} -> ${JSON.stringify(out)}`, () => {
      const rng = mulberry32(s);
      for (const beta of BETAS) checkBoth(A2, rng, [2, 2, ...sp], { outputSize: out, beta });
    });
  }
  const combos3: Array<[number[], Array<number | null> | number]> = [
    [[5, 7, 3], [3, null, 5]], [[3, 4, 9], [2, 3, 4]], [[4, 4, 4], 3], [[2, 3, 17], [3, 2, 6]], [[1, 5, 33], [1, 3, 7]],
  ];
  for (const [sp, out] of combos3) {
    const s = seed++;
    it(`3D ${shapeStr(sp)} -> ${JSON.stringify(out)}`, () => {
      const rng = mulberry32(s);
      for (const beta of BETAS) checkBoth(A3, rng, [1, 2, ...sp], { outputSize: out, beta });
    });
  }
});

describe('adaptive: SIMD tails in the innermost dim', () => {
  const WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17, 31, 33];
  let seed = 62_000;
  WIDTHS.forEach((W, i) => {
    const beta = BETAS[i % BETAS.length];
    const s = seed++;
    it(`W=${W} beta=${beta}: outputs W, ceil(W/2), 3, 1 and W+2 along W`, () => {
      const rng = mulberry32(s);
      for (const ow of [W, Math.ceil(W / 2), 3, 1, W + 2]) {
        checkBoth(A1, rng, [2, 2, W], { outputSize: ow, beta });
        checkBoth(A2, rng, [1, 2, 3, W], { outputSize: [2, ow], beta });
        checkBoth(A3, rng, [1, 1, 2, 3, W], { outputSize: [null, 2, ow], beta });
      }
    });
  });
});

describe('adaptive: coincides with the plain op where the windows do', () => {
  const pairs: Array<[number, number[], AdaptiveRefOptions, object]> = [
    [1, [2, 3, 8], { outputSize: 4 }, { kernelSize: 2, stride: 2 }],
    [2, [2, 3, 8, 8], { outputSize: 4 }, { kernelSize: 2, stride: 2 }],
    [2, [2, 3, 8, 12], { outputSize: [4, 3] }, { kernelSize: [2, 4] }],
    [3, [1, 2, 8, 8, 8], { outputSize: 4 }, { kernelSize: 2, stride: 2 }],
    [3, [1, 2, 6, 9, 4], { outputSize: [2, 3, null] }, { kernelSize: [3, 3, 1] }],
    [1, [2, 33], { outputSize: 11 }, { kernelSize: 3 }],
  ];
  let seed = 63_000;
  for (const [sp, shape, aopts, popts] of pairs) {
    for (const beta of BETAS) {
      const s = seed++;
      it(`${sp}D x${shapeStr(shape)} ${JSON.stringify(aopts)} == ${JSON.stringify(popts)} beta=${beta}`, () => {
        const rng = mulberry32(s);
        const aop: Op = { spatial: sp as 1 | 2 | 3, adaptive: true };
        const x = randFloat32(rng, prod(shape));
        const a = api(fwdName(aop))({ data: x, shape }, { ...aopts, beta });
        const p = api(fwdName(P[sp]))({ data: x, shape }, { ...popts, beta });
        assert.deepEqual([...a.shape], [...p.shape]);
        assertSameResult(a.data, p.data, a.shape, 'forward adaptive vs plain');
        checkForward(aop, x, shape, { ...aopts, beta });
        const g = randFloat32(rng, a.data.length, -1, 1);
        const ga = api(bwdName(aop))({ data: x, shape }, { data: g, shape: a.shape }, { ...aopts, beta });
        const gp = api(bwdName(P[sp]))({ data: x, shape }, { data: g, shape: p.shape }, { ...popts, beta });
        assertSameResult(ga.gradInput.data, gp.gradInput.data, shape, 'gradInput adaptive vs plain');
        assert.ok(Math.abs(ga.gradBeta - gp.gradBeta) <= 1e-6 * Math.max(1, Math.abs(gp.gradBeta)), `gradBeta ${ga.gradBeta} vs ${gp.gradBeta}`);
      });
    }
  }
});

describe('adaptive: outputSize = input size is the identity; outputSize 1 is global pooling', () => {
  const shapes: Array<[Op, number[]]> = [[A1, [2, 3, 17]], [A2, [2, 3, 5, 9]], [A3, [1, 2, 3, 4, 13]], [A2, [3, 4, 7]]];
  for (const [op, shape] of shapes) {
    for (const beta of [1, 0, -1, 30]) {
      it(`${fwdName(op)} x${shapeStr(shape)} identity beta=${beta} (bit-exact output; gradInput = gradOutput; gradBeta 0)`, () => {
        const rng = mulberry32(64 + beta);
        const sp = shape.slice(-op.spatial);
        const x = randFloat32(rng, prod(shape), -1e3, 1e3);
        for (const outputSize of [sp, sp.map(() => null), sp.map((v, i) => (i % 2 ? null : v))]) {
          const y = checkForward(op, x, shape, { outputSize, beta });
          assertBitsEqual(y, x, `identity output ${JSON.stringify(outputSize)}`);
          const g = randFloat32(rng, x.length, -1, 1);
          const b = checkBackward(op, x, shape, g, { outputSize, beta });
          assertBitsEqual(b.gradInput, g, 'identity gradInput');
          assert.equal(b.gradBeta, 0);
        }
      });
      it(`${fwdName(op)} x${shapeStr(shape)} global beta=${beta} equals kernel = input size`, () => {
        const rng = mulberry32(65 + beta);
        const sp = shape.slice(-op.spatial);
        const x = randFloat32(rng, prod(shape));
        const a = api(fwdName(op))({ data: x, shape }, { outputSize: 1, beta });
        assert.deepEqual([...a.shape], [...shape.slice(0, -op.spatial), ...sp.map(() => 1)]);
        const p = api(fwdName(P[op.spatial]))({ data: x, shape }, { kernelSize: sp, beta });
        assertSameResult(a.data, p.data, a.shape, 'global vs kernel = input');
        checkBoth(op, rng, shape, { outputSize: 1, beta });
        checkBoth(op, rng, shape, { outputSize: sp.map(() => 1), beta });
      });
    }
  }
});

describe('adaptive: extreme values and ±Inf/NaN', () => {
  let seed = 66_000;
  const probs: Array<[Op, number[], AdaptiveRefOptions]> = [
    [A1, [2, 2, 13], { outputSize: 5 }], [A2, [1, 2, 7, 9], { outputSize: [3, 4] }], [A3, [1, 2, 3, 5, 7], { outputSize: [2, 3, 3] }],
    [A1, [2, 3], { outputSize: 5 }],
  ];
  for (const [op, shape, opts] of probs) {
    for (const [name, pool] of EXTREME_POOLS) {
      const s = seed++;
      it(`${fwdName(op)} x${shapeStr(shape)} ${JSON.stringify(opts)} ${name}`, () => {
        const rng = mulberry32(s);
        for (const beta of BETAS) {
          const x = extremeData(rng, prod(shape), pool);
          const y = checkForward(op, x, shape, { ...opts, beta });
          assert.ok(y.every(Number.isFinite), 'finite output');
          const b = checkBackward(op, x, shape, randFloat32(rng, prod(outShapeOf(op, shape, opts)), -1, 1), { ...opts, beta });
          assert.ok(b.gradInput.every(Number.isFinite) && Number.isFinite(b.gradBeta), 'finite gradients');
        }
      });
    }
    const s = seed++;
    it(`${fwdName(op)} x${shapeStr(shape)} ${JSON.stringify(opts)} ±Inf/NaN sprinkled`, () => {
      const rng = mulberry32(s);
      for (const beta of BETAS) {
        const x = sprinkle(rng, randFloat32(rng, prod(shape)), 0.06, beta === 0 ? 0 : 0.06, 0.02);
        checkForward(op, x, shape, { ...opts, beta });
        checkBackward(op, x, shape, randFloat32(rng, prod(outShapeOf(op, shape, opts)), -1, 1), { ...opts, beta });
      }
    });
  }
  it('3 -> 5 with +Inf in the middle: windows sharing it all pool to +Inf and each hands it its g', () => {
    const x = Float32Array.of(0, Infinity, 0);
    const y = checkForward(A1, x, [1, 3], { outputSize: 5 });
    assert.deepEqual(Array.from(y), [0, Infinity, Infinity, Infinity, 0]);
    const b = checkBackward(A1, x, [1, 3], Float32Array.of(1, 2, 4, 8, 16), { outputSize: 5 });
    assert.deepEqual(Array.from(b.gradInput), [1, 14, 16]);
    assert.equal(b.gradBeta, 0);
  });
  it('7 -> 3 with NaN at index 2 (in windows 0 and 1 only): only those outputs and their entries are NaN', () => {
    const x = Float32Array.of(1, 2, NaN, 4, 5, 6, 7);
    const y = checkForward(A1, x, [1, 7], { outputSize: 3 });
    assert.ok(Number.isNaN(y[0]) && Number.isNaN(y[1]) && Number.isFinite(y[2]), `got ${Array.from(y)}`);
    const b = checkBackward(A1, x, [1, 7], Float32Array.of(1, 1, 1), { outputSize: 3 });
    // windows [0,3) [2,5) [4,7): entries 0..4 NaN, 5 and 6 finite
    assert.deepEqual(Array.from(b.gradInput).map(Number.isNaN), [true, true, true, true, true, false, false]);
    assert.ok(Number.isNaN(b.gradBeta));
  });
  it('constant inputs pool exactly for every beta, including ±FLT_MAX and repeated windows', () => {
    for (const v of [0.1, -2.5, FMAX, -FMAX, 3e38, 1e-45]) {
      for (const beta of [...BETAS, 30]) {
        for (const [op, shape, opts] of [[A1, [1, 3], { outputSize: 5 }], [A2, [1, 7, 5], { outputSize: [3, 2] }], [A3, [1, 2, 3, 5], { outputSize: [3, 2, 4] }]] as Array<[Op, number[], AdaptiveRefOptions]>) {
          const y = api(fwdName(op))({ data: new Float32Array(prod(shape)).fill(v), shape }, { ...opts, beta });
          const f = Math.fround(v);
          assert.ok(y.data.every((u) => Object.is(u, f)), `${fwdName(op)} v=${v} beta=${beta}: got ${Array.from(y.data.slice(0, 4))}`);
        }
      }
    }
  });
});

describe('adaptive: library gradients vs finite differences of the reference', () => {
  const cases: Array<[Op, number[], AdaptiveRefOptions]> = [
    [A1, [2, 2, 7], { outputSize: 3, beta: 1 }],
    [A1, [2, 3], { outputSize: 5, beta: -1.5 }],
    [A2, [1, 2, 5, 7], { outputSize: [3, null], beta: 2 }],
    [A2, [2, 4, 5], { outputSize: 1, beta: 0 }],
    [A3, [1, 1, 3, 4, 5], { outputSize: [2, 3, 4], beta: 4 }],
    [A3, [1, 2, 3, 3], { outputSize: [2, 4, 2], beta: 0.5 }],
  ];
  let seed = 67_000;
  for (const [op, shape, opts] of cases) {
    const s = seed++;
    it(`${fwdName(op)} x${shapeStr(shape)} ${JSON.stringify(opts)}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, prod(shape), -2, 2);
      checkLibraryAgainstFiniteDifferences(op, x, shape, randFloat32(rng, prod(outShapeOf(op, shape, opts)), -1, 1), opts);
    });
  }
});

describe('adaptive: inputs untouched, results fresh, large input', () => {
  it('frozen arguments, data unchanged, later calls do not overwrite', () => {
    const rng = mulberry32(68);
    const x = randFloat32(rng, 2 * 3 * 9 * 11);
    const copy = x.slice();
    const opts = Object.freeze({ outputSize: Object.freeze([4, null]), beta: 2 });
    const y = api('adaptiveSoftPool2d')(Object.freeze({ data: x, shape: Object.freeze([2, 3, 9, 11]) }), opts);
    assert.deepEqual([...y.shape], [2, 3, 4, 11]);
    assertBitsEqual(x, copy, 'x');
    assert.notEqual(y.data.buffer, x.buffer);
    const yc = y.data.slice();
    const g = randFloat32(rng, y.data.length, -1, 1);
    const gc = g.slice();
    api('adaptiveSoftPool2dBackward')({ data: x, shape: [2, 3, 9, 11] }, { data: g, shape: y.shape }, opts);
    api('adaptiveSoftPool3d')({ data: randFloat32(rng, 4 * 8 * 8 * 8), shape: [4, 8, 8, 8] }, { outputSize: 3 });
    assertBitsEqual(y.data, yc, 'earlier result');
    assertBitsEqual(g, gc, 'gradOutput');
    assertBitsEqual(x, copy, 'x after backward');
  });
  it('large input (> 64 KiB)', () => {
    checkBoth(A2, mulberry32(69), [2, 4, 60, 70], { outputSize: [7, 9], beta: 1 });
  });
});
