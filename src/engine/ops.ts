// Composite ops written once over the Backend interface (no kernels of their own).

import type { Backend, MatmulDims, Tensor } from './backend';

/**
 * Gradients of c = op(a) op(b), accumulated: da += dc op(b)^T (stored as a is), db += op(a)^T dc (stored as b is).
 * Either may be null when that input needs no gradient.
 */
export function matmulBackward(
  be: Backend,
  da: Tensor | null,
  db: Tensor | null,
  dc: Tensor,
  a: Tensor,
  b: Tensor,
  dims: MatmulDims,
): void {
  const { M, K, N, transA = false, transB = false } = dims;
  if (da) {
    if (!transA) be.matmul(da, dc, b, { M, K: N, N: K, transB: !transB, accumulate: true });
    else be.matmul(da, b, dc, { M: K, K: N, N: M, transA: transB, transB: true, accumulate: true });
  }
  if (db) {
    if (!transB) be.matmul(db, a, dc, { M: K, K: M, N, transA: !transA, accumulate: true });
    else be.matmul(db, dc, a, { M: N, K: M, N: K, transA: true, transB: transA, accumulate: true });
  }
}
