// Windows around the backward's exponential scratch limit (TAP_E_MAX = 64 taps in
// assembly/simd_window.ts): up to 64 taps the second pass reloads the first pass's
// exponentials, beyond it recomputes them. Both sides of the limit, channels first and last,
// with at least four outputs along the SIMD axis, against the float64 reference.
import { describe, it, before } from 'node:test';
import { mulberry32, prod } from './helpers.ts';
import { lib, type Op, checkBoth, checkForward, checkBackward, extremeData, EXTREME_POOLS } from './nd_common.ts';
import { randFloat32 } from './helpers.ts';

before(async () => {
  await lib.init();
});

const P1: Op = { spatial: 1, adaptive: false };
const P2: Op = { spatial: 2, adaptive: false };
const P3: Op = { spatial: 3, adaptive: false };

// Channels first, overlapping windows share exponentials (no exp in the backward at all), so
// the scratch serves windows that do not overlap; both kinds are here.
const CASES: Array<[string, Op, number[], Record<string, unknown>]> = [
  ['2D 8x8 = 64 taps, no overlap (kept)', P2, [1, 3, 17, 43], { kernelSize: 8 }],
  ['2D 5x13 = 65 taps, no overlap (recomputed)', P2, [2, 2, 11, 70], { kernelSize: [5, 13] }],
  ['3D 4x4x4 = 64 taps, no overlap', P3, [1, 2, 9, 8, 33], { kernelSize: 4, ceilMode: true }],
  ['3D 4x4x5 = 80 taps, no overlap', P3, [1, 2, 4, 8, 27], { kernelSize: [4, 4, 5] }],
  ['2D 8x8 = 64 taps (kept)', P2, [1, 3, 9, 37], { kernelSize: 8, stride: [1, 7] }],
  ['2D 5x13 = 65 taps (recomputed)', P2, [2, 2, 6, 70], { kernelSize: [5, 13], stride: [1, 13] }],
  ['2D 9x8 = 72 taps, padding, ceil mode', P2, [1, 2, 12, 45], { kernelSize: [9, 8], stride: [3, 8], padding: [2, 3], ceilMode: true }],
  ['1D 65 taps', P1, [2, 3, 400], { kernelSize: 65, stride: 64 }],
  ['3D 4x4x4 = 64 taps', P3, [1, 2, 5, 6, 23], { kernelSize: 4, stride: [1, 2, 4] }],
  ['3D 4x4x5 = 80 taps', P3, [1, 2, 5, 6, 27], { kernelSize: [4, 4, 5], stride: [1, 2, 5] }],
  ['2D channels last 8x8 = 64 taps', P2, [1, 9, 37, 6], { kernelSize: 8, stride: [1, 7], dataFormat: 'channelsLast' }],
  ['2D channels last 9x8 = 72 taps', P2, [2, 12, 45, 5], { kernelSize: [9, 8], stride: [3, 8], padding: [2, 3], dataFormat: 'channelsLast' }],
  ['3D channels last 4x4x5 = 80 taps', P3, [1, 5, 6, 27, 4], { kernelSize: [4, 4, 5], stride: [1, 2, 5], dataFormat: 'channelsLast' }],
];

describe('windows around the 64-tap exponential scratch: forward + backward vs the reference', () => {
  let seed = 64_000;
  for (const [name, op, shape, opts] of CASES) {
    for (const beta of [1, -2, 0, 25]) {
      const s = seed++;
      it(`${name}, beta ${beta}`, () => {
        checkBoth(op, mulberry32(s), shape, { ...opts, beta });
      });
    }
  }
  for (const [pool, values] of EXTREME_POOLS) {
    const s = seed++;
    it(`extreme values (${pool}) on 64, 65 and 72 taps`, () => {
      const rng = mulberry32(s);
      for (const [, op, shape, opts] of [CASES[0], CASES[1], CASES[6], CASES[11]]) {
        const x = extremeData(rng, prod(shape), values);
        const y = checkForward(op, x, shape, opts);
        checkBackward(op, x, shape, randFloat32(rng, y.length, -1, 1), opts);
      }
    });
  }
});
