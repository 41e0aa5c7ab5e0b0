// Property-based cases for every public forward/backward function and the layer classes:
// the Case type, its fast-check arbitraries, and a JSON encoding that keeps NaN, ±Infinity
// and -0 (so a shrunk counterexample can be pasted into tests/regressions.test.ts).
//
// Shared by tests/property.test.ts (fixed seed, CI), scripts/fuzz.ts (random seeds, unbounded),
// scripts/soak.ts and tests/regressions.test.ts. Not a test file itself.
import fc from 'fast-check';
import { shapeToChannelsLast } from '../reference.ts';

export const FMAX = 3.4028234663852886e38;
const F = Math.fround;

/** The function families: each case of a family runs its forward AND its backward. */
export const FAMILIES = [
  'softPool1d', 'softPool2d', 'softPool3d',
  'adaptiveSoftPool1d', 'adaptiveSoftPool2d', 'adaptiveSoftPool3d',
  'SoftPoolLayer', 'AdaptiveSoftPoolLayer',
] as const;
export type Family = typeof FAMILIES[number];

/**
 * How the tensors are handed to the library:
 * plain     fresh Float32Arrays, fresh results
 * out       options.out = a plain tensor (pre-filled with garbage)
 * view      x/gradOutput/out are views at a byteOffset into larger buffers (bytes around checked)
 * shared    x/gradOutput on a SharedArrayBuffer
 * resizable x/gradOutput on a resizable ArrayBuffer (a fixed-length view at an offset)
 * wasmX     x = allocTensor(...) (zero copy in)
 * wasmOut   options.out = allocTensor(...) (zero copy out)
 * wasmAll   x, gradOutput and out all wasm tensors
 */
export const IOS = ['plain', 'out', 'view', 'shared', 'resizable', 'wasmX', 'wasmOut', 'wasmAll'] as const;
export type Io = typeof IOS[number];
/** Layers take no options.out. */
export const LAYER_IOS: readonly Io[] = ['plain', 'view', 'shared', 'resizable', 'wasmX'];

export interface Case {
  /** Forward function name ('softPool2d', 'adaptiveSoftPool3d', ...) or layer class ('SoftPool2d', 'AdaptiveSoftPool1d', ...). */
  fn: string;
  /** Shape of x in its layout (opts.dataFormat). */
  shape: number[];
  /** Options without `out`. */
  opts: Record<string, unknown>;
  /** x in memory order (float32 values). */
  x: number[];
  /** gradOutput in memory order. */
  g: number[];
  io: Io;
  /** Layers only: layer.beta is set to this between forward and backward (backward must keep the forward's beta), then forward runs again. */
  newBeta?: number;
  /** Layers only: construct with { keepForBackward: true } (input and exponentials kept in wasm memory until backward/dispose). */
  keep?: boolean;
  /** Informational: the value distribution the data came from. */
  profile?: string;
}

export interface CaseInfo { spatial: 1 | 2 | 3; adaptive: boolean; layer: boolean }

export function caseInfo(fn: string): CaseInfo {
  const m = /^(adaptiveSoftPool|softPool|AdaptiveSoftPool|SoftPool)([123])d$/.exec(fn);
  if (!m) throw new Error(`fuzz: unknown function ${fn}`);
  return { spatial: Number(m[2]) as 1 | 2 | 3, adaptive: /^adaptive/i.test(m[1]), layer: /^[A-Z]/.test(m[1]) };
}

// ---------------------------------------------------------------------------------------------
// JSON with special numbers

/** Run-length form [[value, count], ...] of a long array with repeats; kept when it is much shorter. */
function rle(a: readonly number[]): Array<[number, number]> | null {
  const runs: Array<[number, number]> = [];
  for (const v of a) {
    const last = runs[runs.length - 1];
    if (last && Object.is(last[0], v)) last[1]++;
    else runs.push([v, 1]);
  }
  return a.length > 16 && runs.length * 3 < a.length ? runs : null;
}

/** JSON of a case; NaN, ±Infinity and -0 as strings; long arrays with repeats as {"rle": [[v, n], ...]}. */
export function encodeCase(c: Case): string {
  const compact = { ...c } as Record<string, unknown>;
  for (const k of ['x', 'g'] as const) {
    const r = rle(c[k]);
    if (r) compact[k] = { rle: r };
  }
  return JSON.stringify(compact, (_k, v) => {
    if (typeof v !== 'number') return v;
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
    if (Object.is(v, -0)) return '-0';
    return v;
  });
}

export function decodeCase(s: string): Case {
  const c = JSON.parse(s, (_k, v) => {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (v === '-0') return -0;
    return v;
  }) as Record<string, unknown>;
  for (const k of ['x', 'g']) {
    const v = c[k] as { rle?: Array<[number, number]> };
    if (v && !Array.isArray(v) && Array.isArray(v.rle)) c[k] = v.rle.flatMap(([val, n]) => new Array<number>(n).fill(val));
  }
  return c as unknown as Case;
}

// ---------------------------------------------------------------------------------------------
// value distributions
//
// A tensor is a deterministic fill (profile + seed, see fill()) plus a few overrides (position,
// value) drawn by fast-check from edge-biased value arbitraries. No fc.chain: shapes, fills and
// overrides shrink independently (a shrunk shape keeps its overrides, at position % length).

const bits = new Uint32Array(1);
const asF32 = new Float32Array(bits.buffer);
function fromBits(b: number): number {
  bits[0] = b >>> 0;
  return asF32[0];
}

/** Small seeded PRNG (mulberry32) in [0, 1). */
function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN_SUB = fromBits(1);
const MAX_SUB = fromBits(0x7fffff);
const MIN_NORMAL = fromBits(0x800000);

/** Values for ties, constant windows and overrides. */
export const INTERESTING = [
  0, -0, 1, -1, 0.5, -2, 3, F(0.1), F(1e-7), FMAX, -FMAX, F(1e30), F(-1e30), F(2e38), F(-2e38),
  MIN_SUB, -MIN_SUB, MAX_SUB, -MAX_SUB, MIN_NORMAL, -MIN_NORMAL, F(1e-38), Infinity, -Infinity, NaN,
];

/** Fill profiles; index 0 ('zero') is where shrinking goes. */
export const PROFILES = ['zero', 'normal', 'wide', 'huge', 'tiny', 'palette', 'constant', 'special', 'mixed'] as const;
export type Profile = typeof PROFILES[number];

const logUniform = (r: () => number, lo: number, hi: number) => Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * r());
const sgn = (r: () => number, v: number) => (r() < 0.5 ? -v : v);

function oneValue(p: Exclude<Profile, 'palette' | 'constant'>, r: () => number): number {
  switch (p) {
    case 'zero': return 0;
    case 'normal': return -4 + 8 * r();
    case 'wide': {
      // any finite float32: random sign, exponent (subnormals included) and mantissa
      const exp = Math.floor(r() * 255); // 0..254
      return fromBits(((r() < 0.5 ? 1 : 0) << 31) | (exp << 23) | Math.floor(r() * 0x800000));
    }
    case 'huge': return r() < 0.2 ? -4 + 8 * r() : sgn(r, Math.min(FMAX, logUniform(r, 1e30, FMAX)));
    case 'tiny': {
      const u = r();
      if (u < 0.1) return r() < 0.5 ? 0 : -0;
      if (u < 0.5) return sgn(r, fromBits(1 + Math.floor(r() * 0x7fffff))); // subnormal
      return sgn(r, logUniform(r, MIN_NORMAL, 1e-30));
    }
    case 'special': {
      const u = r();
      return u < 0.03 ? Infinity : u < 0.06 ? -Infinity : u < 0.09 ? NaN : -4 + 8 * r();
    }
    case 'mixed': {
      const u = r();
      if (u < 0.6) return -4 + 8 * r();
      if (u < 0.7) return sgn(r, logUniform(r, 1e30, FMAX));
      if (u < 0.75) return sgn(r, logUniform(r, MIN_NORMAL, 1e-30));
      if (u < 0.8) return sgn(r, fromBits(1 + Math.floor(r() * 0x7fffff)));
      if (u < 0.85) return r() < 0.5 ? 0 : -0;
      return INTERESTING[Math.floor(r() * INTERESTING.length)];
    }
  }
}

/** A float32 tensor of n values of a profile (deterministic in the seed). */
export function fill(profile: Profile, seed: number, n: number): number[] {
  const r = rng32(seed);
  const out = new Array<number>(n);
  const pick = () => (r() < 0.6 ? INTERESTING[Math.floor(r() * INTERESTING.length)] : Math.round((-4 + 8 * r()) * 4) / 4);
  if (profile === 'palette' || profile === 'constant') {
    // ties and constant windows of any kind (±0, ±Inf, NaN, subnormals, float32 max)
    const pal = Array.from({ length: profile === 'constant' ? 1 : 1 + Math.floor(r() * 3) }, pick);
    for (let i = 0; i < n; i++) out[i] = pal[Math.floor(r() * pal.length)];
  } else {
    for (let i = 0; i < n; i++) out[i] = oneValue(profile, r);
  }
  return out.map(Math.fround);
}

/** gradOutput fills: index 0 = all zero. */
export const GRAD_PROFILES = ['zero', 'normal', 'ones', 'large', 'sparse'] as const;
export type GradProfile = typeof GRAD_PROFILES[number];

export function fillGrad(profile: GradProfile, seed: number, n: number): number[] {
  const r = rng32(seed);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (profile) {
      case 'zero': out[i] = 0; break;
      case 'normal': out[i] = -2 + 4 * r(); break;
      case 'ones': out[i] = r() < 0.5 ? 1 : -1; break;
      case 'large': out[i] = -1e4 + 2e4 * r(); break;
      case 'sparse': out[i] = r() < 0.8 ? 0 : -2 + 4 * r(); break;
    }
  }
  return out.map(Math.fround);
}

const signed = (a: fc.Arbitrary<number>) => fc.tuple(fc.boolean(), a).map(([neg, v]) => (neg ? -v : v));

/** Edge-biased single values (fast-check's float32 generator plus the special ones). */
export const V = {
  normal: fc.float({ min: F(-4), max: F(4), noNaN: true }),
  huge: signed(fc.float({ min: F(1e30), max: FMAX, noNaN: true })),
  tiny: fc.float({ min: F(-1e-30), max: F(1e-30), noNaN: true }),
  subnormal: signed(fc.integer({ min: 1, max: 0x7fffff }).map(fromBits)),
  zero: fc.constantFrom(0, -0),
  anyFinite: fc.float({ noNaN: true, noDefaultInfinity: true }),
  interesting: fc.constantFrom(...INTERESTING),
};

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

const valueArb = fc.oneof({ withCrossShrink: true },
  w(3, V.normal), w(1, V.zero), w(2, V.huge), w(1, V.tiny), w(1, V.subnormal), w(2, V.anyFinite), w(3, V.interesting));
const gradValueArb = fc.oneof({ withCrossShrink: true },
  w(3, fc.float({ min: -2, max: 2, noNaN: true })), w(1, V.zero), w(1, fc.float({ min: -1e4, max: 1e4, noNaN: true })));

export interface Filled<P extends string> { profile: P; seed: number; over: Array<{ at: number; v: number }> }

function filledArb<P extends string>(profiles: readonly P[], value: fc.Arbitrary<number>): fc.Arbitrary<Filled<P>> {
  return fc.record({
    // profile 0 is rare when generating but where shrinking ends up
    profile: fc.oneof({ withCrossShrink: true }, w(1, fc.constant(0)), w(12, fc.integer({ min: 1, max: profiles.length - 1 })))
      .map((i) => profiles[i]),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    over: fc.array(fc.record({ at: fc.nat({ max: 1 << 20 }), v: value }), { maxLength: 6 }),
  });
}

function materialize(f: Filled<string>, n: number, grad: boolean): number[] {
  const a = grad ? fillGrad(f.profile as GradProfile, f.seed, n) : fill(f.profile as Profile, f.seed, n);
  for (const { at, v } of f.over) a[at % n] = Math.fround(v);
  return a;
}

export const betaArb: fc.Arbitrary<number | undefined> = fc.oneof(
  { withCrossShrink: true },
  w(3, fc.constantFrom(undefined, 1)),
  w(4, fc.constantFrom(0, -0, 0.5, 2, 4, -1, -4, 30, -30, F(1e-3), F(1e10), F(-1e10), F(1e-30), MIN_SUB, FMAX, -FMAX)),
  w(4, fc.float({ min: -50, max: 50, noNaN: true })),
  w(1, fc.float({ noNaN: true, noDefaultInfinity: true })),
);

// ---------------------------------------------------------------------------------------------
// geometry

/** Extra size per spatial dim (outer to inner) beyond the smallest valid one. */
const EXTRA: Record<1 | 2 | 3, number[]> = { 1: [40], 2: [6, 20], 3: [3, 4, 12] };
/** Keep cases small: the float64 reference is plain JS. */
const MAX_ELEMENTS = 900;

interface Dim { n: number; k: number; s: number; p: number }

function plainDim(maxExtra: number): fc.Arbitrary<Dim> {
  return fc.record({
    k: fc.oneof(w(6, fc.integer({ min: 1, max: 4 })), w(1, fc.integer({ min: 5, max: 7 }))),
    pRaw: fc.oneof(w(2, fc.constant(0)), w(1, fc.integer({ min: 0, max: 3 }))),
    s: fc.oneof(w(1, fc.constant(0)), w(2, fc.integer({ min: 1, max: 4 }))), // 0 = same as the kernel
    extra: fc.integer({ min: 0, max: maxExtra }),
  }).map(({ k, pRaw, s, extra }) => {
    const p = Math.min(pRaw, k >> 1);
    return { k, p, s: s === 0 ? k : s, n: Math.max(1, k - 2 * p) + extra };
  });
}

/** A number when every entry is equal and `asNumber`, else the list. */
const collapse = (list: number[], asNumber: boolean): number | number[] =>
  asNumber && list.every((v) => v === list[0]) ? list[0] : list;

const layoutArb = fc.constantFrom<Array<'channelsFirst' | 'channelsLast' | undefined>>(undefined, 'channelsLast', 'channelsFirst', 'channelsLast');
const batchArb = fc.constantFrom(0, 1, 1, 2); // 0 = unbatched
const channelsArb = fc.oneof(w(3, fc.integer({ min: 1, max: 5 })), w(2, fc.integer({ min: 6, max: 9 })));

function withShape(spatial: number, batch: number, C: number, sizes: number[], fmt: string | undefined): number[] {
  const cf = batch ? [batch, C, ...sizes] : [C, ...sizes];
  return fmt === 'channelsLast' ? shapeToChannelsLast(cf, spatial) : cf;
}

interface Geometry { fn: string; shape: number[]; opts: Record<string, unknown>; outCount: number }

/** PyTorch's rule, as tests/reference.ts outputSize (repeated here to size gradOutput). */
function pooledSizeRef(n: number, k: number, s: number, p: number, ceil: boolean): number {
  const span = n + 2 * p - k;
  let out = ceil ? Math.ceil(span / s) + 1 : Math.floor(span / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out -= 1;
  return out;
}

function plainGeometry(spatial: 1 | 2 | 3, fn: string): fc.Arbitrary<Geometry> {
  return fc.record({
    dims: fc.tuple(...EXTRA[spatial].map((e) => plainDim(e))),
    batch: batchArb, C: channelsArb, fmt: layoutArb, beta: betaArb,
    ceil: fc.constantFrom(undefined, true, false, true),
    forms: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()),
  }).map(({ dims, batch, C, fmt, beta, ceil, forms }) => {
    const opts: Record<string, unknown> = { kernelSize: collapse(dims.map((d) => d.k), forms[0]) };
    if (!(forms[1] && dims.every((d) => d.s === d.k))) opts.stride = collapse(dims.map((d) => d.s), forms[2]);
    if (!(forms[3] && dims.every((d) => d.p === 0))) opts.padding = collapse(dims.map((d) => d.p), forms[4]);
    if (ceil !== undefined) opts.ceilMode = ceil;
    if (beta !== undefined) opts.beta = beta;
    if (fmt !== undefined) opts.dataFormat = fmt;
    const outSizes = dims.map((d) => pooledSizeRef(d.n, d.k, d.s, d.p, ceil === true));
    const shape = withShape(spatial, batch, C, dims.map((d) => d.n), fmt);
    return { fn, shape, opts, outCount: (batch || 1) * C * outSizes.reduce((a, b) => a * b, 1) };
  }).filter((g) => g.shape.reduce((a, b) => a * b, 1) <= MAX_ELEMENTS);
}

function adaptiveGeometry(spatial: 1 | 2 | 3, fn: string): fc.Arbitrary<Geometry> {
  const dim = (maxExtra: number) => fc.record({
    n: fc.integer({ min: 1, max: maxExtra + 3 }),
    // null keeps the input size; else 1..n+3 (outputs larger than the input repeat entries)
    o: fc.oneof(w(1, fc.constant(null)), w(1, fc.constant(1)), w(6, fc.integer({ min: 1, max: 1000 }))),
  }).map(({ n, o }) => ({ n, o: o === null ? null : 1 + ((o - 1) % (n + 3)) }));
  return fc.record({
    dims: fc.tuple(...EXTRA[spatial].map((e) => dim(e))),
    batch: batchArb, C: channelsArb, fmt: layoutArb, beta: betaArb, asNumber: fc.boolean(),
  }).map(({ dims, batch, C, fmt, beta, asNumber }) => {
    const outs = dims.map((d) => d.o);
    const opts: Record<string, unknown> = {
      outputSize: asNumber && outs.every((v) => v !== null && v === outs[0]) ? outs[0] : outs,
    };
    if (beta !== undefined) opts.beta = beta;
    if (fmt !== undefined) opts.dataFormat = fmt;
    const shape = withShape(spatial, batch, C, dims.map((d) => d.n), fmt);
    const outCount = (batch || 1) * C * dims.reduce((a, d) => a * (d.o ?? d.n), 1);
    return { fn, shape, opts, outCount };
  }).filter((g) => g.shape.reduce((a, b) => a * b, 1) <= MAX_ELEMENTS);
}

export function isLayerFamily(family: Family): boolean {
  return family === 'SoftPoolLayer' || family === 'AdaptiveSoftPoolLayer';
}

/** Cases of one family. Functions: random io; layers: random class of the family, io and beta change. */
export function caseArb(family: Family): fc.Arbitrary<Case> {
  let geom: fc.Arbitrary<Geometry>;
  let ios: readonly Io[] = IOS;
  const layer = isLayerFamily(family);
  if (layer) {
    const adaptive = family === 'AdaptiveSoftPoolLayer';
    const prefix = adaptive ? 'AdaptiveSoftPool' : 'SoftPool';
    const make = (sp: 1 | 2 | 3) => (adaptive ? adaptiveGeometry(sp, `${prefix}${sp}d`) : plainGeometry(sp, `${prefix}${sp}d`));
    geom = fc.oneof(make(1), make(2), make(3));
    ios = LAYER_IOS;
  } else {
    const { spatial, adaptive } = caseInfo(family);
    geom = adaptive ? adaptiveGeometry(spatial, family) : plainGeometry(spatial, family);
  }
  return fc.record({
    geom,
    x: filledArb(PROFILES, valueArb),
    g: filledArb(GRAD_PROFILES, gradValueArb),
    io: fc.oneof({ withCrossShrink: true }, w(4, fc.constant<Io>('plain')), w(4, fc.constantFrom<Io>(...ios))),
    newBeta: layer ? fc.option(betaArb, { nil: undefined, freq: 2 }) : fc.constant(undefined),
    keep: layer ? fc.boolean() : fc.constant(false),
  }).map(({ geom: gm, x, g, io, newBeta, keep }): Case => {
    const n = gm.shape.reduce((a, b) => a * b, 1);
    const c: Case = {
      fn: gm.fn, shape: gm.shape, opts: gm.opts, x: materialize(x, n, false), g: materialize(g, gm.outCount, true), io,
      profile: `${x.profile}${x.over.length ? `+${x.over.length}` : ''}`,
    };
    if (newBeta !== undefined) c.newBeta = newBeta;
    if (keep) c.keep = true;
    return c;
  });
}
