// Loading four windows' worth of one kernel tap: lanes j = 0..3 read p + j*sc.
// Called with a constant sc (4 or 8 bytes) from inlined kernels, so the branches fold away.

// @ts-ignore: decorator
@inline export function gather4(p: usize, sc: usize): v128 {
  if (sc == 4) return v128.load(p);
  if (sc == 8) {
    // Even lanes of eight contiguous floats. Reads up to 16 bytes past the last tap:
    // the loader keeps that slack after every input buffer.
    return f32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  }
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + sc));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * sc));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * sc));
}

/** Lanes that are NaN or ±Infinity. */
// @ts-ignore: decorator
@inline export function notFinite4(v: v128): v128 {
  return f32x4.ne(f32x4.sub(v, v), f32x4.splat(0));
}
