// Tests of the float64 reference itself (no wasm involved).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  outputSize, softPool2dRef, softPool2dBackwardRef, avgPool2dRef, extremePool2dRef, type RefOptions,
} from './reference.ts';
import { mulberry32, randFloat64, prod } from './helpers.ts';
import {
  softPoolNdRef, softPoolNdBackwardRef, adaptiveSoftPoolNdRef, adaptiveSoftPoolNdBackwardRef, poolWindowsNd,
  adaptiveWindows, adaptiveOutputSizes, toChannelsLast, toChannelsFirst, shapeToChannelsLast, shapeToChannelsFirst,
  softPool1dRef, softPool3dRef, softPool1dBackwardRef, softPool3dBackwardRef, adaptiveSoftPool1dRef,
  adaptiveSoftPool2dRef, adaptiveSoftPool3dRef, adaptiveSoftPool2dBackwardRef, softPoolNdOutShape, adaptiveOutShape,
  type RefOptionsNd, type AdaptiveRefOptions,
} from './reference.ts';

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

// ---------------------------------------------------------------------------------------------
// N-d reference: 1D, 3D, channelsLast, adaptive windows
// ---------------------------------------------------------------------------------------------

describe('reference N-d: window lists', () => {
  it('plain windows clip padding and follow the output-size rule per dim', () => {
    // in 5, k3 s2 p1 -> out 3: [-1,2) [1,4) [3,6) clipped to [0,2) [1,4) [3,5)
    assert.deepEqual(poolWindowsNd([5], { kernelSize: 3, stride: 2, padding: 1 }), [[[0, 2], [1, 4], [3, 5]]]);
    // per dim: D k2 s2 ceil on 5 -> 3 windows (last partial); H k1; W k3 s1 p1 on 2 -> 2
    assert.deepEqual(poolWindowsNd([5, 1, 2], { kernelSize: [2, 1, 3], stride: [2, 1, 1], padding: [0, 0, 1], ceilMode: true }), [
      [[0, 2], [2, 4], [4, 5]], [[0, 1]], [[0, 2], [0, 2]],
    ]);
    assert.throws(() => poolWindowsNd([4], { kernelSize: 5 }), RangeError);
    assert.throws(() => poolWindowsNd([4, 4], { kernelSize: [2, 2, 2] }), RangeError);
  });
  // [in, out, expected windows]
  const table: Array<[number, number, Array<[number, number]>]> = [
    [8, 4, [[0, 2], [2, 4], [4, 6], [6, 8]]],
    [7, 3, [[0, 3], [2, 5], [4, 7]]],
    [5, 3, [[0, 2], [1, 4], [3, 5]]],
    [3, 5, [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]],
    [10, 4, [[0, 3], [2, 5], [5, 8], [7, 10]]],
    [1, 3, [[0, 1], [0, 1], [0, 1]]],
    [6, 1, [[0, 6]]],
    [4, 4, [[0, 1], [1, 2], [2, 3], [3, 4]]],
    [2, 3, [[0, 1], [0, 2], [1, 2]]],
  ];
  for (const [inp, out, want] of table) {
    it(`adaptive in=${inp} out=${out}: PyTorch start=floor(i*in/out), end=ceil((i+1)*in/out)`, () => {
      assert.deepEqual(adaptiveWindows([inp], [out]), [want]);
    });
  }
  it('adaptive output sizes: number, per dim, null keeps the input size; bad values throw', () => {
    assert.deepEqual(adaptiveOutputSizes([5, 7, 9], 2), [2, 2, 2]);
    assert.deepEqual(adaptiveOutputSizes([5, 7, 9], [3, null, 1]), [3, 7, 1]);
    for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => adaptiveOutputSizes([5], bad), RangeError);
    assert.throws(() => adaptiveOutputSizes([5, 5], [1]), RangeError);
  });
  it('output shapes in both layouts, batched and unbatched', () => {
    assert.deepEqual(softPoolNdOutShape([2, 3, 9], { kernelSize: 2 }, 1), [2, 3, 4]);
    assert.deepEqual(softPoolNdOutShape([9, 3], { kernelSize: 2, dataFormat: 'channelsLast' }, 1), [4, 3]);
    assert.deepEqual(softPoolNdOutShape([2, 5, 6, 7, 3], { kernelSize: [1, 2, 3], dataFormat: 'channelsLast' }, 3), [2, 5, 3, 2, 3]);
    assert.deepEqual(adaptiveOutShape([2, 3, 5, 7], { outputSize: [null, 2] }, 2), [2, 3, 5, 2]);
    assert.deepEqual(adaptiveOutShape([5, 7, 4], { outputSize: 3, dataFormat: 'channelsLast' }, 2), [3, 3, 4]);
  });
});

describe('reference N-d: layout helpers', () => {
  it('shape transposes', () => {
    assert.deepEqual(shapeToChannelsLast([2, 3, 5, 7], 2), [2, 5, 7, 3]);
    assert.deepEqual(shapeToChannelsLast([3, 5, 7], 2), [5, 7, 3]);
    assert.deepEqual(shapeToChannelsFirst([2, 4, 5, 7, 3], 3), [2, 3, 4, 5, 7]);
    assert.deepEqual(shapeToChannelsFirst([9, 3], 1), [3, 9]);
  });
  it('data transposes: explicit small case and round trip', () => {
    // [C=2, L=3] -> [L=3, C=2]
    assert.deepEqual(Array.from(toChannelsLast(Float64Array.of(1, 2, 3, 4, 5, 6), [2, 3], 1)), [1, 4, 2, 5, 3, 6]);
    const rng = mulberry32(77);
    for (const [shape, sp] of [[[2, 3, 4, 5], 2], [[3, 2, 2, 3], 3], [[4, 7], 1], [[2, 5, 3], 1]] as Array<[number[], number]>) {
      const x = randFloat64(rng, prod(shape));
      const cl = toChannelsLast(x, shape, sp);
      const back = toChannelsFirst(cl, shapeToChannelsLast(shape, sp), sp);
      assert.deepEqual(Array.from(back), Array.from(x));
    }
    const f = toChannelsLast(new Float32Array(6), [2, 3], 1);
    assert.ok(f instanceof Float32Array, 'keeps Float32Array');
  });
});

describe('reference N-d: agrees with the 2D reference and across ranks', () => {
  const rng = mulberry32(4321);
  const cfgs: RefOptions[] = [
    { kernelSize: 2 },
    { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, beta: -1 },
    { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true, beta: 4 },
    { kernelSize: 6, ceilMode: true, beta: 0.5 }, // kernel larger than the input, PyTorch ceil rule
  ];
  for (const cfg of cfgs) {
    it(`softPoolNdRef(spatial 2) == softPool2dRef ${JSON.stringify(cfg)}`, () => {
      const shape = [2, 3, 4, 7];
      const x = randFloat64(rng, prod(shape));
      const a = softPool2dRef(x, shape, cfg), b = softPoolNdRef(x, shape, cfg, 2);
      assert.deepEqual(b.shape, a.shape);
      assert.deepEqual(Array.from(b.y), Array.from(a.y));
      assert.deepEqual(Array.from(b.scale), Array.from(a.scale));
      const g = randFloat64(rng, a.y.length, -1, 1);
      const ga = softPool2dBackwardRef(x, shape, g, cfg), gb = softPoolNdBackwardRef(x, shape, g, cfg, 2);
      assert.deepEqual(Array.from(gb.gradInput), Array.from(ga.gradInput));
      assert.equal(gb.gradBeta, ga.gradBeta);
      assert.equal(gb.gradBetaScale, ga.gradBetaScale);
    });
  }
  it('fast path == poolWindow: N-d core equals the 2D reference bit for bit with Inf/NaN/constant windows, every beta', () => {
    const shape = [2, 2, 6, 9];
    for (const beta of [0, 0.5, 1, 4, -1, 30, -30, 1e-3]) {
      const x = randFloat64(rng, prod(shape));
      for (let i = 0; i < x.length; i++) {
        const r = rng();
        if (r < 0.05) x[i] = Infinity; else if (r < 0.1) x[i] = -Infinity; else if (r < 0.12) x[i] = NaN;
      }
      x.fill(0.25, 0, 20); // constant region
      for (const cfg of cfgs) {
        const a = softPool2dRef(x, shape, { ...cfg, beta }), b = softPoolNdRef(x, shape, { ...cfg, beta }, 2);
        assert.deepEqual(Array.from(b.y), Array.from(a.y));
        assert.deepEqual(Array.from(b.scale), Array.from(a.scale));
        const g = randFloat64(rng, a.y.length, -1, 1);
        const ga = softPool2dBackwardRef(x, shape, g, { ...cfg, beta }), gb = softPoolNdBackwardRef(x, shape, g, { ...cfg, beta }, 2);
        assert.deepEqual(Array.from(gb.gradInput), Array.from(ga.gradInput));
        assert.ok(Object.is(gb.gradBeta, ga.gradBeta), `gradBeta ${gb.gradBeta} vs ${ga.gradBeta}`);
        assert.equal(gb.gradBetaScale, ga.gradBetaScale);
      }
    }
  });
  it('1D [N,C,L] with kernel k equals 2D [N,C,1,L] with kernel [1,k]', () => {
    const x = randFloat64(rng, 2 * 3 * 11);
    const o1: RefOptionsNd = { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, beta: 2 };
    const a = softPool1dRef(x, [2, 3, 11], o1);
    const b = softPool2dRef(x, [2, 3, 1, 11], { kernelSize: [1, 3], stride: [1, 2], padding: [0, 1], ceilMode: true, beta: 2 });
    assert.deepEqual(a.shape, [2, 3, 6]);
    assert.deepEqual(Array.from(a.y), Array.from(b.y));
  });
  it('3D with D=1, kD=1 equals 2D', () => {
    const x = randFloat64(rng, 2 * 5 * 7);
    const a = softPool3dRef(x, [2, 1, 5, 7], { kernelSize: [1, 3, 2], stride: [1, 1, 2], padding: [0, 1, 1], beta: -0.5 });
    const b = softPool2dRef(x, [2, 5, 7], { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], beta: -0.5 });
    assert.deepEqual(a.shape, [2, 1, 5, 4]);
    assert.deepEqual(Array.from(a.y), Array.from(b.y));
  });
  it('channelsLast is the transpose of channelsFirst (forward, backward, scale)', () => {
    for (const sp of [1, 2, 3]) {
      const cf = sp === 1 ? [2, 3, 9] : sp === 2 ? [2, 3, 5, 6] : [1, 3, 3, 4, 5];
      const x = randFloat64(rng, prod(cf));
      const opts: RefOptionsNd = { kernelSize: 2, stride: 1, padding: 1, beta: 1.5 };
      const a = softPoolNdRef(x, cf, opts, sp);
      const b = softPoolNdRef(toChannelsLast(x, cf, sp), shapeToChannelsLast(cf, sp), { ...opts, dataFormat: 'channelsLast' }, sp);
      assert.deepEqual(b.shape, shapeToChannelsLast(a.shape, sp));
      assert.deepEqual(Array.from(toChannelsFirst(b.y, b.shape, sp)), Array.from(a.y));
      assert.deepEqual(Array.from(toChannelsFirst(b.scale, b.shape, sp)), Array.from(a.scale));
      const g = randFloat64(rng, a.y.length, -1, 1);
      const ga = softPoolNdBackwardRef(x, cf, g, opts, sp);
      const gb = softPoolNdBackwardRef(toChannelsLast(x, cf, sp), shapeToChannelsLast(cf, sp), toChannelsLast(g, a.shape, sp),
        { ...opts, dataFormat: 'channelsLast' }, sp);
      assert.deepEqual(Array.from(toChannelsFirst(gb.gradInput, shapeToChannelsLast(cf, sp), sp)), Array.from(ga.gradInput));
      assert.equal(gb.gradBeta, ga.gradBeta);
    }
  });
  it('adaptive 8 -> 4 equals kernel 2 stride 2; outputSize = input is the identity; outputSize 1 is global', () => {
    const x = randFloat64(rng, 2 * 8 * 8);
    const a = adaptiveSoftPool2dRef(x, [2, 8, 8], { outputSize: 4, beta: 3 });
    const b = softPool2dRef(x, [2, 8, 8], { kernelSize: 2, beta: 3 });
    assert.deepEqual(Array.from(a.y), Array.from(b.y));
    const id = adaptiveSoftPool2dRef(x, [2, 8, 8], { outputSize: [8, null] });
    assert.deepEqual(Array.from(id.y), Array.from(x));
    const gl = adaptiveSoftPool2dRef(x, [2, 8, 8], { outputSize: 1, beta: -2 });
    const gp = softPool2dRef(x, [2, 8, 8], { kernelSize: 8, beta: -2 });
    assert.deepEqual(gl.shape, [2, 1, 1]);
    assert.deepEqual(Array.from(gl.y), Array.from(gp.y));
    const x3 = randFloat64(rng, 3 * 4 * 6 * 5);
    const a3 = adaptiveSoftPool3dRef(x3, [3, 4, 6, 5], { outputSize: [2, 3, null] });
    const b3 = softPool3dRef(x3, [3, 4, 6, 5], { kernelSize: [2, 2, 1] });
    assert.deepEqual(Array.from(a3.y), Array.from(b3.y));
    const a1 = adaptiveSoftPool1dRef(x, [16, 8], { outputSize: 4 });
    const b1 = softPool1dRef(x, [16, 8], { kernelSize: 2 });
    assert.deepEqual(Array.from(a1.y), Array.from(b1.y));
  });
  it('adaptive 3 -> 5 repeats elements: hand-computed 1D case', () => {
    // windows [0,1) [0,2) [1,2) [1,3) [2,3), beta = 0 -> means
    const r = adaptiveSoftPool1dRef(Float64Array.of(1, 2, 4), [1, 3], { outputSize: 5, beta: 0 });
    assert.deepEqual(Array.from(r.y), [1, 1.5, 2, 3, 4]);
    const b = adaptiveSoftPoolNdBackwardRef(Float64Array.of(1, 2, 4), [1, 3], Float64Array.of(1, 1, 1, 1, 1), { outputSize: 5, beta: 0 }, 1);
    assert.deepEqual(Array.from(b.gradInput), [1.5, 2, 1.5]);
    close(b.gradBeta, 0 + 0.25 + 0 + 1 + 0, 1e-15, 'gradBeta = sum of window variances');
  });
});

describe('reference N-d: gradients vs central finite differences (float64)', () => {
  type Case = { name: string; shape: number[]; seed: number; spatial: number } &
    ({ adaptive?: false; opts: RefOptionsNd } | { adaptive: true; opts: AdaptiveRefOptions });
  const cases: Case[] = [
    { name: '1D k3 s1 p1', spatial: 1, shape: [2, 2, 9], opts: { kernelSize: 3, stride: 1, padding: 1, beta: 1 }, seed: 11 },
    { name: '1D k4 s3 p2 ceil beta -0.7', spatial: 1, shape: [3, 11], opts: { kernelSize: 4, stride: 3, padding: 2, ceilMode: true, beta: -0.7 }, seed: 12 },
    { name: '1D k2 s1 beta 0', spatial: 1, shape: [1, 1, 6], opts: { kernelSize: 2, stride: 1, beta: 0 }, seed: 13 },
    { name: '1D channelsLast k3 s2', spatial: 1, shape: [2, 7, 3], opts: { kernelSize: 3, stride: 2, beta: 2.5, dataFormat: 'channelsLast' }, seed: 14 },
    { name: '3D k2', spatial: 3, shape: [1, 2, 2, 4, 4], opts: { kernelSize: 2, beta: 1 }, seed: 15 },
    { name: '3D k[2,3,1] s[1,2,1] p[1,1,0] ceil', spatial: 3, shape: [1, 1, 3, 5, 3], opts: { kernelSize: [2, 3, 1], stride: [1, 2, 1], padding: [1, 1, 0], ceilMode: true, beta: 4 }, seed: 16 },
    { name: '3D unbatched k[1,2,3] s1 beta -1', spatial: 3, shape: [2, 2, 3, 4], opts: { kernelSize: [1, 2, 3], stride: 1, beta: -1 }, seed: 17 },
    { name: '3D channelsLast k2 s1 p1', spatial: 3, shape: [1, 3, 3, 3, 2], opts: { kernelSize: 2, stride: 1, padding: 1, beta: 0.5, dataFormat: 'channelsLast' }, seed: 18 },
    { name: '2D channelsLast k[2,3] s[1,2]', spatial: 2, shape: [1, 4, 5, 3], opts: { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], beta: 1.2, dataFormat: 'channelsLast' }, seed: 19 },
    { name: 'adaptive 1D 7 -> 3', spatial: 1, shape: [2, 2, 7], adaptive: true, opts: { outputSize: 3, beta: 1 }, seed: 20 },
    { name: 'adaptive 1D 3 -> 5 (repeats)', spatial: 1, shape: [2, 3], adaptive: true, opts: { outputSize: 5, beta: -1.5 }, seed: 21 },
    { name: 'adaptive 2D [5,7] -> [3,null]', spatial: 2, shape: [1, 2, 5, 7], adaptive: true, opts: { outputSize: [3, null], beta: 2 }, seed: 22 },
    { name: 'adaptive 2D 1 (global) beta 0', spatial: 2, shape: [2, 4, 5], adaptive: true, opts: { outputSize: 1, beta: 0 }, seed: 23 },
    { name: 'adaptive 3D [3,4,5] -> [2,3,4]', spatial: 3, shape: [1, 1, 3, 4, 5], adaptive: true, opts: { outputSize: [2, 3, 4], beta: 1 }, seed: 24 },
    { name: 'adaptive 3D channelsLast [2,3,5] -> [3,null,2]', spatial: 3, shape: [2, 3, 5, 2], adaptive: true, opts: { outputSize: [3, null, 2], beta: 0.7, dataFormat: 'channelsLast' }, seed: 25 },
  ];
  for (const c of cases) {
    it(`${c.name} x[${c.shape}] ${JSON.stringify(c.opts)}`, () => {
      const fwd = (x: Float64Array, beta: number) => c.adaptive
        ? adaptiveSoftPoolNdRef(x, c.shape, { ...c.opts, beta }, c.spatial)
        : softPoolNdRef(x, c.shape, { ...c.opts, beta }, c.spatial);
      const bwd = (x: Float64Array, g: Float64Array) => c.adaptive
        ? adaptiveSoftPoolNdBackwardRef(x, c.shape, g, c.opts, c.spatial)
        : softPoolNdBackwardRef(x, c.shape, g, c.opts, c.spatial);
      const rng = mulberry32(c.seed);
      const beta = c.opts.beta ?? 1;
      const x = randFloat64(rng, prod(c.shape), -2, 2);
      const f = fwd(x, beta);
      const g = randFloat64(rng, f.y.length, -1, 1);
      const b = bwd(x, g);
      assert.deepEqual(Array.from(b.y), Array.from(f.y), 'backward y = forward y');
      assert.deepEqual(b.shape, f.shape);
      const loss = (xx: Float64Array, bb: number): number => {
        const yy = fwd(xx, bb).y;
        let s = 0;
        for (let i = 0; i < yy.length; i++) s += g[i] * yy[i];
        return s;
      };
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

describe('reference N-d: special values', () => {
  it('1D: Inf/NaN rules per window and their gradients', () => {
    const I = Infinity;
    // k2 windows: {I,1} {-I,2} {-I,-I} {NaN,1} {I,-I} {I,I}
    const x = Float64Array.of(I, 1, -I, 2, -I, -I, NaN, 1, I, -I, I, I);
    const y = softPool1dRef(x, [1, 12], { kernelSize: 2, beta: 1 }).y;
    assert.deepEqual(Array.from(y).map(String), ['Infinity', '2', '-Infinity', 'NaN', 'Infinity', 'Infinity']);
    const b = softPool1dBackwardRef(x, [1, 12], Float64Array.of(1, 2, 3, 4, 5, 6), { kernelSize: 2, beta: 1 });
    assert.deepEqual(Array.from(b.gradInput).map(String), ['1', '0', '0', '2', '1.5', '1.5', 'NaN', 'NaN', '5', '0', '3', '3']);
    assert.ok(Number.isNaN(b.gradBeta));
    const ym = softPool1dRef(x, [1, 12], { kernelSize: 2, beta: -1 }).y;
    assert.deepEqual(Array.from(ym).map(String), ['1', '-Infinity', '-Infinity', 'NaN', '-Infinity', 'Infinity']);
  });
  it('3D: window of equal huge values pools exactly; NaN poisons only its windows', () => {
    const v = Math.fround(-3e38);
    const x = new Float64Array(2 * 2 * 4).fill(v);
    const r = softPool3dRef(x, [1, 2, 2, 4], { kernelSize: 2, beta: 4 });
    assert.deepEqual(Array.from(r.y), [v, v]);
    x[3] = NaN; // d0 h0 w3 -> second window
    const b = softPool3dBackwardRef(x, [1, 2, 2, 4], Float64Array.of(1, 1), { kernelSize: 2, beta: 4 });
    const nanIdx = Array.from(b.gradInput).map((g, i) => (Number.isNaN(g) ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(nanIdx, [2, 3, 6, 7, 10, 11, 14, 15]);
    assert.equal(b.gradInput[0], 1 / 8);
  });
  it('adaptive with repeated windows: an Inf shared by two windows gets g from each', () => {
    // 3 -> 5: windows [0,1) [0,2) [1,2) [1,3) [2,3); +Inf at index 1 is in windows 1,2,3
    const b = adaptiveSoftPoolNdBackwardRef(Float64Array.of(0, Infinity, 0), [1, 3], Float64Array.of(1, 2, 4, 8, 16), { outputSize: 5, beta: 1 }, 1);
    assert.deepEqual(Array.from(b.y), [0, Infinity, Infinity, Infinity, 0]);
    assert.deepEqual(Array.from(b.gradInput), [1, 14, 16]);
    assert.equal(b.gradBeta, 0);
    const g2 = adaptiveSoftPool2dBackwardRef(Float64Array.of(1, 2, 3, 4), [1, 2, 2], Float64Array.of(1), { outputSize: 1, beta: 0 });
    assert.deepEqual(Array.from(g2.gradInput), [0.25, 0.25, 0.25, 0.25]);
  });
});
