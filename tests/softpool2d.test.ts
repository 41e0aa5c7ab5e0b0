// Forward pass of softPool2d against the float64 reference.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, softPool2d } from 'softpool-wasm';
import { softPool2dRef, outputSize, type RefOptions } from './reference.ts';
import {
  mulberry32, randTensor, prod, assertForwardClose, assertBitsEqual, shapeStr, unravel, type Rng,
} from './helpers.ts';

before(async () => {
  await init();
});

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') Object.freeze(v);
  return Object.freeze(o);
}

function label(shape: readonly number[], opts: RefOptions): string {
  return `x${shapeStr(shape)} ${JSON.stringify(opts)}`;
}

/**
 * Run softPool2d on (data, shape, opts) and compare to the reference.
 * Also checks: output rank/shape/type, input data untouched (bitwise), shape/options not mutated
 * (they are frozen, so an attempted mutation throws).
 */
function checkForward(data: Float32Array, shape: readonly number[], opts: RefOptions, extra = ''): Float32Array {
  const lbl = label(shape, opts) + extra;
  const dataCopy = data.slice();
  const shapeArg = Object.freeze([...shape]);
  const optsArg = deepFreeze(structuredClone(opts) as RefOptions);
  const ref = softPool2dRef(data, shape, opts);
  const out = softPool2d({ data, shape: shapeArg }, optsArg);
  assert.ok(out.data instanceof Float32Array, `${lbl}: output data must be a Float32Array`);
  assert.deepEqual([...out.shape], ref.shape, `${lbl}: output shape`);
  assertForwardClose(out.data, ref.y, ref.scale, ref.shape, lbl);
  assertBitsEqual(data, dataCopy, `${lbl}: input data modified`);
  assert.deepEqual([...shapeArg], [...shape], `${lbl}: shape mutated`);
  return out.data;
}

const BETAS = [1, 0, 0.5, 4, -1, 30, 1e-3];

interface Cfg { name: string; opts: Omit<RefOptions, 'beta'> }
const CONFIGS: Cfg[] = [
  { name: 'k2 default stride', opts: { kernelSize: 2 } },
  { name: 'k2 s2', opts: { kernelSize: 2, stride: 2 } },
  { name: 'k3 s2 p1', opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: 'k3 s1', opts: { kernelSize: 3, stride: 1 } },
  { name: 'k3 s1 p1', opts: { kernelSize: 3, stride: 1, padding: 1 } },
  { name: 'k[2,3] s[1,2] p[1,0]', opts: { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0] } },
  { name: 'k2 s2 ceil', opts: { kernelSize: 2, stride: 2, ceilMode: true } },
  { name: 'k3 s2 p1 ceil', opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { name: 'k1', opts: { kernelSize: 1 } },
];

function valid(shape: readonly number[], o: RefOptions): boolean {
  const [kH, kW] = typeof o.kernelSize === 'number' ? [o.kernelSize, o.kernelSize] : o.kernelSize;
  const s = o.stride ?? o.kernelSize;
  const [sH, sW] = typeof s === 'number' ? [s, s] : s;
  const p = o.padding ?? 0;
  const [pH, pW] = typeof p === 'number' ? [p, p] : p;
  const H = shape[shape.length - 2], W = shape[shape.length - 1];
  // sweeps keep every kernel inside the padded input; kernels larger than the padded input
  // (valid in ceil mode under PyTorch's rule) are covered by dedicated output-size tests
  if (H + 2 * pH < kH || W + 2 * pW < kW) return false;
  return outputSize(H, kH, sH, pH, !!o.ceilMode) >= 1 && outputSize(W, kW, sW, pW, !!o.ceilMode) >= 1;
}

describe('softPool2d forward: width sweep (SIMD tails)', () => {
  const WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 17, 31, 63, 65, 127, 129];
  const HEIGHTS = [1, 3, 6];
  let seed = 100;
  CONFIGS.forEach((cfg, ci) => {
    for (const W of WIDTHS) {
      const beta = BETAS[(ci + W) % BETAS.length];
      const s = seed++;
      const shapes = HEIGHTS.map((H) => [1, 2, H, W]).filter((sh) => valid(sh, cfg.opts));
      if (shapes.length === 0) continue;
      it(`${cfg.name} beta=${beta} W=${W} H in {${shapes.map((sh) => sh[2]).join(',')}}`, () => {
        const rng = mulberry32(s);
        for (const shape of shapes) {
          const x = randTensor(rng, shape);
          checkForward(x.data, shape, { ...cfg.opts, beta });
        }
      });
    }
  });
});

describe('softPool2d forward: kernel 1 is the identity (bit-exact)', () => {
  for (const beta of [1, 0, -1, 30]) {
    it(`x[2,3,5,9] k1 beta=${beta}`, () => {
      const x = randTensor(mulberry32(7), [2, 3, 5, 9], -1e3, 1e3);
      const y = checkForward(x.data, x.shape, { kernelSize: 1, beta });
      assertBitsEqual(y, x.data, 'k1 output equals input');
    });
  }
});

describe('softPool2d forward: batches, channels, unbatched input', () => {
  const cases: Array<[number[], RefOptions]> = [
    [[2, 3, 5, 7], { kernelSize: 2 }],
    [[3, 2, 8, 9], { kernelSize: 3, stride: 2, padding: 1 }],
    [[1, 4, 6, 17], { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], beta: -1 }],
    [[4, 1, 4, 4], { kernelSize: 3, stride: 1, padding: 1, beta: 4 }],
    [[2, 5, 7, 33], { kernelSize: 3, stride: 2, ceilMode: true, beta: 0.5 }],
    [[2, 3, 7, 9], { kernelSize: [7, 9], beta: 1 }], // global pooling
    [[2, 2, 7, 10], { kernelSize: 2, stride: 3, beta: 1 }], // stride > kernel: cells skipped
    [[2, 3, 64, 129], { kernelSize: 3, stride: 1, padding: 1, beta: 1 }], // > 64 KiB: memory growth
  ];
  let seed = 500;
  for (const [shape, opts] of cases) {
    const s = seed++;
    it(label(shape, opts), () => {
      const x = randTensor(mulberry32(s), shape);
      checkForward(x.data, shape, opts);
    });
  }
  const unbatched: Array<[number[], RefOptions]> = [
    [[3, 5, 7], { kernelSize: 2 }],
    [[1, 1, 1], { kernelSize: 1 }],
    [[1, 1, 1], { kernelSize: 3, stride: 1, padding: 1 }],
    [[2, 9, 13], { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true, beta: 4 }],
    [[4, 6, 65], { kernelSize: 3, stride: 2, padding: 1, beta: -1 }],
  ];
  for (const [shape, opts] of unbatched) {
    const s = seed++;
    it(`unbatched (rank-3 output) ${label(shape, opts)}`, () => {
      const x = randTensor(mulberry32(s), shape);
      checkForward(x.data, shape, opts);
    });
  }
  it('unbatched [C,H,W] equals batched [1,C,H,W]', () => {
    const x = randTensor(mulberry32(9), [3, 6, 11]);
    const opts = { kernelSize: 3, stride: 2, padding: 1 };
    const a = softPool2d({ data: x.data, shape: [3, 6, 11] }, opts);
    const b = softPool2d({ data: x.data, shape: [1, 3, 6, 11] }, opts);
    assert.deepEqual([...a.shape], [3, 3, 6]);
    assert.deepEqual([...b.shape], [1, 3, 3, 6]);
    assertBitsEqual(a.data, b.data, 'unbatched vs batched');
  });
});

describe('softPool2d forward: output size rule (ceil mode, padding, defaults)', () => {
  // [shape, opts, expected output shape]
  const cases: Array<[number[], RefOptions, number[]]> = [
    [[1, 1, 5, 5], { kernelSize: 2 }, [1, 1, 2, 2]], // default stride = kernelSize
    [[1, 1, 5, 5], { kernelSize: 2, ceilMode: true }, [1, 1, 3, 3]],
    [[1, 1, 5, 5], { kernelSize: 2, padding: 1, ceilMode: true }, [1, 1, 3, 3]], // 4th window dropped
    [[1, 1, 5, 5], { kernelSize: 2, padding: 1, ceilMode: false }, [1, 1, 3, 3]],
    [[1, 1, 2, 2], { kernelSize: 2, stride: 3, padding: 1, ceilMode: true }, [1, 1, 1, 1]], // dropped
    [[1, 1, 10, 10], { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }, [1, 1, 4, 4]], // dropped
    [[1, 1, 6, 6], { kernelSize: 3, stride: 2, ceilMode: true }, [1, 1, 3, 3]], // partial last window
    [[1, 1, 6, 6], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }, [1, 1, 4, 4]],
    [[2, 3, 7, 8], { kernelSize: [2, 3], stride: [2, 3], ceilMode: true }, [2, 3, 4, 3]],
    [[2, 3, 7, 8], { kernelSize: [2, 3], stride: [2, 3], padding: [1, 1], ceilMode: true }, [2, 3, 4, 3]], // W: ceil 4, dropped
    [[1, 2, 9, 9], { kernelSize: [3, 2], stride: [3, 1], padding: [0, 1] }, [1, 2, 3, 10]],
    [[1, 1, 1, 1], { kernelSize: 1, ceilMode: true }, [1, 1, 1, 1]],
    [[1, 1, 1, 7], { kernelSize: [1, 3], stride: [1, 3], ceilMode: true }, [1, 1, 1, 3]],
    // PyTorch rule, ceil mode: kernel larger than the input but ceil((4-6)/6)+1 = 1 -> one window over all cells
    [[1, 2, 4, 4], { kernelSize: 6, ceilMode: true }, [1, 2, 1, 1]],
    [[1, 1, 1, 5], { kernelSize: 2, ceilMode: true }, [1, 1, 1, 3]], // H: ceil(-1/2)+1 = 1
    [[1, 1, 4, 5], { kernelSize: [5, 2], stride: [5, 2], ceilMode: true }, [1, 1, 1, 3]],
  ];
  let seed = 700;
  for (const [shape, opts, want] of cases) {
    const s = seed++;
    it(`${label(shape, opts)} -> ${shapeStr(want)}`, () => {
      const x = randTensor(mulberry32(s), shape);
      const out = softPool2d({ data: x.data, shape }, opts);
      assert.deepEqual([...out.shape], want);
      assert.equal(out.data.length, prod(want));
      checkForward(x.data, shape, opts);
    });
  }
});

describe('softPool2d forward: beta sweep', () => {
  const betas = [0, 0.5, 1, 4, -1, 30, 1e-3, -30, -1e-3, 100];
  const cfgs: RefOptions[] = [
    { kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
    { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0] },
    { kernelSize: 4, stride: 1, padding: 2 },
  ];
  let seed = 800;
  for (const beta of betas) {
    for (const cfg of cfgs) {
      const s = seed++;
      const shape = [2, 2, 9, 13];
      it(`beta=${beta} ${label(shape, cfg)}`, () => {
        const x = randTensor(mulberry32(s), shape);
        checkForward(x.data, shape, { ...cfg, beta });
      });
    }
  }
});

/** Fill with a mix of huge finite float32 values of both signs and ordinary ones. */
function extremeTensor(rng: Rng, n: number, pool: number[]): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = pool[Math.floor(rng() * pool.length)] * (0.5 + rng());
  return a;
}

describe('softPool2d forward: extreme finite values', () => {
  const FMAX = 3.4028234663852886e38;
  const pools: Array<[string, number[]]> = [
    ['|x| up to 1e30', [1e30, -1e30, 1e29, -3e29, 1, -1, 0]],
    ['|x| up to 3e38 mixed signs', [3e38 / 1.5, -3e38 / 1.5, 1e38, -2e38, 5, 0]],
    ['all huge positive', [2e38, 2.2e38, 1.5e38]],
    ['all huge negative', [-2e38, -2.2e38, -1.5e38]],
  ];
  const cfgs: RefOptions[] = [
    { kernelSize: 2 },
    { kernelSize: 3, stride: 1, padding: 1 },
    { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true },
  ];
  let seed = 900;
  for (const [name, pool] of pools) {
    for (const beta of [0, 0.5, 1, 4, -1, 1e-3, 30]) {
      for (const cfg of cfgs) {
        const s = seed++;
        const shape = [1, 2, 5, 9];
        it(`${name} beta=${beta} ${label(shape, cfg)}`, () => {
          const data = extremeTensor(mulberry32(s), prod(shape), pool);
          const y = checkForward(data, shape, { ...cfg, beta });
          for (let i = 0; i < y.length; i++) {
            assert.ok(Number.isFinite(y[i]), `finite input must give finite output: y[${i}] = ${y[i]}`);
          }
        });
      }
    }
  }
  for (const beta of [0, 0.5, 1, 4, -1]) {
    it(`±FLT_MAX in one window beta=${beta}`, () => {
      const data = Float32Array.of(FMAX, -FMAX, FMAX, -FMAX, -FMAX, FMAX, -FMAX, FMAX);
      const shape = [1, 1, 2, 4];
      const y = checkForward(data, shape, { kernelSize: 2, beta });
      // beta>0 -> max, beta<0 -> min, beta=0 -> mean
      const want = beta > 0 ? [FMAX, FMAX] : beta < 0 ? [-FMAX, -FMAX] : [0, 0];
      assert.deepEqual(Array.from(y), want);
    });
  }
});

describe('softPool2d forward: ±Infinity and NaN placed in specific windows', () => {
  // 4x6 plane, kernel 2 stride 2 -> 2x3 windows:
  //  w00: +Inf with finites   w01: -Inf with finites   w02: all -Inf
  //  w10: NaN with finites    w11: +Inf and -Inf       w12: all +Inf
  const I = Infinity;
  const plane = [
    I, 1, /**/ -I, 2, /**/ -I, -I,
    0.5, -3, /**/ 0.25, 1, /**/ -I, -I,
    NaN, 1, /**/ I, 1, /**/ I, I,
    2, 3, /**/ -I, 2, /**/ I, I,
  ];
  const shape = [2, 1, 4, 6];
  const data = Float32Array.from([...plane, ...plane.map((v) => (Number.isNaN(v) ? 0 : v))]);
  const expected: Record<string, (number | 'finite')[]> = {
    '1': [I, 'finite', -I, NaN, I, I],
    '4': [I, 'finite', -I, NaN, I, I],
    '-1': ['finite', -I, -I, NaN, -I, I],
    '0': [I, -I, -I, NaN, NaN, I],
  };
  for (const beta of [1, 4, -1, 0]) {
    it(`kernel 2 stride 2 beta=${beta}: rule per window`, () => {
      const y = checkForward(data, shape, { kernelSize: 2, beta });
      const want = expected[String(beta)];
      for (let i = 0; i < 6; i++) {
        const w = want[i], g = y[i];
        if (w === 'finite') assert.ok(Number.isFinite(g), `window ${i}: want finite, got ${g}`);
        else if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `window ${i}: want NaN, got ${g}`);
        else assert.equal(g, w, `window ${i}`);
      }
      // the NaN-free second plane: window 10 is finite
      assert.ok(Number.isFinite(y[6 + 3]), `plane 2 window 3 finite, got ${y[9]}`);
      // finite windows ignore weight-0 infinities exactly
      if (beta > 0) assert.ok(Math.abs(y[1] - softPool2dRef(Float64Array.of(2, 0.25, 1), [1, 1, 3], { kernelSize: [1, 3], beta }).y[0]) < 1e-5);
    });
  }
  for (const beta of [1, -1, 0, 4]) {
    for (const cfg of [
      { kernelSize: 3, stride: 1, padding: 1 },
      { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true },
    ] as RefOptions[]) {
      it(`overlapping windows with Inf/NaN beta=${beta} ${JSON.stringify(cfg)}`, () => {
        checkForward(data, shape, { ...cfg, beta });
      });
    }
  }
  it('single NaN in a 9x17 plane only poisons the windows that contain it (k3 s2 p1)', () => {
    const shape2 = [1, 1, 9, 17];
    const x = randTensor(mulberry32(31), shape2);
    x.data[4 * 17 + 8] = NaN; // covered by output rows 2 (rows 3..5) and cols 4 (cols 7..9)
    const y = checkForward(x.data, shape2, { kernelSize: 3, stride: 2, padding: 1 });
    let nans = 0;
    for (let i = 0; i < y.length; i++) if (Number.isNaN(y[i])) nans++;
    assert.equal(nans, 1, 'exactly one window contains the NaN');
    assert.ok(Number.isNaN(y[2 * 9 + 4]));
  });
  it('random sprinkling of ±Inf/NaN in a wide tensor matches the reference', () => {
    const rng = mulberry32(77);
    for (const beta of [1, -1, 0, 4]) {
      const shape2 = [2, 2, 6, 67];
      const x = randTensor(rng, shape2);
      for (let i = 0; i < x.data.length; i++) {
        const r = rng();
        if (r < 0.03) x.data[i] = Infinity;
        else if (r < 0.06) x.data[i] = -Infinity;
        else if (r < 0.07) x.data[i] = NaN;
      }
      checkForward(x.data, shape2, { kernelSize: 2, beta }, ' (k2)');
      checkForward(x.data, shape2, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, beta }, ' (k3s2p1 ceil)');
    }
  });
});

describe('softPool2d forward: equal-valued windows are bit-exact', () => {
  const FMAX = 3.4028234663852886e38;
  const values = [0.1, 7, -2.5, 3e38, -3e38, FMAX, -FMAX, 1e-30, 1e-45 /* subnormal */, 123456.789, -1e30];
  const cfgs: RefOptions[] = [
    { kernelSize: 2 },
    { kernelSize: 3, stride: 1, padding: 1 },
    { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true },
    { kernelSize: 3, stride: 2, ceilMode: true },
  ];
  for (const beta of [0, 0.5, 1, 4, -1, 30, 1e-3]) {
    for (const cfg of cfgs) {
      it(`constant planes beta=${beta} ${JSON.stringify(cfg)}`, () => {
        const shape = [1, values.length, 5, 9];
        const hw = 5 * 9;
        const data = new Float32Array(prod(shape));
        values.forEach((v, c) => data.fill(v, c * hw, (c + 1) * hw));
        const out = softPool2d({ data, shape }, { ...cfg, beta });
        const ohw = out.shape[2] * out.shape[3];
        for (let c = 0; c < values.length; c++) {
          const v = Math.fround(values[c]);
          for (let j = 0; j < ohw; j++) {
            const got = out.data[c * ohw + j];
            assert.ok(Object.is(got, v), `channel ${c} (value ${v}) out${unravel(j, out.shape.slice(2))}: got ${got}, want ${v}`);
          }
        }
      });
    }
  }
  it('piecewise-constant 2x2 blocks pool to the block value exactly (k2, several widths)', () => {
    const rng = mulberry32(5);
    for (const W of [2, 4, 6, 8, 10, 18, 34, 130]) {
      for (const beta of [0, 1, -1, 4, 30]) {
        const H = 4, shape = [1, 1, H, W];
        const data = new Float32Array(H * W);
        const blocks: number[] = [];
        for (let by = 0; by < H / 2; by++) for (let bx = 0; bx < W / 2; bx++) {
          const v = Math.fround((rng() - 0.5) * 10 ** Math.floor(rng() * 60 - 30));
          blocks.push(v);
          for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) data[(2 * by + dy) * W + 2 * bx + dx] = v;
        }
        const out = softPool2d({ data, shape }, { kernelSize: 2, beta });
        for (let i = 0; i < blocks.length; i++) {
          assert.ok(Object.is(out.data[i], blocks[i]), `W=${W} beta=${beta} block ${i}: got ${out.data[i]}, want ${blocks[i]}`);
        }
      }
    }
  });
});

describe('softPool2d forward: signed zeros', () => {
  it('all -0 input pools to zero (no NaN) for every beta', () => {
    const shape = [1, 2, 4, 6];
    const data = new Float32Array(prod(shape)).fill(-0);
    for (const beta of [0, 1, -1, 4, 30]) {
      const y = checkForward(data, shape, { kernelSize: 2, beta });
      for (let i = 0; i < y.length; i++) assert.ok(y[i] === 0, `beta=${beta} y[${i}] = ${y[i]}`);
    }
  });
  it('mixed -0/+0 and -0 with other values match the reference', () => {
    const shape = [1, 1, 4, 6];
    const data = Float32Array.from([-0, 0, -0, 1, -0, -2, 0, -0, -0, -0, 3, -0, -0, 0, 0.5, -0, 0, 0, -0, -0, -0, -0, -0, -0]);
    for (const beta of [0, 1, -1]) {
      const y = checkForward(data, shape, { kernelSize: 2, beta });
      assert.ok(y[0] === 0 && y[5] === 0, `zero windows pool to 0: ${y[0]}, ${y[5]}`);
    }
  });
});

describe('softPool2d forward: immutability and result independence', () => {
  it('input data, shape and options are left untouched (frozen shape/options accepted)', () => {
    const x = randTensor(mulberry32(3), [2, 3, 6, 7]);
    const copy = x.data.slice();
    const shape = Object.freeze([2, 3, 6, 7]);
    const opts = Object.freeze({ kernelSize: Object.freeze([3, 2]), stride: Object.freeze([2, 1]), padding: Object.freeze([1, 1]), ceilMode: true, beta: 2 });
    const tensor = Object.freeze({ data: x.data, shape });
    const out = softPool2d(tensor, opts);
    assertBitsEqual(x.data, copy, 'input data');
    assert.deepEqual([...shape], [2, 3, 6, 7]);
    assert.notEqual(out.shape, shape, 'output shape must not be the input shape array');
    assert.notEqual(out.data.buffer, x.data.buffer, 'output must not alias the input buffer');
  });
  it('a later call does not overwrite an earlier result', () => {
    const rng = mulberry32(4);
    const a = randTensor(rng, [1, 2, 8, 8]);
    const b = randTensor(rng, [1, 2, 8, 8]);
    const ya = softPool2d(a, { kernelSize: 2 });
    const yaCopy = ya.data.slice();
    softPool2d(b, { kernelSize: 2 });
    softPool2d(randTensor(rng, [3, 3, 40, 40]), { kernelSize: 3, stride: 1, padding: 1 });
    assertBitsEqual(ya.data, yaCopy, 'earlier result');
  });
  it('input that is a subarray view at an odd offset works', () => {
    const base = randTensor(mulberry32(6), [1 + 2 * 3 * 5 * 9]).data;
    const view = base.subarray(1);
    const shape = [2, 3, 5, 9];
    checkForward(view, shape, { kernelSize: 3, stride: 2, padding: 1, beta: -1 });
    checkForward(view, shape, { kernelSize: 2, beta: 4 });
  });
});
