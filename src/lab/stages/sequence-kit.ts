// What every sequences stage shares: the world's tables and datasets on the device, batches of sequences with their
// masks and hidden rewards computed by engine ops, autoregressive sampling on the device, preference pair sets,
// and the exact host-side metrics computed from logits read back at each evaluation.

import type { Backend, Tensor } from '../../engine/backend';
import { seedWords } from '../../engine/rng';
import type { SeqModel, Stepper } from './seq-model';
import { lengths, trueRewards, type SequencesData } from '../worlds/sequences';
import type { MetricValues } from '../metrics';

/** A Philox key and stream for the random ops of one use. */
export interface RandomKey {
  seedLo: number;
  seedHi: number;
  stream: number;
}

export const keyOf = (seed: number, stream: number): RandomKey => {
  const [seedLo, seedHi] = seedWords(seed);
  return { seedLo, seedHi, stream };
};

/** The world on the device, uploaded once per run. */
export class WorldDevice {
  readonly train: Tensor; // [N, T] i32 oracle samples
  readonly trainMask: Tensor; // [N, T]
  readonly heldout: Tensor; // [H, T] i32
  readonly heldoutMask: Tensor; // [H, T]
  /** 1 for every id but EOS, [V + 1]. */
  readonly liveAfter: Tensor;
  /** Hidden reward per (order+1)-gram id, [radix^(order+1)]. */
  readonly rewardTable: Tensor;

  constructor(
    private readonly be: Backend,
    readonly d: SequencesData,
  ) {
    const { T } = d;
    const N = d.world.samples;
    const H = d.world.heldout;
    this.train = be.tensor([N, T], { dtype: 'i32', label: 'world:train', data: d.train });
    this.trainMask = be.tensor([N, T], { label: 'world:train_mask', data: d.trainMask });
    this.heldout = be.tensor([H, T], { dtype: 'i32', label: 'world:heldout', data: d.heldout });
    this.heldoutMask = be.tensor([H, T], { label: 'world:heldout_mask', data: d.heldoutMask });
    this.liveAfter = be.tensor([d.radix], { label: 'world:live_after', data: d.liveAfter });
    this.rewardTable = be.tensor([d.rewardTable.length], { label: 'world:reward_table', data: d.rewardTable });
  }

  release(): void {
    for (const t of [this.train, this.trainMask, this.heldout, this.heldoutMask, this.liveAfter, this.rewardTable])
      this.be.release(t);
  }
}

/** B sequences on the device, with the buffers to derive their mask, hidden reward and model windows. */
export class SeqBatch {
  readonly tokens: Tensor; // [B, T] i32
  readonly mask: Tensor; // [B, T]
  readonly reward: Tensor; // [B] hidden reward (after issueReward)
  private readonly prev: Tensor; // [B, T] i32 token before each position
  private readonly ngram: Tensor; // [B, T] i32 (order+1)-gram id ending at each position
  private readonly tokenReward: Tensor; // [B, T]
  private readonly windows = new Map<string, Tensor>();
  private readonly owned: Tensor[] = [];

  /** B sequences in buffers of its own, or over given tokens [B, T] and mask (a dataset on the device). */
  constructor(
    private readonly be: Backend,
    readonly world: WorldDevice,
    readonly B: number,
    readonly label: string,
    over?: { tokens: Tensor; mask: Tensor },
  ) {
    const T = world.d.T;
    this.tokens = over?.tokens ?? be.tensor([B, T], { dtype: 'i32', label: `${label}:tokens` });
    this.mask = over?.mask ?? be.tensor([B, T], { label: `${label}:mask` });
    if (!over) this.owned.push(this.tokens, this.mask);
    this.reward = be.tensor([B], { label: `${label}:reward` });
    this.prev = be.tensor([B, T], { dtype: 'i32', label: `${label}:prev` });
    this.ngram = be.tensor([B, T], { dtype: 'i32', label: `${label}:ngram` });
    this.tokenReward = be.tensor([B, T], { label: `${label}:token_reward` });
  }

  /**
   * Issue the windows of every position for a model of context C, [B*T, C] i32 (BOS-padded): the C tokens before
   * each position, or with `inclusive` the C tokens ending at it (a reward model scores a token with its context).
   */
  issueWindows(C: number, inclusive = false): Tensor {
    const { T, bos } = this.world.d;
    const key = `${C}:${inclusive}`;
    let win = this.windows.get(key);
    if (!win) {
      win = this.be.tensor([this.B * T, C], { dtype: 'i32', label: `${this.label}:win${C}${inclusive ? 'i' : ''}` });
      this.windows.set(key, win);
    }
    this.be.window(win, this.tokens, { B: this.B, T, C, t0: inclusive ? 1 : 0, P: T, pad: bos });
    return win;
  }

  /** Issue mask[b, t] = 1 while no EOS came before t (EOS is absorbing, so: the token before t is not EOS). */
  issueMask(): void {
    const { T, bos } = this.world.d;
    this.be.window(this.prev, this.tokens, { B: this.B, T, C: 1, t0: 0, P: T, pad: bos });
    this.be.embeddingForward(this.mask, this.world.liveAfter, this.prev, 1);
  }

  /** Issue reward[b] = sum over live positions of the hidden reward of (state, token): needs the mask. */
  issueReward(): void {
    const { T, bos, order, radix } = this.world.d;
    this.be.window(this.ngram, this.tokens, { B: this.B, T, C: order + 1, t0: 1, P: T, pad: bos, radix });
    this.be.embeddingForward(this.tokenReward, this.world.rewardTable, this.ngram, 1);
    this.be.sequenceSumForward(this.reward, this.tokenReward, this.mask, { B: this.B, T });
  }

  release(): void {
    for (const t of [...this.owned, this.reward, this.prev, this.ngram, this.tokenReward, ...this.windows.values()]) {
      this.be.release(t);
    }
  }
}

/** Ancestral sampling of B sequences from a model on the device, one position at a time (temperature 1). */
export class Sampler {
  private readonly stepper: Stepper; // logits [B, V] of one position

  constructor(
    private readonly be: Backend,
    model: SeqModel,
    private readonly B: number,
    label: string,
  ) {
    this.stepper = model.stepper(B, label);
  }

  /** Issue T positions into batch.tokens under the parameters in `flat` (draws keyed by clock and key), then the
   * batch's mask.
   */
  issue(batch: SeqBatch, flat: Tensor, clock: Tensor, key: RandomKey): void {
    const d = batch.world.d;
    const { B } = this;
    for (let t = 0; t < d.T; t++) {
      const logits = this.stepper.issue(flat, batch.tokens, t); // [B, V]
      this.be.sample(batch.tokens, logits, clock, { B, T: d.T, V: d.V, t, temperature: 1, ...key, stop: d.eos });
    }
    batch.issueMask();
  }

  release(): void {
    this.stepper.release();
  }
}

/** Preference pairs on the device ([N, T] chosen and rejected sequences with masks) and their host copies. */
export interface PairSet {
  N: number;
  chosen: Tensor; // [N, T] i32
  chosenMask: Tensor; // [N, T]
  rejected: Tensor; // [N, T] i32
  rejectedMask: Tensor; // [N, T]
  host: { chosen: Int32Array; chosenMask: Float32Array; rejected: Int32Array; rejectedMask: Float32Array };
  /** Hidden rewards of the chosen and rejected sequences. */
  rewardChosen: Float64Array;
  rewardRejected: Float64Array;
}

/**
 * Sample 2N sequences from a model under the parameters in the flat buffer P (at the given key, clock 0), compute
 * their hidden rewards, label N pairs Bradley-Terry, all on the device; run once and read back for the host metrics.
 */
export async function generatePairs(
  be: Backend,
  w: WorldDevice,
  model: SeqModel,
  P: Tensor,
  N: number,
  sampleKey: RandomKey,
  labelKey: RandomKey,
  label: string,
): Promise<PairSet> {
  const { T } = w.d;
  const batch = new SeqBatch(be, w, 2 * N, `${label}:gen`);
  const sampler = new Sampler(be, model, 2 * N, `${label}:gen`);
  const clock = be.tensor([1], { dtype: 'u32', label: `${label}:gen_clock` });
  const ci = be.tensor([N], { dtype: 'i32', label: `${label}:chosen_rows` });
  const ri = be.tensor([N], { dtype: 'i32', label: `${label}:rejected_rows` });
  const set = {
    N,
    chosen: be.tensor([N, T], { dtype: 'i32', label: `${label}:chosen` }),
    chosenMask: be.tensor([N, T], { label: `${label}:chosen_mask` }),
    rejected: be.tensor([N, T], { dtype: 'i32', label: `${label}:rejected` }),
    rejectedMask: be.tensor([N, T], { label: `${label}:rejected_mask` }),
  };
  const program = be.record(`${label}:generate`, () => {
    sampler.issue(batch, P, clock, sampleKey);
    batch.issueReward();
    be.pairLabel(ci, ri, batch.reward, clock, { B: N, ...labelKey });
    be.embeddingForward(set.chosen, batch.tokens, ci, T);
    be.embeddingForward(set.chosenMask, batch.mask, ci, T);
    be.embeddingForward(set.rejected, batch.tokens, ri, T);
    be.embeddingForward(set.rejectedMask, batch.mask, ri, T);
  });
  be.run(program);
  const host = {
    chosen: (await be.read(set.chosen)) as Int32Array,
    chosenMask: (await be.read(set.chosenMask)) as Float32Array,
    rejected: (await be.read(set.rejected)) as Int32Array,
    rejectedMask: (await be.read(set.rejectedMask)) as Float32Array,
  };
  sampler.release();
  batch.release();
  for (const t of [clock, ci, ri]) be.release(t);
  return {
    ...set,
    host,
    rewardChosen: trueRewards(w.d, host.chosen, host.chosenMask, N),
    rewardRejected: trueRewards(w.d, host.rejected, host.rejectedMask, N),
  };
}

/** The pairs of a set as two batches over its device buffers. */
export function pairBatches(be: Backend, w: WorldDevice, p: PairSet, label: string): [SeqBatch, SeqBatch] {
  return [
    new SeqBatch(be, w, p.N, `${label}:chosen`, { tokens: p.chosen, mask: p.chosenMask }),
    new SeqBatch(be, w, p.N, `${label}:rejected`, { tokens: p.rejected, mask: p.rejectedMask }),
  ];
}

export function releasePairs(be: Backend, p: PairSet): void {
  for (const t of [p.chosen, p.chosenMask, p.rejected, p.rejectedMask]) be.release(t);
}

// ---- exact host metrics from logits read back ----

/** Per-position statistics of [n*T, V] logits against tokens [n, T] over the live positions. */
export interface TokenStats {
  /** Mean negative log-likelihood of the tokens (nats per token). */
  nll: number;
  /** Mean entropy of the next-token distributions (nats). */
  entropy: number;
  /** Sum of token log-probs per sequence, [n]. */
  logp: Float64Array;
  /** Mean of token log-probs per sequence (length-normalized), [n]. */
  avgLogp: Float64Array;
  /** Argmax per position, [n*T]. */
  argmax: Int32Array;
}

export function tokenStats(
  logits: Float32Array,
  tokens: ArrayLike<number>,
  mask: ArrayLike<number>,
  n: number,
  T: number,
  V: number,
): TokenStats {
  const logp = new Float64Array(n);
  const avgLogp = new Float64Array(n);
  const argmax = new Int32Array(n * T);
  let nll = 0;
  let entropy = 0;
  let count = 0;
  for (let r = 0; r < n; r++) {
    let live = 0;
    for (let t = 0; t < T; t++) {
      const row = r * T + t;
      const o = row * V;
      let max = -Infinity;
      let arg = 0;
      for (let k = 0; k < V; k++) {
        if (logits[o + k] > max) {
          max = logits[o + k];
          arg = k;
        }
      }
      argmax[row] = arg;
      if (mask[row] === 0) continue;
      let z = 0;
      for (let k = 0; k < V; k++) z += Math.exp(logits[o + k] - max);
      const lse = max + Math.log(z);
      let h = 0;
      for (let k = 0; k < V; k++) {
        const lp = logits[o + k] - lse;
        h -= Math.exp(lp) * lp;
      }
      const lt = logits[o + tokens[row]] - lse;
      logp[r] += lt;
      nll -= lt;
      entropy += h;
      live++;
    }
    avgLogp[r] = live > 0 ? logp[r] / live : 0;
    count += live;
  }
  return { nll: nll / Math.max(count, 1), entropy: entropy / Math.max(count, 1), logp, avgLogp, argmax };
}

/** Share of live positions where two models' argmax tokens agree. */
export function agreement(a: Int32Array, b: Int32Array, mask: ArrayLike<number>): number {
  let same = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask[i] === 0) continue;
    count++;
    if (a[i] === b[i]) same++;
  }
  return same / Math.max(count, 1);
}

/** Share of pairs a score orders as the hidden reward does (pairs of equal hidden reward left out). */
export function pairAccuracy(scoreChosen: ArrayLike<number>, scoreRejected: ArrayLike<number>, p: PairSet): number {
  let ok = 0;
  let count = 0;
  for (let i = 0; i < p.N; i++) {
    const truth = p.rewardChosen[i] - p.rewardRejected[i];
    if (truth === 0) continue;
    count++;
    if ((scoreChosen[i] - scoreRejected[i]) * truth > 0) ok++;
  }
  return ok / Math.max(count, 1);
}

/** Hidden reward and length of sampled sequences: the metrics of what a model generates. */
export function sampleMetrics(d: SequencesData, tokens: Int32Array, mask: Float32Array, n: number): MetricValues {
  const mean = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / n;
  return { 'reward/true': mean(trueRewards(d, tokens, mask, n)), 'samples/length': mean(lengths(d, tokens, mask, n)) };
}
