// The text world's data: the corpus tokenized, split at its end, cut into training windows (one every `stride`
// tokens) and held-out windows spread evenly over the held-out part; preference pairs as rows of a window; and
// drawing the next token of a sample from logits with a temperature and a top-k cut, on the host.

import type { TextWorld } from './text-config';
import { corpusText, windowStride } from './text-config';
import { parsePairs, type TextPair } from './text-pairs';
import { charCount, encode, splitTokens, vocabOf, type Vocab } from './text-tokens';

export interface TextData {
  vocab: Vocab;
  /** Output tokens; BOS, the id read before a window starts, is V. */
  V: number;
  bos: number;
  /** Tokens per window. */
  T: number;
  train: Int32Array;
  heldout: Int32Array;
  /** Training windows [S, T]: the window starting at token s * stride of the training part. */
  windows: Int32Array;
  S: number;
  stride: number;
  /** Held-out windows [H, T], spread evenly over the held-out part without overlapping. */
  held: Int32Array;
  H: number;
  /** Characters the held-out windows span (bits per character divide by it). */
  heldChars: number;
  /** The world's preference pairs, tokenized like the corpus (null without pairs). */
  pairs: TokenPairs | null;
  world: TextWorld;
}

export function makeText(w: TextWorld): TextData {
  const text = corpusText(w);
  const vocab = vocabOf(text, w.level);
  const { train, heldout } = splitTokens(encode(text, vocab), w.heldout, w.level);
  const T = w.window;
  const stride = windowStride(train.length, T);
  const S = Math.floor((train.length - T) / stride) + 1;
  const windows = new Int32Array(S * T);
  for (let s = 0; s < S; s++) windows.set(train.subarray(s * stride, s * stride + T), s * T);
  const fit = Math.floor(heldout.length / T);
  const H = Math.min(w.evalWindows, fit);
  const held = new Int32Array(H * T);
  for (let j = 0; j < H; j++) {
    const start = Math.floor((j * fit) / H) * T;
    held.set(heldout.subarray(start, start + T), j * T);
  }
  return {
    vocab,
    V: vocab.V,
    bos: vocab.V,
    T,
    train,
    heldout,
    windows,
    S,
    stride,
    held,
    H,
    heldChars: charCount(held, w.level),
    pairs: w.pairs === '' ? null : tokenizePairs(parsePairs(w.pairs).pairs, vocab, T),
    world: w,
  };
}

/**
 * The token drawn from one row of logits: softmax(logits / temperature) restricted to the `topK` most likely
 * tokens (0: all; ties at the cut are kept), by inverse CDF of the uniform u in [0, 1).
 */
export function drawToken(logits: ArrayLike<number>, temperature: number, topK: number, u: number): number {
  const V = logits.length;
  let cut = -Infinity;
  if (topK > 0 && topK < V) {
    const sorted = Array.from(logits).sort((a, b) => b - a);
    cut = sorted[topK - 1];
  }
  let max = -Infinity;
  for (let j = 0; j < V; j++) if (logits[j] >= cut) max = Math.max(max, logits[j]);
  const e = new Float64Array(V);
  let total = 0;
  for (let j = 0; j < V; j++) {
    e[j] = logits[j] >= cut ? Math.exp((logits[j] - max) / temperature) : 0;
    total += e[j];
  }
  let acc = 0;
  let last = 0;
  for (let j = 0; j < V; j++) {
    if (e[j] === 0) continue;
    last = j;
    acc += e[j];
    if (acc > u * total) return j;
  }
  // Rounding can leave u * total at the very top: the last token with any mass takes it then.
  return last;
}

/** Pairs as rows of a window: [N, T] tokens of prompt then response (0 after the end), 1 in the mask on response tokens. */
export interface TokenPairs {
  N: number;
  chosen: Int32Array;
  chosenMask: Float32Array;
  rejected: Int32Array;
  rejectedMask: Float32Array;
}

/**
 * Tokenize pairs like the corpus, each response after its prompt in a row of T tokens. A row longer than T is cut:
 * the response keeps its start (at most T tokens), the prompt its end in the room left.
 */
export function tokenizePairs(pairs: readonly TextPair[], vocab: Vocab, T: number): TokenPairs {
  const N = pairs.length;
  const out = {
    N,
    chosen: new Int32Array(N * T),
    chosenMask: new Float32Array(N * T),
    rejected: new Int32Array(N * T),
    rejectedMask: new Float32Array(N * T),
  };
  const row = (n: number, prompt: Int32Array, response: string, tokens: Int32Array, mask: Float32Array) => {
    const r = encode(response, vocab).subarray(0, T);
    const p = prompt.subarray(Math.max(0, prompt.length - (T - r.length)));
    tokens.set(p, n * T);
    tokens.set(r, n * T + p.length);
    mask.fill(1, n * T + p.length, n * T + p.length + r.length);
  };
  pairs.forEach((pair, n) => {
    const prompt = encode(pair.prompt, vocab);
    row(n, prompt, pair.chosen, out.chosen, out.chosenMask);
    row(n, prompt, pair.rejected, out.rejected, out.rejectedMask);
  });
  return out;
}

/** The probability of token `id` under one row of logits: softmax at temperature 1 over all tokens. */
export function tokenProbability(logits: ArrayLike<number>, id: number): number {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, logits[j]);
  let z = 0;
  for (let j = 0; j < logits.length; j++) z += Math.exp(logits[j] - max);
  return Math.exp(logits[id] - max) / z;
}
