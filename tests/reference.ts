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

/** A reference entry of the window (one with weight) and t = Σ w (x - ref), so x - y = (x - ref) - t. */
function centre(vals: ArrayLike<number>, weights: ArrayLike<number>): { ref: number; t: number } {
  let ref = NaN;
  for (let j = 0; j < vals.length; j++) if (weights[j] !== 0) { ref = vals[j]; break; }
  let t = 0;
  for (let j = 0; j < vals.length; j++) if (weights[j] !== 0) t += weights[j] * (vals[j] - ref);
  return { ref, t };
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
        // d = x - y evaluated centred on one of the window's entries: y = Σ w x rounds at the
        // scale of |x|, and beta*(x - y) would magnify that (e.g. seven 1e30 and a 0).
        const c = centre(vals, r.weights);
        let variance = 0;
        for (let j = 0; j < idx.length; j++) {
          const w = r.weights[j];
          if (w === 0) continue;
          const d = (vals[j] - c.ref) - c.t;
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

// ---------------------------------------------------------------------------------------------
// N-d reference (1D, 2D, 3D, ...), channels-first core plus a layout transpose for channelsLast,
// and adaptive windows. Same definition and special-value rules as above (poolWindow); written
// without reference to js/ or assembly/.
//
// A problem is described by, for every spatial dim d, the list of its windows [start, end)
// (already clipped to the input, so padding cells are simply absent). Plain pooling and adaptive
// pooling only differ in how that list is made.
// ---------------------------------------------------------------------------------------------

export type DataFormat = 'channelsFirst' | 'channelsLast';

export interface RefOptionsNd extends RefOptions {
  dataFormat?: DataFormat;
}

export interface AdaptiveRefOptions {
  /** a number (every spatial dim) or one entry per spatial dim; null keeps that input size */
  outputSize: number | readonly (number | null)[];
  beta?: number;
  dataFormat?: DataFormat;
}

/** Per spatial dim: the windows [start, end) along that dim, in output order. */
export type DimWindows = Array<Array<[number, number]>>;

type FloatArray = Float32Array | Float64Array;

function perDimRef(v: number | readonly number[], spatial: number, name: string): number[] {
  if (typeof v === 'number') return new Array<number>(spatial).fill(v);
  if (v.length !== spatial) throw new RangeError(`reference: ${name} must have ${spatial} entries`);
  return [...v];
}

/** Windows of plain (kernel/stride/padding) pooling, PyTorch's output-size rule per dim. */
export function poolWindowsNd(inSize: readonly number[], opts: RefOptions): DimWindows {
  const spatial = inSize.length;
  const k = perDimRef(opts.kernelSize, spatial, 'kernelSize');
  const s = opts.stride === undefined ? k.slice() : perDimRef(opts.stride, spatial, 'stride');
  const p = opts.padding === undefined ? new Array<number>(spatial).fill(0) : perDimRef(opts.padding, spatial, 'padding');
  const ceil = opts.ceilMode ?? false;
  return inSize.map((n, d) => {
    if (!Number.isInteger(k[d]) || k[d] < 1) throw new RangeError(`reference: bad kernelSize[${d}]=${k[d]}`);
    if (!Number.isInteger(s[d]) || s[d] < 1) throw new RangeError(`reference: bad stride[${d}]=${s[d]}`);
    if (!Number.isInteger(p[d]) || p[d] < 0 || p[d] > Math.floor(k[d] / 2)) throw new RangeError(`reference: bad padding[${d}]=${p[d]}`);
    const out = outputSize(n, k[d], s[d], p[d], ceil);
    if (out < 1) throw new RangeError(`reference: output size < 1 in dim ${d}`);
    const w: Array<[number, number]> = [];
    for (let o = 0; o < out; o++) {
      const start = o * s[d] - p[d];
      const a = Math.max(0, start), b = Math.min(n, start + k[d]);
      if (a >= b) throw new Error(`reference: empty window ${o} in dim ${d}`);
      w.push([a, b]);
    }
    return w;
  });
}

/** Adaptive output sizes: a number for every dim, or per dim with null = keep the input size. */
export function adaptiveOutputSizes(inSize: readonly number[], outputSize: AdaptiveRefOptions['outputSize']): number[] {
  const spatial = inSize.length;
  const list = typeof outputSize === 'number' ? new Array<number>(spatial).fill(outputSize) : [...outputSize];
  if (list.length !== spatial) throw new RangeError(`reference: outputSize must have ${spatial} entries`);
  return list.map((v, d) => {
    const o = v === null ? inSize[d] : v;
    if (!Number.isInteger(o) || o < 1) throw new RangeError(`reference: bad outputSize[${d}]=${o}`);
    return o;
  });
}

/** PyTorch's adaptive windows: start = floor(i*in/out), end = ceil((i+1)*in/out). */
export function adaptiveWindows(inSize: readonly number[], outSize: readonly number[]): DimWindows {
  return inSize.map((n, d) => {
    const out = outSize[d];
    const w: Array<[number, number]> = [];
    for (let i = 0; i < out; i++) {
      // integer arithmetic: i*n and (i+1)*n are exact for any realistic size
      const start = Math.floor((i * n) / out);
      const end = Math.ceil(((i + 1) * n) / out);
      w.push([start, end]);
    }
    return w;
  });
}

// ----- layout helpers -----

function isBatched(shape: readonly number[], spatial: number): boolean {
  if (shape.length === spatial + 2) return true;
  if (shape.length === spatial + 1) return false;
  throw new RangeError(`reference: rank ${shape.length} is not ${spatial + 1} or ${spatial + 2}`);
}

/** [N?, C, ...S] -> [N?, ...S, C] */
export function shapeToChannelsLast(shape: readonly number[], spatial: number): number[] {
  const b = isBatched(shape, spatial) ? 1 : 0;
  return [...shape.slice(0, b), ...shape.slice(b + 1), shape[b]];
}

/** [N?, ...S, C] -> [N?, C, ...S] */
export function shapeToChannelsFirst(shape: readonly number[], spatial: number): number[] {
  const b = isBatched(shape, spatial) ? 1 : 0;
  return [...shape.slice(0, b), shape[shape.length - 1], ...shape.slice(b, shape.length - 1)];
}

function sameKind<T extends FloatArray>(a: T, n: number): T {
  return (a instanceof Float32Array ? new Float32Array(n) : new Float64Array(n)) as T;
}

/** Transpose data of channels-first `shape` ([N?, C, ...S]) to channels-last ([N?, ...S, C]). */
export function toChannelsLast<T extends FloatArray>(data: T, shape: readonly number[], spatial: number): T {
  const b = isBatched(shape, spatial);
  const N = b ? shape[0] : 1, C = shape[b ? 1 : 0];
  const S = prodRef(shape.slice(shape.length - spatial));
  if (data.length !== N * C * S) throw new RangeError('reference: data length mismatch');
  const out = sameKind(data, data.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let s = 0; s < S; s++) out[(n * S + s) * C + c] = data[(n * C + c) * S + s];
  return out;
}

/** Transpose data of channels-last `shape` ([N?, ...S, C]) to channels-first ([N?, C, ...S]). */
export function toChannelsFirst<T extends FloatArray>(data: T, shape: readonly number[], spatial: number): T {
  const b = isBatched(shape, spatial);
  const N = b ? shape[0] : 1, C = shape[shape.length - 1];
  const S = prodRef(shape.slice(b ? 1 : 0, shape.length - 1));
  if (data.length !== N * C * S) throw new RangeError('reference: data length mismatch');
  const out = sameKind(data, data.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let s = 0; s < S; s++) out[(n * C + c) * S + s] = data[(n * S + s) * C + c];
  return out;
}

function prodRef(a: readonly number[]): number {
  return a.reduce((p, v) => p * v, 1);
}

// ----- channels-first core -----

interface CoreProblem {
  planes: number;
  inSize: number[];
  windows: DimWindows;
  outSize: number[];
}

/** Calls fn(outFlatWithinPlane, inFlatIndicesWithinPlane) for every output cell of one plane. */
function forEachWindow(p: CoreProblem, fn: (o: number, idx: number[]) => void): void {
  const D = p.inSize.length;
  const inStride = new Array<number>(D);
  let acc = 1;
  for (let d = D - 1; d >= 0; d--) { inStride[d] = acc; acc *= p.inSize[d]; }
  const nOut = prodRef(p.outSize);
  const oi = new Array<number>(D).fill(0);
  for (let o = 0; o < nOut; o++) {
    // o in row-major order of outSize; oi is its multi-index
    let r = o;
    for (let d = D - 1; d >= 0; d--) { oi[d] = r % p.outSize[d]; r = Math.floor(r / p.outSize[d]); }
    // row-major product of the per-dim ranges, expanded in place (from the back)
    let count = 1;
    for (let d = 0; d < D; d++) { const [a, b] = p.windows[d][oi[d]]; count *= b - a; }
    const idx = new Array<number>(count);
    idx[0] = 0;
    let n = 1;
    for (let d = 0; d < D; d++) {
      const [a, b] = p.windows[d][oi[d]];
      const len = b - a, st = inStride[d];
      for (let t = n - 1; t >= 0; t--) {
        const v = idx[t];
        for (let i = len - 1; i >= 0; i--) idx[t * len + i] = v + (a + i) * st;
      }
      n *= len;
    }
    fn(o, idx);
  }
}

/**
 * Fast path for an ordinary window (every entry finite, not all equal, beta != 0): the same
 * arithmetic as poolWindow, in the same order, so the result is bit-identical; writes the
 * weights into `w` and returns y. Returns undefined for anything else (the caller then uses
 * poolWindow, which handles every special case).
 */
function fastWindow(x: FloatArray, base: number, idx: readonly number[], beta: number, w: Float64Array): number | undefined {
  const n = idx.length;
  if (beta === 0) {
    // the arithmetic mean, summed in window order as poolWindow does
    const first = x[base + idx[0]];
    let sum = 0, equal = true;
    for (let j = 0; j < n; j++) {
      const v = x[base + idx[j]];
      if (!Number.isFinite(v)) return undefined;
      if (v !== first) equal = false;
      sum += v;
    }
    if (equal) return undefined;
    const y = sum / n;
    if (!Number.isFinite(y)) return undefined;
    for (let j = 0; j < n; j++) w[j] = 1 / n;
    return y;
  }
  const first = x[base + idx[0]];
  let m = first, equal = true;
  for (let j = 0; j < n; j++) {
    const v = x[base + idx[j]];
    if (!Number.isFinite(v)) return undefined;
    if (v !== first) equal = false;
    if (beta > 0 ? v > m : v < m) m = v;
  }
  if (equal) return undefined;
  let S = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(beta * (x[base + idx[j]] - m));
    w[j] = e;
    S += e;
  }
  let num = 0;
  for (let j = 0; j < n; j++) {
    w[j] /= S;
    if (w[j] !== 0) num += w[j] * x[base + idx[j]];
  }
  return num;
}

/** Largest window size of a problem (for scratch buffers). */
function maxWindow(p: CoreProblem): number {
  return p.windows.reduce((acc, dim) => acc * dim.reduce((m, [a, b]) => Math.max(m, b - a), 1), 1);
}

function coreForward(x: FloatArray, p: CoreProblem, beta: number): { y: Float64Array; scale: Float64Array } {
  const inPlane = prodRef(p.inSize), outPlane = prodRef(p.outSize);
  if (x.length !== p.planes * inPlane) throw new RangeError('reference: data length mismatch');
  const y = new Float64Array(p.planes * outPlane);
  const scale = new Float64Array(y.length);
  const local: Array<[number, number[]]> = [];
  forEachWindow(p, (o, idx) => local.push([o, idx]));
  const w = new Float64Array(maxWindow(p));
  for (let plane = 0; plane < p.planes; plane++) {
    const base = plane * inPlane;
    for (const [o, idx] of local) {
      const fast = fastWindow(x, base, idx, beta, w);
      y[plane * outPlane + o] = fast !== undefined ? fast : poolWindow(idx.map((i) => x[base + i]), beta).y;
      let sc = 1;
      for (const i of idx) {
        const v = x[base + i];
        if (Number.isFinite(v)) sc = Math.max(sc, Math.abs(v));
      }
      scale[plane * outPlane + o] = sc;
    }
  }
  return { y, scale };
}

function coreBackward(
  x: FloatArray, gradOutput: FloatArray, p: CoreProblem, beta: number,
): { gradInput: Float64Array; gradBeta: number; gradBetaScale: number; y: Float64Array } {
  const inPlane = prodRef(p.inSize), outPlane = prodRef(p.outSize);
  if (x.length !== p.planes * inPlane) throw new RangeError('reference: data length mismatch');
  if (gradOutput.length !== p.planes * outPlane) throw new RangeError('reference: gradOutput length mismatch');
  const gradInput = new Float64Array(x.length);
  const y = new Float64Array(p.planes * outPlane);
  let gradBeta = 0, gbScale = 0;
  const nanEntries: number[] = [];
  const local: Array<[number, number[]]> = [];
  forEachWindow(p, (o, idx) => local.push([o, idx]));
  const wbuf = new Float64Array(maxWindow(p));
  for (let plane = 0; plane < p.planes; plane++) {
    const base = plane * inPlane;
    for (const [ol, idx] of local) {
      const o = plane * outPlane + ol;
      const go = gradOutput[o];
      let yo: number, weights: Float64Array;
      const fast = fastWindow(x, base, idx, beta, wbuf);
      if (fast !== undefined) {
        yo = fast;
        weights = wbuf;
      } else {
        const r = poolWindow(idx.map((i) => x[base + i]), beta);
        yo = r.y;
        weights = r.weights;
        if (r.kind === 'nan') {
          for (const i of idx) nanEntries.push(base + i);
          gradBeta = NaN;
          y[o] = yo;
          continue;
        }
        if (r.kind === 'inf') {
          let k = 0;
          for (let j = 0; j < idx.length; j++) k += weights[j];
          for (let j = 0; j < idx.length; j++) if (weights[j] !== 0) gradInput[base + idx[j]] += go / k;
          y[o] = yo;
          continue;
        }
      }
      y[o] = yo;
      const c = centre(idx.map((i) => x[base + i]), weights);
      let variance = 0;
      for (let j = 0; j < idx.length; j++) {
        const wj = weights[j];
        if (wj === 0) continue;
        const v = x[base + idx[j]];
        const d = (v - c.ref) - c.t; // x - y, centred (see softPool2dBackwardRef)
        gradInput[base + idx[j]] += go * wj * (1 + beta * d);
        variance += wj * d * d;
      }
      gradBeta += go * variance;
      gbScale += Math.abs(go) * variance;
    }
  }
  for (const i of nanEntries) gradInput[i] = NaN;
  return { gradInput, gradBeta, gradBetaScale: Math.max(1, gbScale), y };
}

// ----- public N-d entry points (layout aware) -----

interface Layout {
  /** channels-first shape of x */
  cfShape: number[];
  planes: number;
  inSize: number[];
  last: boolean;
}

function layoutOf(shape: readonly number[], spatial: number, dataFormat: DataFormat | undefined): Layout {
  const fmt = dataFormat ?? 'channelsFirst';
  if (fmt !== 'channelsFirst' && fmt !== 'channelsLast') throw new RangeError(`reference: bad dataFormat ${String(fmt)}`);
  const last = fmt === 'channelsLast';
  const cfShape = last ? shapeToChannelsFirst(shape, spatial) : (isBatched(shape, spatial), [...shape]);
  const inSize = cfShape.slice(cfShape.length - spatial);
  const planes = prodRef(cfShape.slice(0, cfShape.length - spatial));
  return { cfShape, planes, inSize, last };
}

function outShapeOfLayout(l: Layout, outSize: number[], spatial: number): { cf: number[]; user: number[] } {
  const cf = [...l.cfShape.slice(0, l.cfShape.length - spatial), ...outSize];
  return { cf, user: l.last ? shapeToChannelsLast(cf, spatial) : cf };
}

function runForward(x: FloatArray, shape: readonly number[], spatial: number, dataFormat: DataFormat | undefined,
  windowsOf: (inSize: number[]) => DimWindows, beta: number): ForwardRef {
  const l = layoutOf(shape, spatial, dataFormat);
  if (x.length !== prodRef(shape)) throw new RangeError('reference: data length mismatch');
  const windows = windowsOf(l.inSize);
  const outSize = windows.map((w) => w.length);
  const xc = l.last ? toChannelsFirst(x, shape, spatial) : x;
  const r = coreForward(xc, { planes: l.planes, inSize: l.inSize, windows, outSize }, beta);
  const os = outShapeOfLayout(l, outSize, spatial);
  if (!l.last) return { y: r.y, scale: r.scale, shape: os.user };
  return { y: toChannelsLast(r.y, os.cf, spatial), scale: toChannelsLast(r.scale, os.cf, spatial), shape: os.user };
}

function runBackward(x: FloatArray, shape: readonly number[], gradOutput: FloatArray, spatial: number,
  dataFormat: DataFormat | undefined, windowsOf: (inSize: number[]) => DimWindows, beta: number): BackwardRef {
  const l = layoutOf(shape, spatial, dataFormat);
  if (x.length !== prodRef(shape)) throw new RangeError('reference: data length mismatch');
  const windows = windowsOf(l.inSize);
  const outSize = windows.map((w) => w.length);
  const os = outShapeOfLayout(l, outSize, spatial);
  const xc = l.last ? toChannelsFirst(x, shape, spatial) : x;
  const gc = l.last ? toChannelsFirst(gradOutput, os.user, spatial) : gradOutput;
  const r = coreBackward(xc, gc, { planes: l.planes, inSize: l.inSize, windows, outSize }, beta);
  if (!l.last) return { ...r, shape: os.user };
  return {
    gradInput: toChannelsLast(r.gradInput, l.cfShape, spatial), gradBeta: r.gradBeta, gradBetaScale: r.gradBetaScale,
    y: toChannelsLast(r.y, os.cf, spatial), shape: os.user,
  };
}

/** SoftPool over `spatial` dims; shape per dataFormat ([N?,C,...S] or [N?,...S,C]). */
export function softPoolNdRef(x: FloatArray, shape: readonly number[], opts: RefOptionsNd, spatial: number): ForwardRef {
  return runForward(x, shape, spatial, opts.dataFormat, (s) => poolWindowsNd(s, opts), opts.beta ?? 1);
}

export function softPoolNdBackwardRef(
  x: FloatArray, shape: readonly number[], gradOutput: FloatArray, opts: RefOptionsNd, spatial: number,
): BackwardRef {
  return runBackward(x, shape, gradOutput, spatial, opts.dataFormat, (s) => poolWindowsNd(s, opts), opts.beta ?? 1);
}

export function adaptiveSoftPoolNdRef(x: FloatArray, shape: readonly number[], opts: AdaptiveRefOptions, spatial: number): ForwardRef {
  return runForward(x, shape, spatial, opts.dataFormat,
    (s) => adaptiveWindows(s, adaptiveOutputSizes(s, opts.outputSize)), opts.beta ?? 1);
}

export function adaptiveSoftPoolNdBackwardRef(
  x: FloatArray, shape: readonly number[], gradOutput: FloatArray, opts: AdaptiveRefOptions, spatial: number,
): BackwardRef {
  return runBackward(x, shape, gradOutput, spatial, opts.dataFormat,
    (s) => adaptiveWindows(s, adaptiveOutputSizes(s, opts.outputSize)), opts.beta ?? 1);
}

export const softPool1dRef = (x: FloatArray, shape: readonly number[], o: RefOptionsNd) => softPoolNdRef(x, shape, o, 1);
export const softPool3dRef = (x: FloatArray, shape: readonly number[], o: RefOptionsNd) => softPoolNdRef(x, shape, o, 3);
export const softPool1dBackwardRef = (x: FloatArray, shape: readonly number[], g: FloatArray, o: RefOptionsNd) =>
  softPoolNdBackwardRef(x, shape, g, o, 1);
export const softPool3dBackwardRef = (x: FloatArray, shape: readonly number[], g: FloatArray, o: RefOptionsNd) =>
  softPoolNdBackwardRef(x, shape, g, o, 3);
export const adaptiveSoftPool1dRef = (x: FloatArray, shape: readonly number[], o: AdaptiveRefOptions) => adaptiveSoftPoolNdRef(x, shape, o, 1);
export const adaptiveSoftPool2dRef = (x: FloatArray, shape: readonly number[], o: AdaptiveRefOptions) => adaptiveSoftPoolNdRef(x, shape, o, 2);
export const adaptiveSoftPool3dRef = (x: FloatArray, shape: readonly number[], o: AdaptiveRefOptions) => adaptiveSoftPoolNdRef(x, shape, o, 3);
export const adaptiveSoftPool1dBackwardRef = (x: FloatArray, shape: readonly number[], g: FloatArray, o: AdaptiveRefOptions) =>
  adaptiveSoftPoolNdBackwardRef(x, shape, g, o, 1);
export const adaptiveSoftPool2dBackwardRef = (x: FloatArray, shape: readonly number[], g: FloatArray, o: AdaptiveRefOptions) =>
  adaptiveSoftPoolNdBackwardRef(x, shape, g, o, 2);
export const adaptiveSoftPool3dBackwardRef = (x: FloatArray, shape: readonly number[], g: FloatArray, o: AdaptiveRefOptions) =>
  adaptiveSoftPoolNdBackwardRef(x, shape, g, o, 3);

/** Output shape (in the input's layout) of plain N-d pooling; throws like the reference. */
export function softPoolNdOutShape(shape: readonly number[], opts: RefOptionsNd, spatial: number): number[] {
  const l = layoutOf(shape, spatial, opts.dataFormat);
  return outShapeOfLayout(l, poolWindowsNd(l.inSize, opts).map((w) => w.length), spatial).user;
}

/** Output shape (in the input's layout) of adaptive N-d pooling. */
export function adaptiveOutShape(shape: readonly number[], opts: AdaptiveRefOptions, spatial: number): number[] {
  const l = layoutOf(shape, spatial, opts.dataFormat);
  return outShapeOfLayout(l, adaptiveOutputSizes(l.inSize, opts.outputSize), spatial).user;
}
