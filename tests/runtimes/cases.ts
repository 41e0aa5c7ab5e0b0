// Cases shared by the runtime suites (Deno, Chromium, the single-file build under Node and
// Deno): forward and backward of SoftPool 1D/2D/3D and adaptive 2D, both layouts, with every
// output width 1..9 (SIMD groups of 4 plus tails) and every channel count 1..9 (channels-last
// runs SIMD across C). Expected values come from the project's float64 reference
// (tests/reference.ts) at run time; tolerances are the README's. Runtime-neutral: no imports
// but the reference, which has none.
import {
  adaptiveOutShape, adaptiveSoftPoolNdBackwardRef, adaptiveSoftPoolNdRef,
  softPoolNdBackwardRef, softPoolNdOutShape, softPoolNdRef,
} from '../reference.ts';

export type CaseFn = 'softPool1d' | 'softPool2d' | 'softPool3d' | 'adaptiveSoftPool2d';

export interface Case {
  name: string;
  fn: CaseFn;
  shape: number[];
  options: Record<string, unknown>;
  /** float32 values, as plain numbers */
  x: number[];
  g: number[];
}

export interface CaseResult {
  y: number[];
  yShape: number[];
  gradInput: number[];
  gradInputShape: number[];
  gradBeta: number;
}

const SPATIAL: Record<CaseFn, number> = { softPool1d: 1, softPool2d: 2, softPool3d: 3, adaptiveSoftPool2d: 2 };

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function outShape(fn: CaseFn, shape: number[], options: Record<string, unknown>): number[] {
  return fn === 'adaptiveSoftPool2d'
    ? adaptiveOutShape(shape, options as never, SPATIAL[fn])
    : softPoolNdOutShape(shape, options as never, SPATIAL[fn]);
}

/** The cases, the same on every call (seeded). */
export function makeCases(): Case[] {
  const rng = mulberry32(20240611);
  const vals = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * rng()));
  const cases: Case[] = [];
  const add = (fn: CaseFn, shape: number[], options: Record<string, unknown>, lo = -3, hi = 3) => {
    const os = outShape(fn, shape, options);
    cases.push({
      name: `${fn} ${JSON.stringify(shape)} ${JSON.stringify(options)}`,
      fn, shape, options, x: vals(count(shape), lo, hi), g: vals(count(os), -1, 1),
    });
  };
  const windows: Array<Record<string, unknown>> = [
    { kernelSize: 1 },
    { kernelSize: [2, 2], stride: 1 },
    { kernelSize: 2 },
    { kernelSize: 3, stride: 1, padding: 1, beta: 4 },
    { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], ceilMode: true, beta: -1.5 },
    { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, beta: 0 },
  ];
  for (let w = 1; w <= 9; w++) {
    for (const o of windows) {
      const k = typeof o.kernelSize === 'number' ? o.kernelSize : (o.kernelSize as number[])[1];
      const p = o.padding === undefined ? 0 : typeof o.padding === 'number' ? o.padding : (o.padding as number[])[1];
      if (k > w + 2 * p) continue;
      add('softPool2d', [2, 3, 5, w], o);
    }
    add('softPool2d', [1, 3, w], { kernelSize: [1, 2], stride: 1, padding: [0, 1], beta: 2 }); // [C,H,W]
    add('softPool2d', [2, 4, 4, w], { kernelSize: 2, stride: 1, padding: 1, dataFormat: 'channelsLast', beta: 3 }); // C = w below
    add('softPool2d', [1, 5, 5, w], { kernelSize: 3, stride: 2, dataFormat: 'channelsLast', beta: -2 });
  }
  add('softPool1d', [2, 3, 17], { kernelSize: 3, stride: 2, padding: 1, beta: 1.5 });
  add('softPool3d', [1, 2, 4, 5, 7], { kernelSize: 2, stride: [1, 2, 1], beta: 0.5 });
  add('adaptiveSoftPool2d', [2, 3, 7, 9], { outputSize: [3, 4], beta: 2 });
  add('softPool2d', [1, 2, 6, 11], { kernelSize: 2, beta: 20 }, 0, 1);
  add('softPool2d', [1, 1, 4, 9], { kernelSize: 3, stride: 1, beta: 1 }, -3e4, 3e4);
  return cases;
}

/** The float64 reference for one case. */
export function expected(c: Case) {
  const x = Float64Array.from(c.x);
  const g = Float64Array.from(c.g);
  const spatial = SPATIAL[c.fn];
  if (c.fn === 'adaptiveSoftPool2d') {
    return { fwd: adaptiveSoftPoolNdRef(x, c.shape, c.options as never, spatial), bwd: adaptiveSoftPoolNdBackwardRef(x, c.shape, g, c.options as never, spatial) };
  }
  return { fwd: softPoolNdRef(x, c.shape, c.options as never, spatial), bwd: softPoolNdBackwardRef(x, c.shape, g, c.options as never, spatial) };
}

/**
 * Compares a result with the reference: forward |y - y_ref| <= 1e-5 * max(1, max|x| over the
 * window), gradInput within 1e-4 * max(1, max|gradInput_ref|), gradBeta within 1e-4 of its
 * scale. Returns the problems found (empty when the result is right).
 */
export function checkCase(c: Case, r: CaseResult | { error: string }): string[] {
  if ('error' in r) return [`${c.name}: threw ${r.error}`];
  const { fwd, bwd } = expected(c);
  const errors: string[] = [];
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(r.yShape, fwd.shape)) errors.push(`${c.name}: output shape ${JSON.stringify(r.yShape)}, want ${JSON.stringify(fwd.shape)}`);
  if (!same(r.gradInputShape, c.shape)) errors.push(`${c.name}: gradInput shape ${JSON.stringify(r.gradInputShape)}, want ${JSON.stringify(c.shape)}`);
  if (r.y.length !== fwd.y.length) return [...errors, `${c.name}: ${r.y.length} outputs, want ${fwd.y.length}`];
  for (let i = 0; i < fwd.y.length; i++) {
    const tol = 1e-5 * fwd.scale[i];
    if (!(Math.abs(r.y[i] - fwd.y[i]) <= tol)) {
      errors.push(`${c.name}: y[${i}] = ${r.y[i]}, want ${fwd.y[i]} (tol ${tol})`);
      break;
    }
  }
  if (r.gradInput.length !== bwd.gradInput.length) return [...errors, `${c.name}: ${r.gradInput.length} gradients, want ${bwd.gradInput.length}`];
  let gmax = 1;
  for (const v of bwd.gradInput) gmax = Math.max(gmax, Math.abs(v));
  for (let i = 0; i < bwd.gradInput.length; i++) {
    if (!(Math.abs(r.gradInput[i] - bwd.gradInput[i]) <= 1e-4 * gmax)) {
      errors.push(`${c.name}: gradInput[${i}] = ${r.gradInput[i]}, want ${bwd.gradInput[i]} (tol ${1e-4 * gmax})`);
      break;
    }
  }
  if (!(Math.abs(r.gradBeta - bwd.gradBeta) <= 1e-4 * bwd.gradBetaScale)) {
    errors.push(`${c.name}: gradBeta = ${r.gradBeta}, want ${bwd.gradBeta} (tol ${1e-4 * bwd.gradBetaScale})`);
  }
  return errors;
}
