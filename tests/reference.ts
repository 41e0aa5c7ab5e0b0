// Independent float64 reference for SoftPool (Stergiou et al., ICCV 2021).
//
// Written directly from the definition with plain loops over windows; it must
// not import anything from js/ or assembly/. Cells of a window that fall in the
// padding are not part of the window (weight 0, never value 0).
//
//   w_i = exp(beta*x_i) / sum_R exp(beta*x_j),   y = sum_R w_i x_i
//   dL/dx_i  = sum over windows containing i of g * w_i * (1 + beta*(x_i - y))
//   dL/dbeta = sum over windows of g * sum_R w_i (x_i - y)^2
//
// Special values follow the documented rule (see README / brief):
//   * NaN anywhere in a window -> y = NaN, every gradient entry of the window
//     NaN, gradBeta NaN.
//   * beta = 0 -> arithmetic mean (+Inf with -Inf -> NaN). An infinite mean gives
//     g/n to every entry and 0 to gradBeta.
//   * beta > 0: +Inf in the window -> y = +Inf; otherwise -Inf entries get weight
//     0 unless the whole window is -Inf (y = -Inf). beta < 0 is the mirror image.
//     For y = +-Inf the k infinite entries that determine y get g/k each, the
//     rest 0, and the window contributes 0 to gradBeta.
//   * A window of equal values pools to exactly that value.

export interface RefOptions {
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  ceilMode?: boolean;
  beta?: number;
}

export interface NormOptions {
  kH: number; kW: number;
  sH: number; sW: number;
  pH: number; pW: number;
  ceilMode: boolean;
  beta: number;
}

function pair(v: number | readonly number[], name: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (v.length !== 2) throw new RangeError(`reference: ${name} must have 2 entries`);
  return [v[0], v[1]];
}

export function normalizeOptions(o: RefOptions): NormOptions {
  const [kH, kW] = pair(o.kernelSize, 'kernelSize');
  const [sH, sW] = o.stride === undefined ? [kH, kW] : pair(o.stride, 'stride');
  const [pH, pW] = o.padding === undefined ? [0, 0] : pair(o.padding, 'padding');
  for (const [n, v] of [['kH', kH], ['kW', kW], ['sH', sH], ['sW', sW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`reference: bad ${n}=${v}`);
  }
  if (!Number.isInteger(pH) || pH < 0 || pH > Math.floor(kH / 2)) throw new RangeError(`reference: bad pH=${pH}`);
  if (!Number.isInteger(pW) || pW < 0 || pW > Math.floor(kW / 2)) throw new RangeError(`reference: bad pW=${pW}`);
  return { kH, kW, sH, sW, pH, pW, ceilMode: o.ceilMode ?? false, beta: o.beta ?? 1 };
}

/** PyTorch pooling output-size rule. May return < 1 (caller decides it is an error). */
export function outputSize(inp: number, k: number, s: number, p: number, ceil: boolean): number {
  const span = inp + 2 * p - k;
  let out: number;
  if (ceil) {
    out = Math.ceil(span / s) + 1;
    // the last window must start inside the input or the left padding
    if ((out - 1) * s >= inp + p) out -= 1;
  } else {
    out = Math.floor(span / s) + 1;
  }
  return out;
}

interface Geometry {
  N: number; C: number; H: number; W: number; oH: number; oW: number;
  outShape: number[]; o: NormOptions;
}

function geometry(shape: readonly number[], opts: RefOptions): Geometry {
  if (shape.length !== 3 && shape.length !== 4) throw new RangeError('reference: rank must be 3 or 4');
  const [N, C, H, W] = shape.length === 4 ? shape : [1, shape[0], shape[1], shape[2]];
  const o = normalizeOptions(opts);
  const oH = outputSize(H, o.kH, o.sH, o.pH, o.ceilMode);
  const oW = outputSize(W, o.kW, o.sW, o.pW, o.ceilMode);
  if (oH < 1 || oW < 1) throw new RangeError('reference: output size < 1');
  const outShape = shape.length === 4 ? [N, C, oH, oW] : [C, oH, oW];
  return { N, C, H, W, oH, oW, outShape, o };
}

/** Indices (into the flat input) of the in-bounds cells of one window. */
function windowIndices(g: Geometry, plane: number, oy: number, ox: number): number[] {
  const { H, W, o } = g;
  const y0 = oy * o.sH - o.pH, x0 = ox * o.sW - o.pW;
  const idx: number[] = [];
  for (let dy = 0; dy < o.kH; dy++) {
    const iy = y0 + dy;
    if (iy < 0 || iy >= H) continue;
    for (let dx = 0; dx < o.kW; dx++) {
      const ix = x0 + dx;
      if (ix < 0 || ix >= W) continue;
      idx.push(plane * H * W + iy * W + ix);
    }
  }
  return idx;
}

/** Result of pooling one window, with everything the backward pass needs. */
interface WindowResult {
  y: number;
  /** kind of window */
  kind: 'nan' | 'inf' | 'finite';
  /** for 'finite': weights aligned with vals (0 for excluded entries); for 'inf': 1 for the determining entries */
  weights: Float64Array;
}

export function poolWindow(vals: readonly number[], beta: number): WindowResult {
  const n = vals.length;
  const weights = new Float64Array(n);
  if (n === 0) throw new Error('reference: empty window');
  for (const v of vals) {
    if (Number.isNaN(v)) return { y: NaN, kind: 'nan', weights };
  }
  if (beta === 0) {
    let s = 0;
    for (const v of vals) s += v;
    const y = s / n;
    if (Number.isNaN(y)) return { y: NaN, kind: 'nan', weights }; // +Inf and -Inf together
    if (!Number.isFinite(y)) {
      weights.fill(1);
      return { y, kind: 'inf', weights };
    }
    weights.fill(1 / n);
    if (vals.every((v) => v === vals[0])) return { y: vals[0], kind: 'finite', weights };
    return { y, kind: 'finite', weights };
  }
  const dom = beta > 0 ? Infinity : -Infinity; // dominating infinity
  let nDom = 0, nAnti = 0;
  for (const v of vals) {
    if (v === dom) nDom++;
    else if (v === -dom) nAnti++;
  }
  if (nDom > 0) {
    for (let i = 0; i < n; i++) weights[i] = vals[i] === dom ? 1 : 0;
    return { y: dom, kind: 'inf', weights };
  }
  if (nAnti === n) {
    weights.fill(1);
    return { y: -dom, kind: 'inf', weights };
  }
  // finite entries only; anti-dominant infinities get weight 0
  // m = the entry maximising beta*x; shift by it (float64, exact for float32 data)
  let m = NaN;
  for (const v of vals) {
    if (!Number.isFinite(v)) continue;
    if (Number.isNaN(m) || (beta > 0 ? v > m : v < m)) m = v;
  }
  let S = 0;
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    if (!Number.isFinite(v)) { weights[i] = 0; continue; }
    const e = Math.exp(beta * (v - m)); // exponent <= 0
    weights[i] = e;
    S += e;
  }
  let num = 0;
  for (let i = 0; i < n; i++) {
    weights[i] /= S;
    if (weights[i] !== 0) num += weights[i] * vals[i];
  }
  // equal values (among the finite ones with weight) pool to exactly that value
  const finite = vals.filter((v) => Number.isFinite(v));
  if (finite.every((v) => v === finite[0])) return { y: finite[0], kind: 'finite', weights };
  return { y: num, kind: 'finite', weights };
}

export interface ForwardRef {
  y: Float64Array;
  /** per output: max(1, max |x| over the finite entries of its window) */
  scale: Float64Array;
  shape: number[];
}

export function softPool2dRef(
  x: Float32Array | Float64Array, shape: readonly number[], opts: RefOptions,
): ForwardRef {
  const g = geometry(shape, opts);
  const { N, C, oH, oW } = g;
  if (x.length !== N * C * g.H * g.W) throw new RangeError('reference: data length mismatch');
  const y = new Float64Array(N * C * oH * oW);
  const scale = new Float64Array(y.length);
  for (let plane = 0; plane < N * C; plane++) {
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++) {
        const idx = windowIndices(g, plane, oy, ox);
        const vals = idx.map((i) => x[i]);
        const o = plane * oH * oW + oy * oW + ox;
        y[o] = poolWindow(vals, g.o.beta).y;
        let sc = 1;
        for (const v of vals) if (Number.isFinite(v)) sc = Math.max(sc, Math.abs(v));
        scale[o] = sc;
      }
    }
  }
  return { y, scale, shape: g.outShape };
}

export interface BackwardRef {
  gradInput: Float64Array;
  gradBeta: number;
  /** max(1, sum over windows |g| * weighted variance) */
  gradBetaScale: number;
  y: Float64Array;
  shape: number[];
}

export function softPool2dBackwardRef(
  x: Float32Array | Float64Array, shape: readonly number[],
  gradOutput: Float32Array | Float64Array, opts: RefOptions,
): BackwardRef {
  const g = geometry(shape, opts);
  const { N, C, oH, oW } = g;
  const beta = g.o.beta;
  if (x.length !== N * C * g.H * g.W) throw new RangeError('reference: data length mismatch');
  if (gradOutput.length !== N * C * oH * oW) throw new RangeError('reference: gradOutput length mismatch');
  const gradInput = new Float64Array(x.length);
  const y = new Float64Array(N * C * oH * oW);
  let gradBeta = 0;
  let gbScale = 0;
  const nanEntries: number[] = [];
  for (let plane = 0; plane < N * C; plane++) {
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++) {
        const idx = windowIndices(g, plane, oy, ox);
        const vals = idx.map((i) => x[i]);
        const o = plane * oH * oW + oy * oW + ox;
        const go = gradOutput[o];
        const r = poolWindow(vals, beta);
        y[o] = r.y;
        if (r.kind === 'nan') {
          for (const i of idx) nanEntries.push(i);
          gradBeta = NaN;
          continue;
        }
        if (r.kind === 'inf') {
          let k = 0;
          for (let j = 0; j < idx.length; j++) k += r.weights[j];
          for (let j = 0; j < idx.length; j++) if (r.weights[j] !== 0) gradInput[idx[j]] += go / k;
          continue;
        }
        let variance = 0;
        for (let j = 0; j < idx.length; j++) {
          const w = r.weights[j];
          if (w === 0) continue;
          const d = vals[j] - r.y;
          gradInput[idx[j]] += go * w * (1 + beta * d);
          variance += w * d * d;
        }
        gradBeta += go * variance;
        gbScale += Math.abs(go) * variance;
      }
    }
  }
  for (const i of nanEntries) gradInput[i] = NaN;
  return { gradInput, gradBeta, gradBetaScale: Math.max(1, gbScale), y, shape: g.outShape };
}

/** Average pooling (count_include_pad = false), for cross-checking beta = 0. */
export function avgPool2dRef(x: Float32Array | Float64Array, shape: readonly number[], opts: RefOptions): Float64Array {
  const g = geometry(shape, opts);
  const out = new Float64Array(g.N * g.C * g.oH * g.oW);
  for (let plane = 0; plane < g.N * g.C; plane++)
    for (let oy = 0; oy < g.oH; oy++)
      for (let ox = 0; ox < g.oW; ox++) {
        const idx = windowIndices(g, plane, oy, ox);
        let s = 0;
        for (const i of idx) s += x[i];
        out[plane * g.oH * g.oW + oy * g.oW + ox] = s / idx.length;
      }
  return out;
}

/** Max / min pooling over in-bounds cells, for cross-checking large |beta|. */
export function extremePool2dRef(
  x: Float32Array | Float64Array, shape: readonly number[], opts: RefOptions, which: 'max' | 'min',
): Float64Array {
  const g = geometry(shape, opts);
  const out = new Float64Array(g.N * g.C * g.oH * g.oW);
  for (let plane = 0; plane < g.N * g.C; plane++)
    for (let oy = 0; oy < g.oH; oy++)
      for (let ox = 0; ox < g.oW; ox++) {
        const idx = windowIndices(g, plane, oy, ox);
        let m = which === 'max' ? -Infinity : Infinity;
        for (const i of idx) m = which === 'max' ? Math.max(m, x[i]) : Math.min(m, x[i]);
        out[plane * g.oH * g.oW + oy * g.oW + ox] = m;
      }
  return out;
}
