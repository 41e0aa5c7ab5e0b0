// Small helpers shared by the benchmark: seeded data, layout changes, statistics, geometry.

/** mulberry32: a tiny seeded PRNG, so every run benchmarks the same data. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal float32 samples (Box-Muller). */
export function randn(n, seed) {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/**
 * Channels first [N, C, ...spatial] -> channels last [N, ...spatial, C]. Only the product of the
 * spatial sizes matters, so this serves 1D, 2D and 3D alike.
 */
export function toChannelsLast(src, [N, C, ...spatial]) {
  const dst = new Float32Array(src.length);
  const S = count(spatial);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const s = (n * C + c) * S;
      let d = n * S * C + c;
      for (let i = 0; i < S; i++, d += C) dst[d] = src[s + i];
    }
  }
  return dst;
}

/** Channels last [N, ...spatial, C] -> channels first; the shape is given channels first [N, C, ...spatial]. */
export function toChannelsFirst(src, [N, C, ...spatial]) {
  const dst = new Float32Array(src.length);
  const S = count(spatial);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const d = (n * C + c) * S;
      let s = n * S * C + c;
      for (let i = 0; i < S; i++, s += C) dst[d + i] = src[s];
    }
  }
  return dst;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Max |a - b| and the scale max(1, max|ref|) used for the relative check. */
export function maxAbsDiff(a, ref) {
  if (a.length !== ref.length) throw new RangeError(`length mismatch: ${a.length} vs ${ref.length}`);
  let d = 0, scale = 1;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - ref[i]);
    if (!(e <= d)) d = e; // NaN-propagating: a NaN diff makes d NaN
    const r = Math.abs(ref[i]);
    if (r > scale) scale = r;
  }
  return { diff: d, scale };
}

/** PyTorch's (floor-mode) pooling output size. */
export function pooledSize(size, k, s, p) {
  return Math.floor((size + 2 * p - k) / s) + 1;
}

export const count = (shape) => shape.reduce((a, b) => a * b, 1);
