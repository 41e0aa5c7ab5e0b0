// Seeded random problems across every N-d function: plain/adaptive, 1D/2D/3D, both layouts,
// batched/unbatched, random geometry, beta and data (ordinary, huge, ±Inf/NaN).
import { describe, it, before } from 'node:test';
import { outputSize } from './reference.ts';
import { mulberry32, randFloat32, randInt, prod, type Rng } from './helpers.ts';
import {
  lib, type Op, type AnyOpts, checkForward, checkBackward, checkLayoutAgreement, outShapeOf, extremeData, sprinkle,
} from './nd_common.ts';

before(async () => {
  await lib.init();
});

const BETAS = [0, 0.5, 1, 4, -1, 30, -30, 1e-3, Math.fround(1e10), Math.fround(-1e10), Math.fround(1e-30)];
const pick = <T>(rng: Rng, a: readonly T[]): T => a[Math.floor(rng() * a.length)];

interface Problem { op: Op; cfShape: number[]; opts: AnyOpts; kind: string }

function randomProblem(rng: Rng): Problem {
  const spatial = pick(rng, [1, 2, 3] as const);
  const adaptive = rng() < 0.35;
  const dims: number[] = [];
  for (let d = 0; d < spatial; d++) {
    const inner = d === spatial - 1;
    dims.push(inner ? randInt(rng, 1, spatial === 3 ? 20 : 40) : randInt(rng, 1, spatial === 3 ? 5 : 9));
  }
  const C = pick(rng, [1, 2, 3, 4, 5, 7, 8, 9, 13, 17]);
  const batched = rng() < 0.7;
  const cfShape = batched ? [randInt(rng, 1, 2), C, ...dims] : [C, ...dims];
  const beta = pick(rng, BETAS);
  let opts: AnyOpts;
  if (adaptive) {
    const out = dims.map((n) => {
      const r = rng();
      return r < 0.15 ? null : r < 0.25 ? 1 : r < 0.35 ? n + randInt(rng, 1, 3) : randInt(rng, 1, n);
    });
    opts = { outputSize: out.every((v) => v === out[0]) && out[0] !== null && rng() < 0.5 ? (out[0] as number) : out, beta };
  } else {
    // draw a kernel per dim that fits the (padded) input
    for (;;) {
      const k = dims.map((n) => randInt(rng, 1, Math.min(5, n + 2)));
      const s = k.map((kk) => (rng() < 0.3 ? kk : randInt(rng, 1, 3)));
      const p = k.map((kk) => (rng() < 0.5 ? 0 : randInt(rng, 0, Math.floor(kk / 2))));
      const ceilMode = rng() < 0.4;
      if (dims.every((n, d) => n + 2 * p[d] >= k[d] && outputSize(n, k[d], s[d], p[d], ceilMode) >= 1)) {
        opts = { kernelSize: k.every((v) => v === k[0]) && rng() < 0.5 ? k[0] : k, stride: s, padding: p, ceilMode, beta };
        break;
      }
    }
  }
  const kind = pick(rng, ['normal', 'normal', 'normal', 'huge', 'special']);
  return { op: { spatial, adaptive }, cfShape, opts, kind };
}

function dataFor(rng: Rng, p: Problem): Float32Array {
  const n = prod(p.cfShape);
  if (p.kind === 'huge') return extremeData(rng, n, pick(rng, [[1e30, -1e30, 1, -1, 0], [3e38 / 1.5, -3e38 / 1.5, 1e38, 5], [1e19, -2e19, 3e18, 1], [-2e38, -1.5e38]]));
  const x = randFloat32(rng, n, -3, 3);
  if (p.kind !== 'special') return x;
  const beta = p.opts.beta ?? 1;
  // beta = 0 with +Inf and -Inf in one window has an unspecified gradient: one sign only there
  return sprinkle(rng, x, 0.05, beta === 0 ? 0 : 0.05, 0.01);
}

describe('N-d fuzz (seeded)', () => {
  const GROUPS = 40, PER = 10;
  for (let gi = 0; gi < GROUPS; gi++) {
    it(`group ${gi}: ${PER} random problems`, () => {
      const rng = mulberry32(90_000 + gi);
      for (let j = 0; j < PER; j++) {
        const p = randomProblem(rng);
        const x = dataFor(rng, p);
        const g = randFloat32(rng, prod(outShapeOf(p.op, p.cfShape, p.opts)), -1, 1);
        const tag = ` [fuzz group ${gi} #${j} ${p.kind}]`;
        if (rng() < 0.5) {
          checkLayoutAgreement(p.op, x, p.cfShape, g, p.opts);
        } else {
          checkForward(p.op, x, p.cfShape, p.opts, tag);
          checkBackward(p.op, x, p.cfShape, g, p.opts, tag);
        }
      }
    });
  }
});

describe('N-d memory: every call frees what it allocates', () => {
  it('300 calls over all functions and layers: inUseBytes back to its start, memory stops growing after warm-up', () => {
    const rng = mulberry32(91_000);
    const problems = Array.from({ length: 30 }, () => {
      const p = randomProblem(rng);
      const x = randFloat32(rng, prod(p.cfShape));
      const g = randFloat32(rng, prod(outShapeOf(p.op, p.cfShape, p.opts)), -1, 1);
      return { p, x, g };
    });
    const run = () => {
      for (const { p, x, g } of problems) {
        const name = `${p.op.adaptive ? 'adaptiveSoftPool' : 'softPool'}${p.op.spatial}d`;
        const f = (lib as unknown as Record<string, (...a: unknown[]) => { shape: number[] }>)[name];
        const b = (lib as unknown as Record<string, (...a: unknown[]) => unknown>)[`${name}Backward`];
        const y = f({ data: x, shape: p.cfShape }, p.opts);
        b({ data: x, shape: p.cfShape }, { data: g, shape: y.shape }, p.opts);
        const L = (lib as unknown as Record<string, new (o: unknown) => { forward(t: unknown): { shape: number[] }; backward(t: unknown): unknown }>)[
          `${p.op.adaptive ? 'AdaptiveSoftPool' : 'SoftPool'}${p.op.spatial}d`];
        const layer = new L(p.opts);
        const yl = layer.forward({ data: x, shape: p.cfShape });
        layer.backward({ data: g, shape: yl.shape });
      }
    };
    const start = lib.stats().inUseBytes;
    run();
    const warm = lib.stats();
    for (let i = 0; i < 4; i++) run();
    const end = lib.stats();
    if (end.inUseBytes !== start) throw new Error(`inUseBytes ${start} -> ${end.inUseBytes}`);
    if (end.memoryBytes !== warm.memoryBytes) throw new Error(`memory grew after warm-up: ${warm.memoryBytes} -> ${end.memoryBytes}`);
  });
});

describe('wide dynamic range with overlapping windows (beta * spread far beyond the float32 exp range)', () => {
  // Overlapping channels-first windows may share exponentials across a plane; windows far below
  // the plane's extreme, and spikes near the float32 exp underflow (~88, ~104), must stay exact.
  const ops: Array<[Op, number[]]> = [
    [{ spatial: 1, adaptive: false }, [2, 3, 400]], [{ spatial: 2, adaptive: false }, [1, 2, 20, 37]], [{ spatial: 3, adaptive: false }, [1, 2, 4, 6, 21]],
  ];
  const cfgs: AnyOpts[] = [
    { kernelSize: 3, stride: 1, padding: 1 }, { kernelSize: 2, stride: 1 }, { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }, { kernelSize: 5, stride: 2, padding: 2 },
  ];
  let seed = 92_000;
  for (const [op, shape] of ops) {
    for (const cfg of cfgs) {
      for (const beta of [1, 4, -1, 30]) {
        const s = seed++;
        it(`${op.spatial}D x[${shape}] ${JSON.stringify(cfg)} beta=${beta}`, () => {
          const rng = mulberry32(s);
          const n = prod(shape), plane = n / shape[0];
          const data: Float32Array[] = [];
          for (const R of [30, 1000, 1e5]) data.push(randFloat32(rng, n, -R, R));
          for (const slope of [0.37, 3.3, 17]) data.push(Float32Array.from({ length: n }, (_, i) => (i % plane) * slope + rng()));
          for (const spike of [50, 88, 89, 104, 1e4]) {
            const x = randFloat32(rng, n, -1, 1);
            for (let i = 0; i < n; i += 17) x[i] = (rng() < 0.5 ? 1 : -1) * spike;
            data.push(x);
          }
          for (const x of data) {
            checkForward(op, x, shape, { ...cfg, beta });
            checkBackward(op, x, shape, randFloat32(rng, prod(outShapeOf(op, shape, cfg)), -1, 1), { ...cfg, beta });
          }
        });
      }
    }
  }
});
