// Multiply-add for the exp polynomial: madd4(a, b, c) = a*b + c and nmadd4(a, b, c) = c - a*b.
//
// In the relaxed-SIMD build (asconfig target "relaxed") they are f32x4.relaxed_madd and
// relaxed_nmadd: one fused instruction with a single rounding where the engine uses the
// CPU's FMA (x86 FMA3, ARM64), else a multiply and an add. The engine picks per machine,
// so results are deterministic on one machine. In the other builds they are a multiply then
// an add, bit for bit the operations the kernels did before FMA existed.
//
// The scalar twins run lane 0 of the same vector instruction in the relaxed build, so the
// scalar tails and edges keep giving the same bits as the vector lanes in every build.

// @ts-ignore: decorator
@inline export function madd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline export function nmadd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline export function madd(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  }
  return a * b + c;
}

// @ts-ignore: decorator
@inline export function nmadd(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.extract_lane(f32x4.relaxed_nmadd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  }
  return c - a * b;
}
