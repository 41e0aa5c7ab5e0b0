// The careful path: one SoftPool window in float64, following the limit rules for
// ±Infinity and NaN. The fast f32 paths hand a window over to these functions only when
// their result is not finite or could have overflowed, so speed does not matter here;
// exactness and the documented special-value rules do.
//
// A window is a box of nd × nr × nc elements at byte address p with byte strides sd, sr, sc
// (gradient buffers share the input's layout). With beta > 0 the pivot is the window max,
// with beta < 0 the window min: the entry where beta*x is largest.

// @ts-ignore: decorator
@inline function at(p: usize, d: i32, r: i32, c: i32, sd: usize, sr: usize, sc: usize): usize {
  return p + <usize>d * sd + <usize>r * sr + <usize>c * sc;
}

/** Pools one window in float64. Returns NaN, ±Infinity or the finite pooled value. */
export function softpoolWindowF64(
  p: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, beta: f64,
): f64 {
  let n = nd * nr * nc;
  let sum = -0.0;                              // -0 + x == x for every x, so a window of -0 averages to -0
  let pivot = beta >= 0 ? -Infinity : Infinity;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let x = <f64>load<f32>(at(p, d, r, c, sd, sr, sc));
    if (isNaN(x)) return NaN;
    sum += x;
    pivot = beta >= 0 ? Math.max(pivot, x) : Math.min(pivot, x);
  }
  if (beta == 0) return sum / <f64>n;          // average; +Inf with -Inf gives NaN
  if (!isFinite(pivot)) return pivot;          // dominating infinity, or a window all of the other infinity
  let s = 0.0, t = 0.0;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let x = <f64>load<f32>(at(p, d, r, c, sd, sr, sc));
    if (!isFinite(x)) continue;                // the other infinity: weight exactly 0
    let dx = x - pivot;
    let e = Math.exp(beta * dx);
    s += e;
    t += e * dx;
  }
  return t == 0 ? pivot : pivot + t / s;
}

/**
 * Backward of one window in float64: adds g * w_i * (1 + beta*(x_i - y)) into the gradient
 * box at gp (same strides as x) when addGrad, and returns the window's gradBeta term
 * g * sum_i w_i (x_i - y)^2. Windows whose output is infinite pass g/k to the k entries that
 * determine it and contribute 0 to gradBeta; a NaN window spreads NaN.
 */
export function softpoolWindowBwdF64(
  p: usize, gp: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize,
  beta: f64, g: f64, addGrad: bool,
): f64 {
  let y = softpoolWindowF64(p, nd, nr, nc, sd, sr, sc, beta);
  let n = nd * nr * nc;
  if (isNaN(y)) {
    if (addGrad) addToAll(gp, nd, nr, nc, sd, sr, sc, NaN);
    return NaN;
  }
  if (beta == 0) {                             // average: d y / d x_i = 1/n
    if (addGrad) addToAll(gp, nd, nr, nc, sd, sr, sc, g / <f64>n);
    if (!isFinite(y)) return 0;
    let v = 0.0;
    for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
      let u = <f64>load<f32>(at(p, d, r, c, sd, sr, sc)) - y;
      v += u * u;
    }
    return g * v / <f64>n;
  }
  if (!isFinite(y)) {                          // the k entries equal to y share g
    let k = 0;
    for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
      if (<f64>load<f32>(at(p, d, r, c, sd, sr, sc)) == y) k++;
    }
    if (addGrad) {
      let share = g / <f64>k;
      for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
        if (<f64>load<f32>(at(p, d, r, c, sd, sr, sc)) == y) addTo(at(gp, d, r, c, sd, sr, sc), share);
      }
    }
    return 0;
  }
  // Finite output: weights from the pivot-shifted exponentials; infinite entries weigh 0.
  let pivot = beta >= 0 ? -Infinity : Infinity;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let x = <f64>load<f32>(at(p, d, r, c, sd, sr, sc));
    if (isFinite(x)) pivot = beta >= 0 ? Math.max(pivot, x) : Math.min(pivot, x);
  }
  let s = 0.0;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let x = <f64>load<f32>(at(p, d, r, c, sd, sr, sc));
    if (isFinite(x)) s += Math.exp(beta * (x - pivot));
  }
  let v = 0.0;
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    let x = <f64>load<f32>(at(p, d, r, c, sd, sr, sc));
    if (!isFinite(x)) continue;
    let w = Math.exp(beta * (x - pivot)) / s;
    let u = x - y;
    if (addGrad) addTo(at(gp, d, r, c, sd, sr, sc), g * w * (1 + beta * u));
    v += w * u * u;
  }
  return g * v;
}

// @ts-ignore: decorator
@inline function addTo(q: usize, v: f64): void {
  store<f32>(q, <f32>(<f64>load<f32>(q) + v));
}

function addToAll(gp: usize, nd: i32, nr: i32, nc: i32, sd: usize, sr: usize, sc: usize, v: f64): void {
  for (let d = 0; d < nd; d++) for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    addTo(at(gp, d, r, c, sd, sr, sc), v);
  }
}
