// Window placement shared by the kernels. The loader validates sizes and computes output
// shapes; these only locate windows, so that kernels can tell interior from edge.

/** First output index whose window starts at or after 0. */
export function interiorStart(s: i32, p: i32): i32 {
  return (p + s - 1) / s;
}

/** One past the last output index whose window ends at or before n (0 if none). */
export function interiorEnd(n: i32, out: i32, k: i32, s: i32, p: i32): i32 {
  let room = n + p - k;
  return room < 0 ? 0 : min(room / s + 1, out);
}

/** Adaptive pooling (PyTorch): output o of `out` over an input of n starts at floor(o*n/out). */
// @ts-ignore: decorator
@inline export function adaptiveStart(o: i32, n: i32, out: i32): i32 {
  return <i32>(<i64>o * <i64>n / <i64>out);
}

/** ...and ends (exclusive) at ceil((o+1)*n/out). */
// @ts-ignore: decorator
@inline export function adaptiveEnd(o: i32, n: i32, out: i32): i32 {
  return <i32>((<i64>(o + 1) * <i64>n + <i64>out - 1) / <i64>out);
}

/** Start (clipped to 0) of window o along a dim of size n: adaptive, or kernel k, stride s, padding p. */
// @ts-ignore: decorator
@inline export function windowStart(o: i32, n: i32, out: i32, k: i32, s: i32, p: i32, adaptive: bool): i32 {
  return adaptive ? adaptiveStart(o, n, out) : max(o * s - p, 0);
}

/** End (exclusive, clipped to n) of window o; same arguments as windowStart. */
// @ts-ignore: decorator
@inline export function windowEnd(o: i32, n: i32, out: i32, k: i32, s: i32, p: i32, adaptive: bool): i32 {
  return adaptive ? adaptiveEnd(o, n, out) : min(o * s - p + k, n);
}
