// Array types of the CPU twins: float32 in the backend, float64 in gradient checks.

export type F = Float32Array | Float64Array;
