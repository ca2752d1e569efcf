// CPU twin of shaders/matmul.wgsl (and of the composed matmulBackward in src/engine/ops.ts).

import type { MatmulDims } from '../backend';
import type { F } from './types';

/** Flat index of op(a)[m, k] and op(b)[k, n] in their stored layouts. */
function indexers(dims: MatmulDims): { ia: (m: number, k: number) => number; ib: (k: number, n: number) => number } {
  const { M, K, N, transA = false, transB = false } = dims;
  return {
    ia: transA ? (m, k) => k * M + m : (m, k) => m * K + k,
    ib: transB ? (k, n) => n * K + k : (k, n) => k * N + n,
  };
}

/** c[M,N] (+)= op(a) op(b), summed in float64. */
export function matmulForward(c: F, a: F, b: F, dims: MatmulDims): void {
  const { M, K, N, accumulate = false } = dims;
  const { ia, ib } = indexers(dims);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ia(m, k)] * b[ib(k, n)];
      c[m * N + n] = accumulate ? c[m * N + n] + s : s;
    }
  }
}

/** Accumulates da += dc op(b)^T and db += op(a)^T dc, each in a's and b's stored layouts; either may be null. */
export function matmulBackward(da: F | null, db: F | null, dc: F, a: F, b: F, dims: MatmulDims): void {
  const { M, K, N } = dims;
  const { ia, ib } = indexers(dims);
  const ga = new Float64Array(M * K);
  const gb = new Float64Array(K * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const g = dc[m * N + n];
      for (let k = 0; k < K; k++) {
        ga[ia(m, k)] += g * b[ib(k, n)];
        gb[ib(k, n)] += g * a[ia(m, k)];
      }
    }
  }
  if (da) for (let i = 0; i < ga.length; i++) da[i] += ga[i];
  if (db) for (let i = 0; i < gb.length; i++) db[i] += gb[i];
}
