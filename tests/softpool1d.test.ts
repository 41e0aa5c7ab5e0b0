// softPool1d / softPool1dBackward ([N,C,L] or [C,L], channels first) against the float64 reference.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { outputSize, type RefOptionsNd } from './reference.ts';
import { mulberry32, randFloat32, prod, assertBitsEqual, shapeStr } from './helpers.ts';
import {
  lib, api, type Op, checkForward, checkBackward, checkBoth, checkLibraryAgainstFiniteDifferences, outShapeOf,
  assertSameResult, extremeData, EXTREME_POOLS, FMAX, sprinkle,
} from './nd_common.ts';

const OP: Op = { spatial: 1, adaptive: false };

before(async () => {
  await lib.init();
});

const BETAS = [0, 0.5, 1, 4, -1];

const CONFIGS: Array<{ name: string; opts: RefOptionsNd }> = [
  { name: 'k2', opts: { kernelSize: 2 } },
  { name: 'k2 s1 (overlap)', opts: { kernelSize: 2, stride: 1 } },
  { name: 'k3 s1 p1', opts: { kernelSize: 3, stride: 1, padding: 1 } },
  { name: 'k3 s2 p1 ceil', opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { name: 'k5 s2 p2 (overlap)', opts: { kernelSize: 5, stride: 2, padding: 2 } },
  { name: 'k4 s3 p2 ceil', opts: { kernelSize: 4, stride: 3, padding: 2, ceilMode: true } },
  { name: '[k3] [s3] ceil (array form)', opts: { kernelSize: [3], stride: [3], ceilMode: true } },
  { name: 'k1', opts: { kernelSize: 1 } },
];

const WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17, 31, 33];

function fits(L: number, o: RefOptionsNd): boolean {
  const k = typeof o.kernelSize === 'number' ? o.kernelSize : o.kernelSize[0];
  const sv = o.stride ?? o.kernelSize;
  const s = typeof sv === 'number' ? sv : sv[0];
  const pv = o.padding ?? 0;
  const p = typeof pv === 'number' ? pv : pv[0];
  return L + 2 * p >= k && outputSize(L, k, s, p, !!o.ceilMode) >= 1;
}

describe('softPool1d: length sweep (SIMD tails), forward + backward', () => {
  let seed = 10_000;
  CONFIGS.forEach((cfg, ci) => {
    for (const L of WIDTHS) {
      if (!fits(L, cfg.opts)) continue;
      const beta = BETAS[(ci + L) % BETAS.length];
      const s = seed++;
      it(`${cfg.name} beta=${beta} L=${L}`, () => {
        const rng = mulberry32(s);
        checkBoth(OP, rng, [2, 3, L], { ...cfg.opts, beta });
        checkBoth(OP, rng, [1, 1, L], { ...cfg.opts, beta });
      });
    }
  });
});

describe('softPool1d: beta sweep', () => {
  let seed = 11_000;
  for (const beta of [...BETAS, 30, -30, 1e-3]) {
    for (const cfg of CONFIGS.slice(2, 6)) {
      const s = seed++;
      it(`beta=${beta} ${cfg.name} x[2,3,29]`, () => checkBoth(OP, mulberry32(s), [2, 3, 29], { ...cfg.opts, beta }));
    }
  }
});

describe('softPool1d: output size rule (PyTorch, ceil mode)', () => {
  // [L, opts, expected L_out]
  const table: Array<[number, RefOptionsNd, number]> = [
    [5, { kernelSize: 2 }, 2],
    [5, { kernelSize: 2, ceilMode: true }, 3],
    [5, { kernelSize: 2, padding: 1, ceilMode: true }, 3], // 4th window would start in the right padding
    [10, { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }, 4],
    [6, { kernelSize: 3, stride: 2, ceilMode: true }, 3],
    [4, { kernelSize: 6, ceilMode: true }, 1], // kernel > input, ceil rule gives one window
    [1, { kernelSize: 3, stride: 1, padding: 1 }, 1],
    [7, { kernelSize: 2, stride: 3 }, 2], // stride > kernel: cells skipped
    [9, { kernelSize: 3, stride: 1 }, 7],
  ];
  let seed = 12_000;
  for (const [L, opts, want] of table) {
    const s = seed++;
    it(`L=${L} ${JSON.stringify(opts)} -> ${want}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, 2 * L);
      const y = api('softPool1d')({ data: x, shape: [1, 2, L] }, opts);
      assert.deepEqual([...y.shape], [1, 2, want]);
      checkForward(OP, x, [1, 2, L], opts);
      checkBackward(OP, x, [2, L], randFloat32(rng, 2 * want, -1, 1), opts);
    });
  }
});

describe('softPool1d: unbatched [C,L], kernel 1 identity, agreement with softPool2d', () => {
  it('unbatched [C,L] equals batched [1,C,L] (forward and backward, bit-exact)', () => {
    const rng = mulberry32(13);
    const x = randFloat32(rng, 3 * 19);
    const opts = { kernelSize: 3, stride: 2, padding: 1, beta: 2 };
    const a = api('softPool1d')({ data: x, shape: [3, 19] }, opts);
    const b = api('softPool1d')({ data: x, shape: [1, 3, 19] }, opts);
    assert.deepEqual([...a.shape], [3, 10]);
    assert.deepEqual([...b.shape], [1, 3, 10]);
    assertBitsEqual(a.data, b.data, 'unbatched vs batched');
    const g = randFloat32(rng, 30, -1, 1);
    const ga = api('softPool1dBackward')({ data: x, shape: [3, 19] }, { data: g, shape: [3, 10] }, opts);
    const gb = api('softPool1dBackward')({ data: x, shape: [1, 3, 19] }, { data: g, shape: [1, 3, 10] }, opts);
    assert.deepEqual([...ga.gradInput.shape], [3, 19]);
    assertBitsEqual(ga.gradInput.data, gb.gradInput.data, 'gradInput unbatched vs batched');
    assert.equal(ga.gradBeta, gb.gradBeta);
  });
  it('unbatched shapes vs the reference', () => {
    const rng = mulberry32(14);
    checkBoth(OP, rng, [4, 33], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, beta: -1 });
    checkBoth(OP, rng, [1, 1], { kernelSize: 3, stride: 1, padding: 1 });
    checkBoth(OP, rng, [5, 9], { kernelSize: 9, beta: 4 }); // global
  });
  for (const beta of [1, 0, -1, 30]) {
    it(`kernel 1 is the identity (bit-exact), gradient passes through, beta=${beta}`, () => {
      const rng = mulberry32(15);
      const x = randFloat32(rng, 2 * 3 * 17, -1e3, 1e3);
      const y = checkForward(OP, x, [2, 3, 17], { kernelSize: 1, beta });
      assertBitsEqual(y, x, 'k1 output');
      const g = randFloat32(rng, x.length, -1, 1);
      const b = checkBackward(OP, x, [2, 3, 17], g, { kernelSize: 1, beta });
      assertBitsEqual(b.gradInput, g, 'k1 gradInput');
      assert.equal(b.gradBeta, 0);
    });
  }
  const cross: RefOptionsNd[] = [
    { kernelSize: 2 }, { kernelSize: 3, stride: 1, padding: 1, beta: 4 }, { kernelSize: 4, stride: 3, padding: 2, ceilMode: true, beta: -1 },
  ];
  for (const opts of cross) {
    it(`softPool1d [N,C,L] equals softPool2d [N,C,1,L] with kernel [1,k] ${JSON.stringify(opts)}`, () => {
      const rng = mulberry32(16);
      const L = 37;
      const x = randFloat32(rng, 2 * 3 * L);
      const k = opts.kernelSize as number, s = (opts.stride ?? k) as number, p = (opts.padding ?? 0) as number;
      const o2 = { kernelSize: [1, k], stride: [1, s], padding: [0, p], ceilMode: opts.ceilMode, beta: opts.beta };
      const a = api('softPool1d')({ data: x, shape: [2, 3, L] }, opts);
      const b = api('softPool2d')({ data: x, shape: [2, 3, 1, L] }, o2);
      assert.deepEqual([...b.shape], [2, 3, 1, a.shape[2]]);
      assertSameResult(a.data, b.data, a.shape, 'forward 1d vs 2d');
      const g = randFloat32(rng, a.data.length, -1, 1);
      const ga = api('softPool1dBackward')({ data: x, shape: [2, 3, L] }, { data: g, shape: a.shape }, opts);
      const gb = api('softPool2dBackward')({ data: x, shape: [2, 3, 1, L] }, { data: g, shape: b.shape }, o2);
      assertSameResult(ga.gradInput.data, gb.gradInput.data, [2, 3, L], 'gradInput 1d vs 2d');
      assert.ok(Math.abs(ga.gradBeta - gb.gradBeta) <= 1e-6 * Math.max(1, Math.abs(gb.gradBeta)), `gradBeta ${ga.gradBeta} vs ${gb.gradBeta}`);
    });
  }
});

describe('softPool1d: extreme finite values stay finite', () => {
  const cfgs: RefOptionsNd[] = [{ kernelSize: 2 }, { kernelSize: 3, stride: 1, padding: 1 }, { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }];
  let seed = 17_000;
  for (const [name, pool] of EXTREME_POOLS) {
    for (const beta of BETAS) {
      const s = seed++;
      it(`${name} beta=${beta}`, () => {
        const rng = mulberry32(s);
        for (const cfg of cfgs) {
          const shape = [2, 2, 21];
          const x = extremeData(rng, prod(shape), pool);
          const y = checkForward(OP, x, shape, { ...cfg, beta });
          assert.ok(y.every(Number.isFinite), `finite output, got ${Array.from(y).find((v) => !Number.isFinite(v))}`);
          const g = randFloat32(rng, prod(outShapeOf(OP, shape, cfg)), -1, 1);
          const b = checkBackward(OP, x, shape, g, { ...cfg, beta });
          assert.ok(b.gradInput.every(Number.isFinite), 'finite gradInput');
          assert.ok(Number.isFinite(b.gradBeta), `finite gradBeta, got ${b.gradBeta}`);
        }
      });
    }
  }
  for (const beta of BETAS) {
    it(`±FLT_MAX in one window beta=${beta}: max / min / mean`, () => {
      const x = Float32Array.of(FMAX, -FMAX, -FMAX, FMAX, FMAX, -FMAX, -FMAX, FMAX);
      const y = checkForward(OP, x, [1, 8], { kernelSize: 4, beta });
      const want = beta > 0 ? FMAX : beta < 0 ? -FMAX : 0;
      assert.deepEqual(Array.from(y), [want, want]);
      checkBackward(OP, x, [1, 8], Float32Array.of(1, -0.5), { kernelSize: 4, beta });
    });
  }
  it('windows of equal values pool to exactly that value (also -0, ±3e38, subnormal), for every beta', () => {
    const values = [0.1, -2.5, 3e38, -3e38, FMAX, -FMAX, 1e-45, -1e30, -0];
    for (const beta of [...BETAS, 30]) {
      for (const opts of [{ kernelSize: 3 }, { kernelSize: 3, stride: 1, padding: 1 }, { kernelSize: 2, stride: 2, ceilMode: true }] as RefOptionsNd[]) {
        const L = 9;
        const x = new Float32Array(values.length * L);
        values.forEach((v, c) => x.fill(v, c * L, (c + 1) * L));
        const y = api('softPool1d')({ data: x, shape: [values.length, L] }, { ...opts, beta });
        const oL = y.shape[1];
        for (let c = 0; c < values.length; c++) for (let j = 0; j < oL; j++) {
          const v = Math.fround(values[c]), got = y.data[c * oL + j];
          const ok = v === 0 ? got === 0 : Object.is(got, v);
          assert.ok(ok, `beta=${beta} ${JSON.stringify(opts)} channel ${c}: got ${got}, want ${v}`);
        }
      }
    }
  });
});

describe('softPool1d: ±Infinity and NaN placement', () => {
  const I = Infinity;
  // kernel 2 windows: {+I,1} {-I,2} {-I,-I} {NaN,1} {+I,-I} {+I,+I} {3,+I} {-I,4}
  const x = Float32Array.of(I, 1, -I, 2, -I, -I, NaN, 1, I, -I, I, I, 3, I, -I, 4);
  const want: Record<string, Array<number | 'finite'>> = {
    '1': [I, 2, -I, NaN, I, I, I, 4],
    '4': [I, 2, -I, NaN, I, I, I, 4],
    '0.5': [I, 2, -I, NaN, I, I, I, 4],
    '-1': [1, -I, -I, NaN, -I, I, 3, -I],
    '0': [I, -I, -I, NaN, NaN, I, I, -I],
  };
  for (const beta of BETAS) {
    it(`k2 beta=${beta}: output per window follows the rules`, () => {
      const y = checkForward(OP, x, [1, 16], { kernelSize: 2, beta });
      want[String(beta)].forEach((w, i) => {
        if (Number.isNaN(w)) assert.ok(Number.isNaN(y[i]), `window ${i}: want NaN, got ${y[i]}`);
        else assert.equal(y[i], w, `window ${i}`);
      });
    });
  }
  it('k2 beta=1 backward: g/k to determining infinities, 0 to weight-0 entries, NaN window poisons only itself', () => {
    const g = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const b = checkBackward(OP, x, [1, 16], g, { kernelSize: 2, beta: 1 });
    const want2 = [1, 0, 0, 2, 1.5, 1.5, NaN, NaN, 5, 0, 3, 3, 0, 7, 0, 8];
    want2.forEach((w, i) => {
      if (Number.isNaN(w)) assert.ok(Number.isNaN(b.gradInput[i]), `gradInput[${i}]: want NaN, got ${b.gradInput[i]}`);
      else assert.equal(b.gradInput[i], w, `gradInput[${i}]`);
    });
    assert.ok(Number.isNaN(b.gradBeta), `gradBeta NaN, got ${b.gradBeta}`);
    // without the NaN window gradBeta is finite (Inf windows add 0)
    const x2 = x.slice(); x2[6] = 0;
    const b2 = checkBackward(OP, x2, [1, 16], g, { kernelSize: 2, beta: 1 });
    assert.ok(Number.isFinite(b2.gradBeta), `gradBeta finite, got ${b2.gradBeta}`);
  });
  for (const beta of BETAS) {
    it(`overlapping windows and padding with Inf/NaN, beta=${beta}`, () => {
      const data = beta === 0 ? x.map((v) => (v === -I ? 7 : v)) : x; // beta 0 mixing +Inf/-Inf is NaN anyway; keep signs apart
      for (const opts of [{ kernelSize: 3, stride: 1, padding: 1 }, { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }] as RefOptionsNd[]) {
        checkForward(OP, data, [1, 16], { ...opts, beta });
        const g = randFloat32(mulberry32(18), prod(outShapeOf(OP, [1, 16], opts)), -1, 1);
        checkBackward(OP, data, [1, 16], g, { ...opts, beta });
      }
    });
  }
  it('random sprinkling of ±Inf/NaN in long rows matches the reference', () => {
    const rng = mulberry32(19);
    for (const beta of BETAS) {
      const shape = [2, 3, 67];
      const x0 = randFloat32(rng, prod(shape));
      const xs = sprinkle(rng, x0, 0.04, beta === 0 ? 0 : 0.04, 0.01);
      for (const opts of [{ kernelSize: 2 }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }, { kernelSize: 5, stride: 1, padding: 2 }] as RefOptionsNd[]) {
        checkForward(OP, xs, shape, { ...opts, beta });
        checkBackward(OP, xs, shape, randFloat32(rng, prod(outShapeOf(OP, shape, opts)), -1, 1), { ...opts, beta });
      }
    }
  });
});

describe('softPool1d: library gradients vs finite differences of the reference', () => {
  const cases: Array<[number[], RefOptionsNd]> = [
    [[2, 2, 9], { kernelSize: 3, stride: 1, padding: 1, beta: 1 }],
    [[3, 11], { kernelSize: 4, stride: 3, padding: 2, ceilMode: true, beta: -0.7 }],
    [[1, 2, 13], { kernelSize: 2, beta: 4 }],
    [[1, 1, 8], { kernelSize: 5, stride: 2, padding: 2, beta: 0 }],
  ];
  let seed = 20_000;
  for (const [shape, opts] of cases) {
    const s = seed++;
    it(`x${shapeStr(shape)} ${JSON.stringify(opts)}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, prod(shape), -2, 2);
      const g = randFloat32(rng, prod(outShapeOf(OP, shape, opts)), -1, 1);
      checkLibraryAgainstFiniteDifferences(OP, x, shape, g, opts);
    });
  }
});

describe('softPool1d: results are fresh, inputs untouched', () => {
  it('frozen inputs accepted, input data unchanged, output not aliased, later calls do not overwrite', () => {
    const rng = mulberry32(21);
    const x = randFloat32(rng, 2 * 3 * 40);
    const copy = x.slice();
    const t = Object.freeze({ data: x, shape: Object.freeze([2, 3, 40]) });
    const opts = Object.freeze({ kernelSize: Object.freeze([3]), stride: Object.freeze([2]), padding: Object.freeze([1]), ceilMode: true, beta: 2 });
    const y = api('softPool1d')(t, opts);
    assertBitsEqual(x, copy, 'x');
    assert.notEqual(y.data.buffer, x.buffer);
    const yc = y.data.slice();
    api('softPool1d')({ data: randFloat32(rng, 4000), shape: [4, 1000] }, { kernelSize: 2 });
    api('softPool1dBackward')({ data: x, shape: [2, 3, 40] }, { data: randFloat32(rng, y.data.length), shape: y.shape }, opts);
    assertBitsEqual(y.data, yc, 'earlier result');
  });
  it('input given as a subarray at an odd offset', () => {
    const base = randFloat32(mulberry32(22), 1 + 2 * 3 * 17);
    checkBoth(OP, mulberry32(23), [2, 3, 17], { kernelSize: 3, stride: 1, padding: 1, beta: -1 });
    checkForward(OP, base.subarray(1), [2, 3, 17], { kernelSize: 2, beta: 4 });
  });
  it('large input (> 64 KiB, memory growth)', () => {
    checkBoth(OP, mulberry32(24), [2, 8, 2049], { kernelSize: 3, stride: 1, padding: 1, beta: 1 });
  });
});
