// A second float64 evaluation of the backward pass, used only as a fallback judge when the
// library disagrees with tests/reference.ts.
//
// Why: tests/reference.ts computes y = sum_i w_i x_i and then d_i = x_i - y. When y is large
// (|x| ~ 1e30) or beta is huge, the float64 rounding of y (eps*|y|) is amplified: d_i picks up
// ~eps*|y| of noise, so gradInput gets an error of |g| w |beta| eps |y| and gradBeta a bogus
// variance of ~(eps*|y|)^2 per window (e.g. three tied 1e30 entries give a nonzero variance).
// Here the same weights (poolWindow from tests/reference.ts, so the same special-value rules)
// are used, but d_i = (x_i - m) - sum_j w_j (x_j - m) with m an entry of the window, which has
// no such cancellation. A library result is accepted when it matches either evaluation at the
// core tolerances.
import {
  poolWindow, poolWindowsNd, adaptiveWindows, adaptiveOutputSizes, shapeToChannelsFirst, shapeToChannelsLast,
  toChannelsFirst, toChannelsLast, type DimWindows, type RefOptionsNd, type AdaptiveRefOptions,
} from '../reference.ts';
import { caseInfo, type Case } from './cases.ts';

export interface CenteredBackward { gradInput: Float64Array; gradBeta: number; gradBetaScale: number }

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function centeredBackward(c: Case, x: Float32Array, g: Float32Array, betaOverride?: number): CenteredBackward {
  const { spatial, adaptive } = caseInfo(c.fn);
  const last = c.opts.dataFormat === 'channelsLast';
  const beta = betaOverride ?? (c.opts.beta as number | undefined) ?? 1;
  const cf = last ? shapeToChannelsFirst(c.shape, spatial) : [...c.shape];
  const inSize = cf.slice(cf.length - spatial);
  const planes = prod(cf.slice(0, cf.length - spatial));
  const windows: DimWindows = adaptive
    ? adaptiveWindows(inSize, adaptiveOutputSizes(inSize, (c.opts as unknown as AdaptiveRefOptions).outputSize))
    : poolWindowsNd(inSize, c.opts as unknown as RefOptionsNd);
  const outSize = windows.map((wd) => wd.length);
  const outCf = [...cf.slice(0, cf.length - spatial), ...outSize];
  const xc = last ? toChannelsFirst(x, c.shape, spatial) : x;
  const gc = last ? toChannelsFirst(g, shapeToChannelsLast(outCf, spatial), spatial) : g;

  const inPlane = prod(inSize), outPlane = prod(outSize);
  const inStride = new Array<number>(spatial);
  let acc = 1;
  for (let d = spatial - 1; d >= 0; d--) { inStride[d] = acc; acc *= inSize[d]; }
  // in-plane indices of every window, in output order
  const local: number[][] = [];
  const oi = new Array<number>(spatial).fill(0);
  for (let o = 0; o < outPlane; o++) {
    let r = o;
    for (let d = spatial - 1; d >= 0; d--) { oi[d] = r % outSize[d]; r = Math.floor(r / outSize[d]); }
    let idx = [0];
    for (let d = 0; d < spatial; d++) {
      const [a, b] = windows[d][oi[d]];
      const next: number[] = [];
      for (const base of idx) for (let i = a; i < b; i++) next.push(base + i * inStride[d]);
      idx = next;
    }
    local.push(idx);
  }

  const gi = new Float64Array(xc.length);
  const nanEntries: number[] = [];
  let gradBeta = 0, scale = 0;
  for (let plane = 0; plane < planes; plane++) {
    for (let o = 0; o < outPlane; o++) {
      const idx = local[o].map((i) => plane * inPlane + i);
      const vals = idx.map((i) => xc[i]);
      const go = gc[plane * outPlane + o];
      const r = poolWindow(vals, beta);
      if (r.kind === 'nan') { nanEntries.push(...idx); gradBeta = NaN; continue; }
      if (r.kind === 'inf') {
        let k = 0;
        for (let j = 0; j < idx.length; j++) k += r.weights[j];
        for (let j = 0; j < idx.length; j++) if (r.weights[j] !== 0) gi[idx[j]] += go / k;
        continue;
      }
      // centre on the entry of largest weight
      let jm = 0;
      for (let j = 1; j < vals.length; j++) if (r.weights[j] > r.weights[jm]) jm = j;
      const m = vals[jm];
      let shift = 0;
      for (let j = 0; j < vals.length; j++) if (r.weights[j] !== 0) shift += r.weights[j] * (vals[j] - m);
      let variance = 0;
      for (let j = 0; j < vals.length; j++) {
        const wj = r.weights[j];
        if (wj === 0) continue;
        const d = (vals[j] - m) - shift;
        gi[idx[j]] += go * wj * (1 + beta * d);
        variance += wj * d * d;
      }
      gradBeta += go * variance;
      scale += Math.abs(go) * variance;
    }
  }
  for (const i of nanEntries) gi[i] = NaN;
  return { gradInput: last ? toChannelsLast(gi, cf, spatial) : gi, gradBeta, gradBetaScale: Math.max(1, scale) };
}
