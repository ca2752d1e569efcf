// The sequences world: a small synthetic language from a hidden oracle (a sparse Markov chain over the previous
// `order` tokens, BOS-padded, with an optional absorbing EOS), oracle training and held-out samples, and the hidden
// sequence reward. Host-side generation with Philox streams; the tables the device needs are built here too.

import { Philox } from '../../engine/rng';
import type { SequencesWorld } from '../config';
import { STREAM } from '../streams';

export interface SequencesData {
  /** Output tokens (EOS is token 0 when `eos` >= 0). */
  V: number;
  /** Positions per sequence. */
  T: number;
  order: number;
  /** The padding id before a sequence starts (an embedding row, never emitted): V. */
  bos: number;
  /** EOS id (0), or -1 when the language has fixed length. */
  eos: number;
  /** Radix of n-gram ids over tokens and BOS: V + 1. */
  radix: number;
  /** Oracle next-token log-probs, [radix^order, V]; row = n-gram id of the previous `order` tokens. */
  oracleLogp: Float64Array;
  /** Hidden reward of each (state, token), [radix^(order+1)]: id = state * radix + token; 0 after EOS. */
  rewardTable: Float32Array;
  /** 1 for every id but EOS, [radix]: a position is live when the token before it is not EOS. */
  liveAfter: Float32Array;
  /** Oracle samples, [N, T] and [H, T], and their masks (1 up to and including EOS). */
  train: Int32Array;
  trainMask: Float32Array;
  heldout: Int32Array;
  heldoutMask: Float32Array;
  world: SequencesWorld;
}

/** n-gram id of the `order` tokens before position t of row r (BOS before the start). */
export function stateId(
  tokens: ArrayLike<number>,
  r: number,
  t: number,
  d: Pick<SequencesData, 'T' | 'order' | 'bos' | 'radix'>,
): number {
  let id = 0;
  for (let j = 0; j < d.order; j++) {
    const q = t - d.order + j;
    id = id * d.radix + (q >= 0 ? tokens[r * d.T + q] : d.bos);
  }
  return id;
}

/** Masks of [n, T] sequences with an absorbing EOS: live up to and including the first EOS. */
export function maskOf(tokens: ArrayLike<number>, n: number, T: number, eos: number): Float32Array {
  const mask = new Float32Array(n * T);
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < T; t++) {
      mask[r * T + t] = 1;
      if (tokens[r * T + t] === eos) break;
    }
  }
  return mask;
}

export function makeSequences(w: SequencesWorld, seed: number): SequencesData {
  const V = w.vocab;
  const T = w.length;
  const order = w.order;
  const eos = w.stop > 0 ? 0 : -1;
  const bos = V;
  const radix = V + 1;
  const states = radix ** order;
  const content = Array.from({ length: V }, (_, i) => i).filter((i) => i !== eos);

  // Each state gets `successors` distinct content tokens with log-normal weights; noise spreads over all V.
  const rng = new Philox(seed, STREAM.seqOracle);
  const oracleLogp = new Float64Array(states * V);
  const p = new Float64Array(V);
  for (let s = 0; s < states; s++) {
    const last = s % radix;
    p.fill(0);
    if (eos >= 0 && last === eos) {
      // After EOS the sequence is over: the row is never used, kept finite.
      p.fill(w.noise / V);
      p[eos] += 1 - w.noise;
    } else {
      const order_ = content.slice();
      for (let i = order_.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order_[i], order_[j]] = [order_[j], order_[i]];
      }
      const succ = order_.slice(0, w.successors);
      const weights = succ.map(() => Math.exp(w.spread * rng.normal()));
      const total = weights.reduce((a, b) => a + b, 0);
      // No stop probability at the very start (only the noise can end a sequence there).
      const stop = eos >= 0 && s !== states - 1 ? w.stop : 0;
      const body = 1 - stop - w.noise;
      for (let k = 0; k < V; k++) p[k] = w.noise / V;
      succ.forEach((tok, k) => (p[tok] += (body * weights[k]) / total));
      if (eos >= 0) p[eos] += stop;
    }
    for (let k = 0; k < V; k++) oracleLogp[s * V + k] = Math.log(p[k]);
  }

  const rewardTable = new Float32Array(states * radix);
  const r = w.reward;
  for (let s = 0; s < states; s++) {
    if (eos >= 0 && s % radix === eos) continue;
    for (let k = 0; k < V; k++) {
      rewardTable[s * radix + k] =
        r.count * (k === r.target ? 1 : 0) + r.likelihood * oracleLogp[s * V + k] + r.length * (k === eos ? 0 : 1);
    }
  }
  const liveAfter = new Float32Array(radix).fill(1);
  if (eos >= 0) liveAfter[eos] = 0;

  const d = { T, order, bos, radix };
  const draw = (n: number, stream: number): Int32Array => {
    const g = new Philox(seed, stream);
    const out = new Int32Array(n * T);
    for (let row = 0; row < n; row++) {
      for (let t = 0; t < T; t++) {
        if (t > 0 && out[row * T + t - 1] === eos) {
          out[row * T + t] = eos;
          continue;
        }
        const s = stateId(out, row, t, d);
        let u = g.uniform();
        let k = 0;
        for (; k < V - 1; k++) {
          u -= Math.exp(oracleLogp[s * V + k]);
          if (u < 0) break;
        }
        out[row * T + t] = k;
      }
    }
    return out;
  };
  const train = draw(w.samples, STREAM.seqTrain);
  const heldout = draw(w.heldout, STREAM.seqHeldout);
  return {
    V,
    T,
    order,
    bos,
    eos,
    radix,
    oracleLogp,
    rewardTable,
    liveAfter,
    train,
    trainMask: maskOf(train, w.samples, T, eos),
    heldout,
    heldoutMask: maskOf(heldout, w.heldout, T, eos),
    world: w,
  };
}

/** Hidden reward of each of n sequences (sum over live positions of the reward table). */
export function trueRewards(
  d: SequencesData,
  tokens: ArrayLike<number>,
  mask: ArrayLike<number>,
  n: number,
): Float64Array {
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < d.T; t++) {
      if (mask[r * d.T + t] === 0) continue;
      out[r] += d.rewardTable[stateId(tokens, r, t, d) * d.radix + tokens[r * d.T + t]];
    }
  }
  return out;
}

/** Tokens before EOS of each sequence (the length a verbosity reward pays for). */
export function lengths(d: SequencesData, tokens: ArrayLike<number>, mask: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < d.T; t++) if (mask[r * d.T + t] !== 0 && tokens[r * d.T + t] !== d.eos) out[r]++;
  }
  return out;
}

/** Mean per-token negative log-likelihood of the oracle itself on sequences (the floor any model can reach). */
export function oracleNll(d: SequencesData, tokens: ArrayLike<number>, mask: ArrayLike<number>, n: number): number {
  let nll = 0;
  let count = 0;
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < d.T; t++) {
      if (mask[r * d.T + t] === 0) continue;
      nll -= d.oracleLogp[stateId(tokens, r, t, d) * d.V + tokens[r * d.T + t]];
      count++;
    }
  }
  return nll / Math.max(count, 1);
}
