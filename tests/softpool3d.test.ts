// softPool3d / softPool3dBackward ([N,C,D,H,W] or [C,D,H,W], channels first) against the float64 reference.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { outputSize, type RefOptionsNd } from './reference.ts';
import { mulberry32, randFloat32, prod, assertBitsEqual, shapeStr } from './helpers.ts';
import {
  lib, api, type Op, checkForward, checkBackward, checkBoth, checkLibraryAgainstFiniteDifferences, outShapeOf,
  assertSameResult, extremeData, EXTREME_POOLS, FMAX, sprinkle,
} from './nd_common.ts';

const OP: Op = { spatial: 3, adaptive: false };

before(async () => {
  await lib.init();
});

const BETAS = [0, 0.5, 1, 4, -1];

const CONFIGS: Array<{ name: string; opts: RefOptionsNd }> = [
  { name: 'k2', opts: { kernelSize: 2 } },
  { name: 'k[1,2,3] s[1,2,1] p[0,1,1] (non-cubic, overlap in W)', opts: { kernelSize: [1, 2, 3], stride: [1, 2, 1], padding: [0, 1, 1] } },
  { name: 'k3 s2 p1 ceil', opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { name: 'k[2,3,2] s1 p[1,1,0] ceil', opts: { kernelSize: [2, 3, 2], stride: 1, padding: [1, 1, 0], ceilMode: true } },
  { name: 'k[3,1,2] s[2,1,2] ceil', opts: { kernelSize: [3, 1, 2], stride: [2, 1, 2], ceilMode: true } },
  { name: 'k[2,2,4] s[1,2,3] p[0,1,2] ceil', opts: { kernelSize: [2, 2, 4], stride: [1, 2, 3], padding: [0, 1, 2], ceilMode: true } },
  { name: 'k1', opts: { kernelSize: 1 } },
];

const WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17, 31, 33];

function triple(v: number | readonly number[] | undefined, dflt: number[]): number[] {
  if (v === undefined) return dflt;
  return typeof v === 'number' ? [v, v, v] : [...v];
}
function fits(shape: readonly number[], o: RefOptionsNd): boolean {
  const k = triple(o.kernelSize, []), s = triple(o.stride, k), p = triple(o.padding, [0, 0, 0]);
  const sp = shape.slice(-3);
  return sp.every((n, d) => n + 2 * p[d] >= k[d] && outputSize(n, k[d], s[d], p[d], !!o.ceilMode) >= 1);
}

describe('softPool3d: width sweep (SIMD tails in W), forward + backward', () => {
  let seed = 30_000;
  CONFIGS.forEach((cfg, ci) => {
    for (const W of WIDTHS) {
      const shapes = [[1, 2, 3, 4, W], [2, 1, 2, 3, W], [1, 1, 1, 1, W]].filter((s) => fits(s, cfg.opts));
      if (!shapes.length) continue;
      const beta = BETAS[(ci + W) % BETAS.length];
      const s = seed++;
      it(`${cfg.name} beta=${beta} W=${W}`, () => {
        const rng = mulberry32(s);
        for (const shape of shapes) checkBoth(OP, rng, shape, { ...cfg.opts, beta });
      });
    }
  });
});

describe('softPool3d: beta sweep', () => {
  let seed = 31_000;
  for (const beta of [...BETAS, 30, -30, 1e-3]) {
    for (const cfg of CONFIGS.slice(1, 6)) {
      const s = seed++;
      it(`beta=${beta} ${cfg.name} x[1,2,5,6,9]`, () => checkBoth(OP, mulberry32(s), [1, 2, 5, 6, 9], { ...cfg.opts, beta }));
    }
  }
});

describe('softPool3d: output size per dim (ceil mode acting on some dims only)', () => {
  const table: Array<[number[], RefOptionsNd, number[]]> = [
    // D: 5 k2 s2 -> ceil 3 (partial); H: 4 k2 s2 -> 2 either way; W: 6 k3 s2 -> ceil 3 (partial)
    [[1, 1, 5, 4, 6], { kernelSize: [2, 2, 3], stride: 2, ceilMode: true }, [1, 1, 3, 2, 3]],
    [[1, 1, 5, 4, 6], { kernelSize: [2, 2, 3], stride: 2 }, [1, 1, 2, 2, 2]],
    // D: 5 k2 p1 ceil -> 4th window would start in the right padding: 3; W: 10 k4 s3 p2 ceil -> 4
    [[1, 1, 5, 3, 10], { kernelSize: [2, 3, 4], stride: [2, 1, 3], padding: [1, 1, 2], ceilMode: true }, [1, 1, 3, 3, 4]],
    // kernel larger than the input in D (ceil rule gives one window), normal elsewhere
    [[1, 2, 4, 5, 5], { kernelSize: [6, 2, 2], stride: [6, 2, 2], ceilMode: true }, [1, 2, 1, 3, 3]],
    [[2, 3, 4, 4], { kernelSize: [1, 3, 2], stride: [1, 1, 3], padding: [0, 1, 1] }, [2, 3, 4, 2]],
    [[1, 1, 7, 1, 2], { kernelSize: [3, 1, 2], stride: [2, 5, 1] }, [1, 1, 3, 1, 1]],
  ];
  let seed = 32_000;
  for (const [shape, opts, want] of table) {
    const s = seed++;
    it(`x${shapeStr(shape)} ${JSON.stringify(opts)} -> ${shapeStr(want)}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, prod(shape));
      const y = api('softPool3d')({ data: x, shape }, opts);
      assert.deepEqual([...y.shape], want);
      checkForward(OP, x, shape, opts);
      checkBackward(OP, x, shape, randFloat32(rng, prod(want), -1, 1), opts);
    });
  }
});

describe('softPool3d: unbatched, identity, agreement with softPool2d', () => {
  it('unbatched [C,D,H,W] equals batched [1,C,D,H,W] (bit-exact)', () => {
    const rng = mulberry32(33);
    const x = randFloat32(rng, 3 * 4 * 5 * 13);
    const opts = { kernelSize: [2, 3, 3], stride: [1, 2, 2], padding: [1, 1, 1], beta: -1 };
    const a = api('softPool3d')({ data: x, shape: [3, 4, 5, 13] }, opts);
    const b = api('softPool3d')({ data: x, shape: [1, 3, 4, 5, 13] }, opts);
    assert.deepEqual([...a.shape], [3, 5, 3, 7]);
    assert.deepEqual([...b.shape], [1, 3, 5, 3, 7]);
    assertBitsEqual(a.data, b.data, 'unbatched vs batched');
    const g = randFloat32(rng, a.data.length, -1, 1);
    const ga = api('softPool3dBackward')({ data: x, shape: [3, 4, 5, 13] }, { data: g, shape: a.shape }, opts);
    const gb = api('softPool3dBackward')({ data: x, shape: [1, 3, 4, 5, 13] }, { data: g, shape: b.shape }, opts);
    assert.deepEqual([...ga.gradInput.shape], [3, 4, 5, 13]);
    assertBitsEqual(ga.gradInput.data, gb.gradInput.data, 'gradInput');
    assert.equal(ga.gradBeta, gb.gradBeta);
  });
  it('unbatched shapes vs the reference', () => {
    const rng = mulberry32(34);
    checkBoth(OP, rng, [2, 3, 4, 17], { kernelSize: [3, 2, 3], stride: [1, 2, 2], padding: [1, 0, 1], ceilMode: true, beta: 4 });
    checkBoth(OP, rng, [1, 1, 1, 1], { kernelSize: 3, stride: 1, padding: 1 });
    checkBoth(OP, rng, [2, 3, 4, 5], { kernelSize: [3, 4, 5], beta: 0.5 }); // global
  });
  for (const beta of [1, 0, -1, 30]) {
    it(`kernel 1 is the identity (bit-exact) beta=${beta}`, () => {
      const rng = mulberry32(35);
      const shape = [2, 2, 3, 4, 9];
      const x = randFloat32(rng, prod(shape), -1e3, 1e3);
      assertBitsEqual(checkForward(OP, x, shape, { kernelSize: 1, beta }), x, 'k1 output');
      const g = randFloat32(rng, x.length, -1, 1);
      const b = checkBackward(OP, x, shape, g, { kernelSize: [1, 1, 1], beta });
      assertBitsEqual(b.gradInput, g, 'k1 gradInput');
      assert.equal(b.gradBeta, 0);
    });
  }
  const cross: Array<{ k: number[]; s: number[]; p: number[]; ceilMode?: boolean; beta?: number }> = [
    { k: [2, 2], s: [2, 2], p: [0, 0] },
    { k: [3, 3], s: [1, 1], p: [1, 1], beta: 4 },
    { k: [2, 3], s: [1, 2], p: [1, 0], ceilMode: true, beta: -1 },
  ];
  for (const c of cross) {
    it(`softPool3d with D=1, kD=1 equals softPool2d ${JSON.stringify(c)}`, () => {
      const rng = mulberry32(36);
      const x = randFloat32(rng, 2 * 3 * 7 * 19);
      const o3 = { kernelSize: [1, ...c.k], stride: [1, ...c.s], padding: [0, ...c.p], ceilMode: c.ceilMode, beta: c.beta };
      const o2 = { kernelSize: c.k, stride: c.s, padding: c.p, ceilMode: c.ceilMode, beta: c.beta };
      const a = api('softPool3d')({ data: x, shape: [2, 3, 1, 7, 19] }, o3);
      const b = api('softPool2d')({ data: x, shape: [2, 3, 7, 19] }, o2);
      assert.deepEqual([...a.shape], [2, 3, 1, ...b.shape.slice(2)]);
      assertSameResult(a.data, b.data, a.shape, 'forward 3d vs 2d');
      const g = randFloat32(rng, a.data.length, -1, 1);
      const ga = api('softPool3dBackward')({ data: x, shape: [2, 3, 1, 7, 19] }, { data: g, shape: a.shape }, o3);
      const gb = api('softPool2dBackward')({ data: x, shape: [2, 3, 7, 19] }, { data: g, shape: b.shape }, o2);
      assertSameResult(ga.gradInput.data, gb.gradInput.data, [2, 3, 1, 7, 19], 'gradInput 3d vs 2d');
      assert.ok(Math.abs(ga.gradBeta - gb.gradBeta) <= 1e-6 * Math.max(1, Math.abs(gb.gradBeta)), `gradBeta ${ga.gradBeta} vs ${gb.gradBeta}`);
    });
  }
});

describe('softPool3d: extreme finite values stay finite', () => {
  const cfgs: RefOptionsNd[] = [{ kernelSize: 2 }, { kernelSize: [2, 3, 3], stride: 1, padding: [1, 1, 1] }, { kernelSize: [3, 1, 2], stride: [2, 1, 2], ceilMode: true }];
  let seed = 37_000;
  for (const [name, pool] of EXTREME_POOLS) {
    for (const beta of BETAS) {
      const s = seed++;
      it(`${name} beta=${beta}`, () => {
        const rng = mulberry32(s);
        for (const cfg of cfgs) {
          const shape = [1, 2, 3, 4, 9];
          const x = extremeData(rng, prod(shape), pool);
          const y = checkForward(OP, x, shape, { ...cfg, beta });
          assert.ok(y.every(Number.isFinite), 'finite output');
          const b = checkBackward(OP, x, shape, randFloat32(rng, prod(outShapeOf(OP, shape, cfg)), -1, 1), { ...cfg, beta });
          assert.ok(b.gradInput.every(Number.isFinite), 'finite gradInput');
          assert.ok(Number.isFinite(b.gradBeta), `finite gradBeta, got ${b.gradBeta}`);
        }
      });
    }
  }
  for (const beta of BETAS) {
    it(`±FLT_MAX in one 2x2x2 window beta=${beta}`, () => {
      const x = Float32Array.of(FMAX, -FMAX, -FMAX, FMAX, -FMAX, FMAX, FMAX, -FMAX);
      const y = checkForward(OP, x, [1, 2, 2, 2], { kernelSize: 2, beta });
      assert.deepEqual(Array.from(y), [beta > 0 ? FMAX : beta < 0 ? -FMAX : 0]);
      const b = checkBackward(OP, x, [1, 2, 2, 2], Float32Array.of(0.75), { kernelSize: 2, beta });
      assert.ok(b.gradInput.every(Number.isFinite) && Number.isFinite(b.gradBeta));
    });
  }
  it('constant volumes pool exactly (±3e38, -0, subnormal) for every beta', () => {
    const values = [0.1, -2.5, 3e38, -3e38, FMAX, 1e-45, -0];
    const sp = [3, 4, 5], n = prod(sp);
    for (const beta of [...BETAS, 30]) {
      for (const opts of [{ kernelSize: 2 }, { kernelSize: [2, 3, 3], stride: 1, padding: [1, 1, 1] }, { kernelSize: [3, 1, 2], stride: [2, 1, 2], ceilMode: true }] as RefOptionsNd[]) {
        const x = new Float32Array(values.length * n);
        values.forEach((v, c) => x.fill(v, c * n, (c + 1) * n));
        const y = api('softPool3d')({ data: x, shape: [values.length, ...sp] }, { ...opts, beta });
        const on = prod(y.shape.slice(1));
        for (let c = 0; c < values.length; c++) for (let j = 0; j < on; j++) {
          const v = Math.fround(values[c]), got = y.data[c * on + j];
          assert.ok(v === 0 ? got === 0 : Object.is(got, v), `beta=${beta} ${JSON.stringify(opts)} c=${c}: got ${got}, want ${v}`);
        }
      }
    }
  });
});

describe('softPool3d: ±Infinity and NaN placement', () => {
  const I = Infinity;
  // [1,1,2,2,8] with kernel 2: four 2x2x2 windows along W (columns 0-1, 2-3, 4-5, 6-7)
  //  win0: one +Inf among finites   win1: one -Inf among finites
  //  win2: one NaN among finites    win3: all -Inf
  const shape = [1, 1, 2, 2, 8];
  const make = () => {
    const x = randFloat32(mulberry32(38), prod(shape));
    const at = (d: number, h: number, w: number) => (d * 2 + h) * 8 + w;
    x[at(1, 0, 1)] = I;
    x[at(0, 1, 2)] = -I;
    x[at(1, 1, 5)] = NaN;
    for (const d of [0, 1]) for (const h of [0, 1]) for (const w of [6, 7]) x[at(d, h, w)] = -I;
    return { x, at };
  };
  it('forward rules per window for beta in {0, 0.5, 1, 4, -1}', () => {
    const { x } = make();
    for (const beta of BETAS) {
      const y = checkForward(OP, x, shape, { kernelSize: 2, beta });
      assert.equal(y[0], beta < 0 ? y[0] : I, `beta=${beta} win0`);
      if (beta < 0) assert.ok(Number.isFinite(y[0]), `beta<0 win0 finite, got ${y[0]}`);
      if (beta > 0) assert.ok(Number.isFinite(y[1]), `beta>0 win1 finite, got ${y[1]}`);
      else assert.equal(y[1], -I, `beta=${beta} win1`);
      assert.ok(Number.isNaN(y[2]), `beta=${beta} win2 NaN, got ${y[2]}`);
      assert.equal(y[3], -I, `beta=${beta} win3`);
    }
  });
  it('backward rules: g to the single +Inf, g/8 to each cell of an all -Inf window, NaN window only', () => {
    const { x, at } = make();
    const g = Float32Array.of(1, 2, 3, 8);
    const b = checkBackward(OP, x, shape, g, { kernelSize: 2, beta: 1 });
    assert.equal(b.gradInput[at(1, 0, 1)], 1);
    assert.equal(b.gradInput[at(0, 0, 0)], 0);
    assert.equal(b.gradInput[at(0, 1, 2)], 0, 'weight-0 -Inf entry');
    for (const d of [0, 1]) for (const h of [0, 1]) {
      for (const w of [4, 5]) assert.ok(Number.isNaN(b.gradInput[at(d, h, w)]), 'NaN window entries');
      for (const w of [6, 7]) assert.equal(b.gradInput[at(d, h, w)], 1);
      for (const w of [0, 1, 2, 3, 6, 7]) assert.ok(!Number.isNaN(b.gradInput[at(d, h, w)]), 'other windows not NaN');
    }
    assert.ok(Number.isNaN(b.gradBeta));
  });
  it('overlapping windows with padding, Inf/NaN, every beta', () => {
    const { x } = make();
    for (const beta of BETAS) {
      const data = beta === 0 ? x.map((v) => (v === -I ? 5 : v)) : x;
      for (const opts of [{ kernelSize: 2, stride: 1, padding: 1 }, { kernelSize: [2, 1, 3], stride: [1, 1, 2], padding: [0, 0, 1], ceilMode: true }] as RefOptionsNd[]) {
        checkForward(OP, data, shape, { ...opts, beta });
        checkBackward(OP, data, shape, randFloat32(mulberry32(39), prod(outShapeOf(OP, shape, opts)), -1, 1), { ...opts, beta });
      }
    }
  });
  it('random sprinkling of ±Inf/NaN matches the reference', () => {
    const rng = mulberry32(40);
    for (const beta of BETAS) {
      const sh = [1, 2, 4, 5, 33];
      const xs = sprinkle(rng, randFloat32(rng, prod(sh)), 0.03, beta === 0 ? 0 : 0.03, 0.005);
      for (const opts of [{ kernelSize: 2 }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }] as RefOptionsNd[]) {
        checkForward(OP, xs, sh, { ...opts, beta });
        checkBackward(OP, xs, sh, randFloat32(rng, prod(outShapeOf(OP, sh, opts)), -1, 1), { ...opts, beta });
      }
    }
  });
});

describe('softPool3d: library gradients vs finite differences of the reference', () => {
  const cases: Array<[number[], RefOptionsNd]> = [
    [[1, 2, 2, 4, 4], { kernelSize: 2, beta: 1 }],
    [[1, 1, 3, 5, 3], { kernelSize: [2, 3, 1], stride: [1, 2, 1], padding: [1, 1, 0], ceilMode: true, beta: 4 }],
    [[2, 2, 3, 4], { kernelSize: [1, 2, 3], stride: 1, beta: -1 }],
    [[1, 1, 3, 3, 5], { kernelSize: 3, stride: 2, padding: 1, beta: 0 }],
  ];
  let seed = 41_000;
  for (const [shape, opts] of cases) {
    const s = seed++;
    it(`x${shapeStr(shape)} ${JSON.stringify(opts)}`, () => {
      const rng = mulberry32(s);
      const x = randFloat32(rng, prod(shape), -2, 2);
      checkLibraryAgainstFiniteDifferences(OP, x, shape, randFloat32(rng, prod(outShapeOf(OP, shape, opts)), -1, 1), opts);
    });
  }
});

describe('softPool3d: inputs untouched, results fresh, large input', () => {
  it('frozen tensor/options, data unchanged, later calls do not overwrite', () => {
    const rng = mulberry32(42);
    const x = randFloat32(rng, 2 * 2 * 3 * 4 * 5);
    const copy = x.slice();
    const opts = Object.freeze({ kernelSize: Object.freeze([2, 3, 2]), stride: Object.freeze([1, 2, 2]), padding: Object.freeze([1, 1, 0]), ceilMode: true, beta: 2 });
    const y = api('softPool3d')(Object.freeze({ data: x, shape: Object.freeze([2, 2, 3, 4, 5]) }), opts);
    assertBitsEqual(x, copy, 'x');
    assert.notEqual(y.data.buffer, x.buffer);
    const yc = y.data.slice();
    api('softPool3d')({ data: randFloat32(rng, 4 * 8 * 8 * 8), shape: [4, 8, 8, 8] }, { kernelSize: 2 });
    assertBitsEqual(y.data, yc, 'earlier result');
  });
  it('input given as a subarray at an odd offset', () => {
    const base = randFloat32(mulberry32(43), 1 + 2 * 3 * 4 * 9);
    checkForward(OP, base.subarray(1), [2, 3, 4, 9], { kernelSize: 2, stride: 1, beta: -1 });
    checkBackward(OP, base.subarray(1), [2, 3, 4, 9], randFloat32(mulberry32(44), 2 * 2 * 3 * 8, -1, 1), { kernelSize: 2, stride: 1, beta: -1 });
  });
  it('large input (> 64 KiB, memory growth)', () => {
    checkBoth(OP, mulberry32(45), [1, 4, 8, 24, 33], { kernelSize: 3, stride: 1, padding: 1, beta: 1 });
  });
});
