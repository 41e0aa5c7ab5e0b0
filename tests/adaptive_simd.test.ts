// Adaptive SoftPool's f32x4 path (assembly/softpool_adaptive_ncdhw.ts), which pools four planes
// per vector with the scalar twin's operations per lane:
// - uneven sizes (112->5, 7->3, 9->4, widths 1..9, primes, a 1->1 dim next to an uneven one),
//   plane counts that are and are not multiples of 4, betas 0, 1, -2, 30, ordinary and extreme
//   values (|x| up to 1e30, ±Inf, NaN, ±0), forward, gradInput and gradBeta against the float64
//   reference;
// - a plane gets the same bits whichever lane pools it (whole call, one plane per call, the
//   planes shifted by one), so results do not depend on how planes are split into calls;
// - the SIMD build (build/softpool.wasm, loaded directly in every test mode) gives the same bits
//   as the scalar build (build/softpool.scalar.wasm, where every window runs through the
//   scalar twin), ±0 of tied pivots and the careful paths included.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AdaptiveRefOptions } from './reference.ts';
import { mulberry32, randFloat32, prod, shapeStr, type Rng } from './helpers.ts';
import {
  lib, api, type Op, checkForward, checkBackward, outShapeOf, fwdName, bwdName, extremeData, EXTREME_POOLS, sprinkle,
} from './nd_common.ts';

before(async () => {
  await lib.init();
});

const A1: Op = { spatial: 1, adaptive: true };
const A2: Op = { spatial: 2, adaptive: true };
const A3: Op = { spatial: 3, adaptive: true };
const BETAS = [0, 1, -2, 30];

type Gen = (rng: Rng, n: number) => Float32Array;
/** ±0 ties (the pivot's sign), small negatives beside them, and a few ordinary values. */
const zeros: Gen = (rng, n) => {
  const pool = [0, -0, 0, -0, -1, -0.5, 2];
  return Float32Array.from({ length: n }, () => pool[Math.floor(rng() * pool.length)]);
};
const DATA: Array<[string, Gen]> = [
  ['random', (rng, n) => randFloat32(rng, n)],
  ['|x| up to 1e30', (rng, n) => extremeData(rng, n, EXTREME_POOLS[0][1])],
  ['|x| up to 3e38', (rng, n) => extremeData(rng, n, EXTREME_POOLS[1][1])],
  ['±Inf/NaN sprinkled', (rng, n) => sprinkle(rng, randFloat32(rng, n), 0.03, 0.03, 0.01)],
  ['±0 ties', zeros],
];

// [op, shape (channels first), outputSize]: plane counts 1, 2, 3, 4, 5, 7 and 8.
const CASES: Array<[Op, number[], AdaptiveRefOptions['outputSize']]> = [
  [A2, [1, 5, 112, 112], [5, 5]],
  [A2, [1, 3, 7, 7], [3, 3]],
  [A2, [2, 1, 9, 9], [4, 4]],
  [A2, [1, 7, 9, 13], [4, 5]],
  [A2, [1, 2, 11, 1], [7, 1]],
  [A2, [1, 5, 23, 17], [5, 6]],
  [A2, [4, 2, 6, 19], [null, 7]],
  [A2, [1, 1, 1, 9], [1, 4]],
  [A3, [1, 3, 5, 7, 11], [3, 2, 4]],
  [A3, [1, 5, 2, 9, 7], [1, 4, 3]],
  [A1, [1, 7, 29], 13],
  [A1, [2, 2, 31], 32],
];

describe('adaptive f32x4 path: against the float64 reference', () => {
  let seed = 90_000;
  for (const [op, shape, outputSize] of CASES) {
    for (const [name, gen] of DATA) {
      const s = seed++;
      it(`${fwdName(op)} x${shapeStr(shape)} -> ${JSON.stringify(outputSize)}, ${name}, betas ${BETAS.join(' ')}`, () => {
        const rng = mulberry32(s);
        for (const beta of BETAS) {
          const opts = { outputSize, beta };
          const x = gen(rng, prod(shape));
          checkForward(op, x, shape, opts);
          checkBackward(op, x, shape, randFloat32(rng, prod(outShapeOf(op, shape, opts)), -1, 1), opts);
        }
      });
    }
  }
  it('1D widths 1..9 to every output size up to width + 2 that does not divide it, planes 1..7', () => {
    const rng = mulberry32(91_000);
    for (let w = 1; w <= 9; w++) {
      for (let ow = 1; ow <= w + 2; ow++) {
        if (w % ow === 0) continue;
        const planes = 1 + ((w + ow) % 7);
        const shape = [planes, w];
        for (const beta of BETAS) {
          const opts = { outputSize: ow, beta };
          const x = randFloat32(rng, prod(shape));
          checkForward(A1, x, shape, opts);
          checkBackward(A1, x, shape, randFloat32(rng, planes * ow, -1, 1), opts);
        }
      }
    }
  });
});

/** Bitwise equality, except that any NaN matches any NaN (payloads are not specified). */
function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
      assert.fail(`${what}: element ${i}: ${Object.is(a[i], -0) ? '-0' : a[i]} (0x${ua[i].toString(16)}) vs ${Object.is(b[i], -0) ? '-0' : b[i]} (0x${ub[i].toString(16)})`);
    }
  }
}

/** gradBeta sums windows in another order across planes: equal to float64 rounding. */
function closeGradBeta(a: number, b: number, what: string): void {
  assert.ok(Object.is(a, b) || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: gradBeta ${a} vs ${b}`);
}

describe('adaptive f32x4 path: a plane gets the same bits in any lane', () => {
  let seed = 92_000;
  const shapes: Array<[Op, number[], AdaptiveRefOptions['outputSize']]> = [
    [A2, [1, 7, 13, 17], [5, 6]], [A2, [1, 6, 7, 7], [3, 3]], [A3, [1, 5, 3, 5, 9], [2, 3, 4]], [A1, [1, 7, 23], 9],
  ];
  for (const [op, shape, outputSize] of shapes) {
    for (const [name, gen] of DATA) {
      const s = seed++;
      it(`${fwdName(op)} x${shapeStr(shape)} -> ${JSON.stringify(outputSize)}, ${name}: whole call, one plane per call, planes shifted by one`, () => {
        const rng = mulberry32(s);
        const planes = shape[1], sp = shape.slice(2);
        const planeIn = prod(sp);
        for (const beta of BETAS) {
          const opts = { outputSize, beta };
          const x = gen(rng, prod(shape));
          const outShape = outShapeOf(op, shape, opts);
          const planeOut = prod(outShape.slice(2));
          const g = randFloat32(rng, prod(outShape), -1, 1);
          const fwd = api(fwdName(op)), bwd = api(bwdName(op));
          const y = fwd({ data: x, shape }, opts).data;
          const b = bwd({ data: x, shape }, { data: g, shape: outShape }, opts);
          const run = (from: number, to: number) => {
            const sub = [1, to - from, ...sp], subOut = [1, to - from, ...outShape.slice(2)];
            const xs = x.slice(from * planeIn, to * planeIn), gs = g.slice(from * planeOut, to * planeOut);
            return { y: fwd({ data: xs, shape: sub }, opts).data, b: bwd({ data: xs, shape: sub }, { data: gs, shape: subOut }, opts) };
          };
          let gbSum = 0;
          for (let k = 0; k < planes; k++) {
            const one = run(k, k + 1);
            sameBits(one.y, y.subarray(k * planeOut, (k + 1) * planeOut), `beta ${beta} plane ${k} alone: forward`);
            sameBits(one.b.gradInput.data, b.gradInput.data.subarray(k * planeIn, (k + 1) * planeIn), `beta ${beta} plane ${k} alone: gradInput`);
            gbSum += one.b.gradBeta;
          }
          closeGradBeta(gbSum, b.gradBeta, `beta ${beta} planes one by one`);
          const shifted = run(1, planes);
          sameBits(shifted.y, y.subarray(planeOut), `beta ${beta} planes 1..: forward`);
          sameBits(shifted.b.gradInput.data, b.gradInput.data.subarray(planeIn), `beta ${beta} planes 1..: gradInput`);
        }
      });
    }
  }
});

interface Raw {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  softpool_adaptive_fwd_ncdhw(x: number, y: number, planes: number, D: number, H: number, W: number, OD: number, OH: number, OW: number, beta: number): void;
  softpool_adaptive_bwd_ncdhw(x: number, g: number, gx: number, planes: number, D: number, H: number, W: number, OD: number, OH: number, OW: number, beta: number): number;
}

/** A build's adaptive kernels, called directly on sizes padded to 3D. */
function rawRun(raw: Raw, x: Float32Array, g: Float32Array, planes: number, inSize: number[], outSize: number[], beta: number) {
  const [xp, gp, gxp, yp] = [x.length * 4 + 16, g.length * 4, x.length * 4, g.length * 4].map((n) => raw.alloc(n));
  try {
    new Float32Array(raw.memory.buffer, xp, x.length).set(x);
    new Float32Array(raw.memory.buffer, gp, g.length).set(g);
    new Float32Array(raw.memory.buffer, gxp, x.length).fill(0);
    raw.softpool_adaptive_fwd_ncdhw(xp, yp, planes, ...inSize, ...outSize, beta);
    const gradBeta = raw.softpool_adaptive_bwd_ncdhw(xp, gp, gxp, planes, ...inSize, ...outSize, beta);
    return {
      y: new Float32Array(raw.memory.buffer, yp, g.length).slice(),
      gradInput: new Float32Array(raw.memory.buffer, gxp, x.length).slice(),
      gradBeta,
    };
  } finally {
    for (const p of [xp, gp, gxp, yp]) raw.free(p);
  }
}

describe('adaptive f32x4 path: the SIMD build gives the scalar build\'s bits (both loaded directly, whatever build init() chose)', () => {
  let simd: Raw, scalar: Raw;
  before(async () => {
    const load = async (file: string) => {
      const bytes = readFileSync(new URL(`../build/${file}`, import.meta.url));
      const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() { throw new Error('abort'); } } });
      return instance.exports as unknown as Raw;
    };
    simd = await load('softpool.wasm');
    scalar = await load('softpool.scalar.wasm');
  });
  const pad3 = (a: number[]) => [...new Array<number>(3 - a.length).fill(1), ...a];
  let seed = 93_000;
  for (const [op, shape, outputSize] of CASES) {
    for (const [name, gen] of DATA) {
      const s = seed++;
      it(`${fwdName(op)} x${shapeStr(shape)} -> ${JSON.stringify(outputSize)}, ${name}`, () => {
        const rng = mulberry32(s);
        const sp = shape.slice(2), planes = shape[0] * shape[1];
        for (const beta of BETAS) {
          const opts = { outputSize, beta };
          const x = gen(rng, prod(shape));
          const outShape = outShapeOf(op, shape, opts);
          const g = randFloat32(rng, prod(outShape), -1, 1);
          const got = rawRun(simd, x, g, planes, pad3(sp), pad3(outShape.slice(2)), beta);
          const want = rawRun(scalar, x, g, planes, pad3(sp), pad3(outShape.slice(2)), beta);
          sameBits(got.y, want.y, `beta ${beta}: forward`);
          sameBits(got.gradInput, want.gradInput, `beta ${beta}: gradInput`);
          closeGradBeta(got.gradBeta, want.gradBeta, `beta ${beta}`);
        }
      });
    }
  }
});
