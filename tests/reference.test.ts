// Tests of the float64 reference itself (no wasm involved).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  outputSize, softPool2dRef, softPool2dBackwardRef, avgPool2dRef, extremePool2dRef, type RefOptions,
} from './reference.ts';
import { mulberry32, randFloat64, prod } from './helpers.ts';

const LN3 = Math.log(3);

function close(got: number, want: number, tol: number, msg: string): void {
  assert.ok(Math.abs(got - want) <= tol, `${msg}: got ${got}, want ${want}, tol ${tol}`);
}

describe('reference: outputSize (PyTorch rule)', () => {
  // [in, k, s, p, ceil, expected]
  const table: Array<[number, number, number, number, boolean, number]> = [
    [4, 2, 2, 0, false, 2],
    [5, 2, 2, 0, false, 2],
    [5, 2, 2, 0, true, 3],
    [6, 3, 2, 0, false, 2],
    [6, 3, 2, 0, true, 3],
    [6, 3, 2, 1, false, 3],
    [6, 3, 2, 1, true, 4],
    [5, 2, 2, 1, false, 3],
    [5, 2, 2, 1, true, 3], // ceil gives 4, last window would start at 6-1=5 >= in: dropped
    [2, 2, 3, 1, true, 1], // ceil gives 2, (2-1)*3 = 3 >= 2+1: dropped
    [7, 3, 1, 1, false, 7],
    [1, 1, 1, 0, false, 1],
    [1, 3, 1, 1, false, 1],
    [1, 2, 2, 0, false, 0], // kernel larger than input: error territory
    [2, 5, 1, 1, false, 0],
    [3, 5, 1, 1, false, 1],
    [10, 4, 3, 2, true, 4], // span 10 -> ceil(10/3)+1 = 5; (5-1)*3 = 12 >= 12: dropped -> 4
    [10, 4, 3, 2, false, 4],
    // ceil mode with a kernel larger than the padded input: PyTorch's div_rtn(span + s - 1, s) + 1
    [4, 6, 6, 0, true, 1], // ceil(-2/6) + 1 = 1: one window starting at 0
    [4, 6, 2, 0, true, 0], // ceil(-2/2) + 1 = 0
    [4, 6, 6, 0, false, 0],
  ];
  for (const [inp, k, s, p, ceil, want] of table) {
    it(`in=${inp} k=${k} s=${s} p=${p} ceil=${ceil} -> ${want}`, () => {
      assert.equal(outputSize(inp, k, s, p, ceil), want);
    });
  }
});

describe('reference: hand-computed windows', () => {
  it('1x2 window [0, ln3], beta=1: weights 1/4, 3/4', () => {
    const x = Float64Array.of(0, LN3);
    const r = softPool2dRef(x, [1, 1, 1, 2], { kernelSize: [1, 2] });
    assert.deepEqual(r.shape, [1, 1, 1, 1]);
    close(r.y[0], 0.75 * LN3, 1e-15, 'y');
    const b = softPool2dBackwardRef(x, [1, 1, 1, 2], Float64Array.of(1), { kernelSize: [1, 2] });
    const y = 0.75 * LN3;
    close(b.gradInput[0], 0.25 * (1 + (0 - y)), 1e-15, 'dx0');
    close(b.gradInput[1], 0.75 * (1 + (LN3 - y)), 1e-15, 'dx1');
    close(b.gradBeta, 0.1875 * LN3 * LN3, 1e-15, 'gradBeta');
  });

  it('2x2 window [0, ln3; 0, ln3], beta=1: weights 1/8, 3/8, 1/8, 3/8', () => {
    const x = Float64Array.of(0, LN3, 0, LN3);
    const r = softPool2dRef(x, [1, 2, 2], { kernelSize: 2 });
    assert.deepEqual(r.shape, [1, 1, 1]);
    close(r.y[0], 0.75 * LN3, 1e-15, 'y');
    const b = softPool2dBackwardRef(x, [1, 2, 2], Float64Array.of(2), { kernelSize: 2 });
    const y = 0.75 * LN3;
    close(b.gradInput[0], 2 * 0.125 * (1 - y), 1e-15, 'dx0');
    close(b.gradInput[1], 2 * 0.375 * (1 + LN3 - y), 1e-15, 'dx1');
    close(b.gradBeta, 2 * 0.1875 * LN3 * LN3, 1e-15, 'gradBeta');
  });

  it('beta=2 on [0, ln3]: weights 1/10, 9/10', () => {
    const r = softPool2dRef(Float64Array.of(0, LN3), [1, 1, 2], { kernelSize: [1, 2], beta: 2 });
    close(r.y[0], 0.9 * LN3, 1e-15, 'y');
  });

  it('beta=-1 on [0, ln3]: weights 3/4, 1/4 (soft-min)', () => {
    const r = softPool2dRef(Float64Array.of(0, LN3), [1, 1, 2], { kernelSize: [1, 2], beta: -1 });
    close(r.y[0], 0.25 * LN3, 1e-15, 'y');
  });

  it('padding cells are excluded, not zeros: 1x1 input, k=3, p=1 gives x itself', () => {
    const r = softPool2dRef(Float64Array.of(5), [1, 1, 1], { kernelSize: 3, stride: 1, padding: 1 });
    assert.deepEqual(r.shape, [1, 1, 1]);
    assert.equal(r.y[0], 5);
    const b = softPool2dBackwardRef(Float64Array.of(5), [1, 1, 1], Float64Array.of(3), { kernelSize: 3, stride: 1, padding: 1 });
    assert.equal(b.gradInput[0], 3);
    assert.equal(b.gradBeta, 0);
  });

  it('overlapping windows accumulate gradient', () => {
    // 1x3 input, kernel [1,2], stride 1: windows {0,1} and {1,2}; beta = 0 -> each gets g/2
    const b = softPool2dBackwardRef(Float64Array.of(1, 2, 4), [1, 1, 3], Float64Array.of(1, 10), { kernelSize: [1, 2], stride: 1, beta: 0 });
    assert.deepEqual(Array.from(b.gradInput), [0.5, 5.5, 5]);
    // variances: (1,2) -> 0.25; (2,4) -> 1
    close(b.gradBeta, 0.25 * 1 + 1 * 10, 1e-15, 'gradBeta');
  });

  it('scale = max(1, max |x| over window)', () => {
    const r = softPool2dRef(Float64Array.of(0.5, -0.25, 100, -300), [1, 1, 4], { kernelSize: [1, 2] });
    assert.deepEqual(Array.from(r.scale), [1, 300]);
  });
});

describe('reference: limits in beta', () => {
  const rng = mulberry32(1234);
  const shape = [2, 3, 7, 9];
  const x = randFloat64(rng, prod(shape));
  const configs: RefOptions[] = [
    { kernelSize: 2 },
    { kernelSize: 3, stride: 2, padding: 1 },
    { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true },
  ];
  for (const cfg of configs) {
    it(`beta=0 equals average pooling (count_include_pad=false) ${JSON.stringify(cfg)}`, () => {
      const r = softPool2dRef(x, shape, { ...cfg, beta: 0 });
      const a = avgPool2dRef(x, shape, cfg);
      for (let i = 0; i < a.length; i++) close(r.y[i], a[i], 1e-14, `i=${i}`);
    });
    it(`large beta approaches max pooling ${JSON.stringify(cfg)}`, () => {
      for (const beta of [1e2, 1e4, 1e6]) {
        const r = softPool2dRef(x, shape, { ...cfg, beta });
        const m = extremePool2dRef(x, shape, cfg, 'max');
        // max - y = sum w_i d_i with w_i <= exp(-beta d_i), and d e^{-beta d} <= 1/(e beta)
        for (let i = 0; i < m.length; i++) {
          assert.ok(r.y[i] <= m[i] + 1e-15, `y above max at ${i}`);
          close(r.y[i], m[i], 8 / (Math.E * beta) + 1e-15, `beta=${beta} i=${i}`);
        }
      }
    });
    it(`negative beta is soft-min, mirror of positive ${JSON.stringify(cfg)}`, () => {
      const neg = x.map((v) => -v);
      for (const beta of [0.5, 1, 4, 1e5]) {
        const a = softPool2dRef(x, shape, { ...cfg, beta: -beta });
        const b = softPool2dRef(neg, shape, { ...cfg, beta });
        for (let i = 0; i < a.y.length; i++) close(a.y[i], -b.y[i], 1e-14, `beta=${beta} i=${i}`);
      }
      const r = softPool2dRef(x, shape, { ...cfg, beta: -1e6 });
      const m = extremePool2dRef(x, shape, cfg, 'min');
      for (let i = 0; i < m.length; i++) close(r.y[i], m[i], 8 / (Math.E * 1e6) + 1e-15, `min i=${i}`);
    });
  }
});

describe('reference: gradients vs central finite differences (float64)', () => {
  const cases: Array<{ shape: number[]; opts: RefOptions; seed: number }> = [
    { shape: [1, 1, 5, 6], opts: { kernelSize: 3, stride: 1, padding: 1, beta: 1 }, seed: 1 },
    { shape: [2, 2, 5, 7], opts: { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true, beta: -0.7 }, seed: 2 },
    { shape: [1, 2, 6, 6], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, beta: 2.5 }, seed: 3 },
    { shape: [1, 1, 5, 5], opts: { kernelSize: 2, stride: 2, padding: 1, ceilMode: true, beta: 0 }, seed: 4 },
    { shape: [3, 4, 4], opts: { kernelSize: [3, 2], stride: 1, beta: 0.3 }, seed: 5 },
    { shape: [1, 1, 7, 5], opts: { kernelSize: 4, stride: 3, padding: 2, ceilMode: true, beta: 4 }, seed: 6 },
  ];
  for (const { shape, opts, seed } of cases) {
    it(`shape=[${shape}] ${JSON.stringify(opts)}`, () => {
      const rng = mulberry32(seed);
      const x = randFloat64(rng, prod(shape), -2, 2);
      const fwd = softPool2dRef(x, shape, opts);
      const g = randFloat64(rng, fwd.y.length, -1, 1);
      const b = softPool2dBackwardRef(x, shape, g, opts);
      // sanity: backward's y matches forward's
      assert.deepEqual(Array.from(b.y), Array.from(fwd.y));
      const loss = (xx: Float64Array, beta: number): number => {
        const yy = softPool2dRef(xx, shape, { ...opts, beta }).y;
        let s = 0;
        for (let i = 0; i < yy.length; i++) s += g[i] * yy[i];
        return s;
      };
      const beta = opts.beta ?? 1;
      const h = 1e-5;
      let nonzero = 0;
      for (let i = 0; i < x.length; i++) {
        const xp = x.slice(); xp[i] += h;
        const xm = x.slice(); xm[i] -= h;
        const fd = (loss(xp, beta) - loss(xm, beta)) / (2 * h);
        close(b.gradInput[i], fd, 1e-7 * Math.max(1, Math.abs(fd)), `dL/dx[${i}]`);
        if (b.gradInput[i] !== 0) nonzero++;
      }
      assert.ok(nonzero > x.length / 2, 'most gradient entries are nonzero');
      const fdb = (loss(x, beta + h) - loss(x, beta - h)) / (2 * h);
      close(b.gradBeta, fdb, 1e-7 * Math.max(1, Math.abs(fdb)), 'dL/dbeta');
      assert.ok(b.gradBetaScale >= Math.abs(b.gradBeta) && b.gradBetaScale >= 1, 'gradBetaScale bounds |gradBeta|');
    });
  }
});

describe('reference: special values', () => {
  const k2: RefOptions = { kernelSize: [1, 2] };
  const pool = (a: number[], beta: number): number =>
    softPool2dRef(Float64Array.from(a), [1, 1, 2], { ...k2, beta }).y[0];
  it('NaN anywhere -> NaN for every beta', () => {
    for (const beta of [0, 1, -1]) {
      assert.ok(Number.isNaN(pool([NaN, 1], beta)));
      assert.ok(Number.isNaN(pool([Infinity, NaN], beta)));
    }
  });
  it('beta>0: +Inf dominates, -Inf gets weight 0, all -Inf -> -Inf', () => {
    assert.equal(pool([Infinity, 1], 1), Infinity);
    assert.equal(pool([Infinity, -Infinity], 1), Infinity);
    assert.equal(pool([-Infinity, 1.5], 1), 1.5);
    assert.equal(pool([-Infinity, -Infinity], 1), -Infinity);
  });
  it('beta<0: mirror image', () => {
    assert.equal(pool([-Infinity, 1], -1), -Infinity);
    assert.equal(pool([Infinity, -Infinity], -1), -Infinity);
    assert.equal(pool([Infinity, 1.5], -1), 1.5);
    assert.equal(pool([Infinity, Infinity], -1), Infinity);
  });
  it('beta=0: arithmetic mean, +Inf with -Inf -> NaN', () => {
    assert.equal(pool([Infinity, 1], 0), Infinity);
    assert.equal(pool([-Infinity, 1], 0), -Infinity);
    assert.ok(Number.isNaN(pool([Infinity, -Infinity], 0)));
  });
  it('equal values pool exactly, also 3e38 and 3-cell windows', () => {
    const v = Math.fround(3e38);
    for (const beta of [0, 0.5, 1, 4, -1, 30, 1e-3]) {
      assert.equal(pool([v, v], beta), v);
      const r = softPool2dRef(Float64Array.of(0.1, 0.1, 0.1), [1, 1, 3], { kernelSize: [1, 3], beta });
      assert.equal(r.y[0], 0.1);
    }
  });
  it('extreme finite mixed-sign windows stay finite', () => {
    const v = Math.fround(3e38);
    assert.equal(pool([v, -v], 1), v);
    assert.equal(pool([v, -v], -1), -v);
    assert.equal(pool([v, -v], 0), 0);
    const b = softPool2dBackwardRef(Float64Array.of(v, -v), [1, 1, 2], Float64Array.of(1), { ...k2, beta: 0 });
    assert.deepEqual(Array.from(b.gradInput), [0.5, 0.5]);
    close(b.gradBeta, v * v, 1e-12 * v * v, 'gradBeta = variance');
  });
  it('backward: Inf window gives g/k to the determining entries, 0 to gradBeta', () => {
    const x = Float64Array.of(Infinity, 1, Infinity, -Infinity);
    const b = softPool2dBackwardRef(x, [1, 1, 4], Float64Array.of(6), { kernelSize: [1, 4], beta: 1 });
    assert.deepEqual(Array.from(b.gradInput), [3, 0, 3, 0]);
    assert.equal(b.gradBeta, 0);
    const allNeg = softPool2dBackwardRef(Float64Array.of(-Infinity, -Infinity), [1, 1, 2], Float64Array.of(4), { ...k2, beta: 2 });
    assert.deepEqual(Array.from(allNeg.gradInput), [2, 2]);
    const b0 = softPool2dBackwardRef(Float64Array.of(Infinity, 1, 2), [1, 1, 3], Float64Array.of(6), { kernelSize: [1, 3], beta: 0 });
    assert.deepEqual(Array.from(b0.gradInput), [2, 2, 2]);
    assert.equal(b0.gradBeta, 0);
  });
  it('backward: weight-0 entries (-Inf, beta>0) get gradient 0', () => {
    const b = softPool2dBackwardRef(Float64Array.of(-Infinity, 2), [1, 1, 2], Float64Array.of(5), { ...k2, beta: 1 });
    assert.deepEqual(Array.from(b.gradInput), [0, 5]);
    assert.equal(b.gradBeta, 0);
  });
  it('backward: NaN window poisons its entries and gradBeta only', () => {
    const b = softPool2dBackwardRef(Float64Array.of(1, NaN, 2, 3), [1, 1, 4], Float64Array.of(1, 1), k2);
    assert.ok(Number.isNaN(b.gradInput[0]) && Number.isNaN(b.gradInput[1]));
    assert.ok(Number.isFinite(b.gradInput[2]) && Number.isFinite(b.gradInput[3]));
    assert.ok(Number.isNaN(b.gradBeta));
  });
});
