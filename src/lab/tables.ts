// Exact host-side math over small [rows, cols] tables of logits: log-softmax, entropy, KL.

export function logSoftmaxRows(out: Float64Array, logits: ArrayLike<number>, rows: number, cols: number): Float64Array {
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits[r * cols + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(logits[r * cols + c] - max);
    const lse = max + Math.log(s);
    for (let c = 0; c < cols; c++) out[r * cols + c] = logits[r * cols + c] - lse;
  }
  return out;
}

/** Mean over rows of KL(p || q), both given as log-probabilities. */
export function meanKl(logp: Float64Array, logq: Float64Array, rows: number, cols: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let kl = 0;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const p = Math.exp(logp[i]);
      if (p > 0) kl += p * (logp[i] - logq[i]);
    }
    total += kl;
  }
  return total / rows;
}

/** Mean over rows of the entropy (nats) of log-probabilities. */
export function meanEntropy(logp: Float64Array, rows: number, cols: number): number {
  let total = 0;
  for (let i = 0; i < rows * cols; i++) {
    const p = Math.exp(logp[i]);
    if (p > 0) total -= p * logp[i];
  }
  return total / rows;
}

/** Mean over rows of the expectation of `values` under log-probabilities: the exact mean reward of a table policy. */
export function expectedValue(logp: Float64Array, values: ArrayLike<number>, rows: number, cols: number): number {
  let total = 0;
  for (let i = 0; i < rows * cols; i++) total += Math.exp(logp[i]) * values[i];
  return total / rows;
}
