// Array types of the CPU twins: float32 in the backend, float64 in gradient checks.

export type F = Float32Array | Float64Array;

/**
 * x at the precision of the elements of `a`: a float32 twin rounds each term to float32 before adding it, as its
 * shader does, so that terms which cancel exactly in the shader cancel here too (a float64 term added to a float32
 * sum leaves its rounding error behind, which AdamW then scales up to a step where the gradient is 0).
 */
export const atPrecisionOf = (a: F, x: number): number => (a instanceof Float32Array ? Math.fround(x) : x);
