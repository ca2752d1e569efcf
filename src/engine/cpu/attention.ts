// CPU twin of shaders/attention.wgsl: scaled dot-product attention with the scores of one query row at a time.

import type { AttentionDims } from '../backend';
import type { F } from './types';

/** Scaled scores of query row i of head bh against every key it may see (causal: j <= i), in s[0..n). */
function scores(s: Float64Array, q: F, k: F, bh: number, i: number, { T, D, causal }: AttentionDims): number {
  const n = causal ? i + 1 : T;
  const scale = 1 / Math.sqrt(D);
  const qo = (bh * T + i) * D;
  for (let j = 0; j < n; j++) {
    const ko = (bh * T + j) * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[qo + d] * k[ko + d];
    s[j] = dot * scale;
  }
  return n;
}

/** out = softmax(q k^T / sqrt(D)) v; lse = log-sum-exp of each row's scaled scores. */
export function attentionForward(out: F, lse: F, q: F, k: F, v: F, dims: AttentionDims): void {
  const { B, H, T, D } = dims;
  const s = new Float64Array(T);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < T; i++) {
      const n = scores(s, q, k, bh, i, dims);
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, s[j]);
      let l = 0;
      for (let j = 0; j < n; j++) l += Math.exp(s[j] - m);
      const oo = (bh * T + i) * D;
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += Math.exp(s[j] - m) * v[(bh * T + j) * D + d];
        out[oo + d] = acc / l;
      }
      lse[bh * T + i] = m + Math.log(l);
    }
  }
}

/** p = exp(s - lse), ds = p (dout . v_j - dout . out): dq += ds k / sqrt(D), dk += ds q / sqrt(D), dv += p dout. */
export function attentionBackward(
  dq: F,
  dk: F,
  dv: F,
  dout: F,
  q: F,
  k: F,
  v: F,
  out: F,
  lse: F,
  dims: AttentionDims,
): void {
  const { B, H, T, D } = dims;
  const scale = 1 / Math.sqrt(D);
  const s = new Float64Array(T);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < T; i++) {
      const n = scores(s, q, k, bh, i, dims);
      const io = (bh * T + i) * D;
      let delta = 0;
      for (let d = 0; d < D; d++) delta += dout[io + d] * out[io + d];
      for (let j = 0; j < n; j++) {
        const jo = (bh * T + j) * D;
        const p = Math.exp(s[j] - lse[bh * T + i]);
        let dp = 0;
        for (let d = 0; d < D; d++) dp += dout[io + d] * v[jo + d];
        const ds = p * (dp - delta) * scale;
        for (let d = 0; d < D; d++) {
          dq[io + d] += ds * k[jo + d];
          dk[jo + d] += ds * q[io + d];
          dv[jo + d] += p * dout[io + d];
        }
      }
    }
  }
}
