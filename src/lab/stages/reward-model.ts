// A Bradley-Terry reward model on the sequences world: a token-MLP scores each token with the `context` tokens
// ending at it, summed over the sequence; trained with -log sigmoid(r(y_w) - r(y_l)) on pairs sampled from a
// policy (the same pairs a DPO stage on that policy samples), to compare with DPO's implicit reward.

import type { Program } from '../../engine/backend';
import type { RewardModelStage } from '../config';
import type { SequencesSnapshot } from '../stage';
import { preferenceOutputs } from '../preference-outputs';
import { STAGE_OFFSET, STREAM } from '../streams';
import { trueRewards } from '../worlds/sequences';
import { generatePairs, keyOf, pairAccuracy, pairBatches, releasePairs, SeqBatch, type PairSet } from './sequence-kit';
import { Probe, SequenceStage, type SequenceRun } from './sequence-stage';
import type { MetricValues } from '../metrics';

/** Per-step metrics: the Bradley-Terry loss, and the reward model's scores of the training pairs. */
export const REWARD_MODEL_STEP_METRICS = [
  'loss',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/margins',
  'rewards/accuracies',
] as const;

/** Sum over live positions of per-position scores [n*T] read back. */
function sequenceScores(scores: Float32Array, mask: Float32Array, n: number, T: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n * T; i++) if (mask[i] !== 0) out[Math.floor(i / T)] += mask[i] * scores[i];
  return out;
}

export class RewardModelStageRunner extends SequenceStage {
  private heldPairs!: PairSet;
  private held!: [Probe, Probe];
  private evalProgram: Program | null = null;

  constructor(
    run: SequenceRun,
    private readonly stage: RewardModelStage,
    index: number,
  ) {
    super(run, stage, index, REWARD_MODEL_STEP_METRICS);
  }

  protected async start(): Promise<() => void> {
    const { be, world, data, cfg } = this.run;
    const T = data.T;
    const st = this.stage;
    const rm = this.model(st.model);
    const policy = this.model(st.policy);
    const B = st.batch;
    rm.arena.resetMoments(); // each stage starts its own optimizer
    const pairs = await generatePairs(
      be,
      world,
      policy,
      policy.arena.params,
      st.pairs,
      keyOf(cfg.seed, STREAM.seqPairs),
      keyOf(cfg.seed, STREAM.seqPairLabels),
      `${this.name}:pairs`,
    );
    this.heldPairs = await generatePairs(
      be,
      world,
      policy,
      policy.arena.params,
      data.world.heldout,
      keyOf(cfg.seed, STREAM.seqHeldoutPairs),
      keyOf(cfg.seed, STREAM.seqHeldoutPairLabels),
      `${this.name}:held_pairs`,
    );
    const held = pairBatches(this.run.be, this.run.world, this.heldPairs, `${this.name}:held_pairs`);
    this.held = [
      new Probe(be, rm, rm.arena.params, held[0], `${this.name}:held_c`, true),
      new Probe(be, rm, rm.arena.params, held[1], `${this.name}:held_r`, true),
    ];
    const chosen = new SeqBatch(be, world, B, `${this.name}:chosen`);
    const rejected = new SeqBatch(be, world, B, `${this.name}:rejected`);
    this.onRelease(() => {
      for (const b of [chosen, rejected, ...held]) b.release();
      releasePairs(be, pairs);
      releasePairs(be, this.heldPairs);
    });
    const wc = rm.pass(B, `${this.name}:chosen`, true, true); // scores [B*T, 1] of each token with its context
    const wr = rm.pass(B, `${this.name}:rejected`, true, true);
    const pick = this.tensor([B], 'pick', 'i32'); // [B] pairs of the set
    const zeros = this.tensor([B], 'zeros'); // [B] a reference of log-prob 0: the loss is plain Bradley-Terry
    const sc = this.tensor([B], 'score_chosen');
    const sr = this.tensor([B], 'score_rejected');
    // The scores stand in for the policy log-probs.
    const { out, grads: dScores } = preferenceOutputs(be, B, (shape, label) => this.tensor(shape, label));
    const key = this.key(STAGE_OFFSET.batch);
    const dims = { B, T };

    return () => {
      be.tick(this.clock);
      be.random(pick, this.clock, { kind: 'index', n: pairs.N, ...key });
      be.embeddingForward(chosen.tokens, pairs.chosen, pick, T); // [B, T]
      be.embeddingForward(chosen.mask, pairs.chosenMask, pick, T);
      be.embeddingForward(rejected.tokens, pairs.rejected, pick, T);
      be.embeddingForward(rejected.mask, pairs.rejectedMask, pick, T);
      rm.forward(rm.arena.params, chosen, wc);
      rm.forward(rm.arena.params, rejected, wr);
      be.sequenceSumForward(sc, wc.out, chosen.mask, dims); // [B]
      be.sequenceSumForward(sr, wr.out, rejected.mask, dims);
      // sigmoid loss with beta 1 against a zero reference: -log sigmoid(r(y_w) - r(y_l)).
      be.fill(dScores, 0); // preference_loss accumulates its gradient
      be.preferenceLoss(
        out,
        { policyChosenLogps: sc, policyRejectedLogps: sr, referenceChosenLogps: zeros, referenceRejectedLogps: zeros },
        { lossType: 'sigmoid', beta: 1, labelSmoothing: 0, gamma: 0 },
      );
      rm.arena.zeroGrad();
      rm.zeroPass(wc);
      rm.zeroPass(wr);
      be.sequenceSumBackward(wr.dout!, out.dPolicyRejected, rejected.mask, dims);
      be.sequenceSumBackward(wc.dout!, out.dPolicyChosen, chosen.mask, dims);
      rm.backward(wr);
      rm.backward(wc);
      rm.arena.step(this.clock, st.optimizer);
      this.logPairMetrics(out);
    };
  }

  /** Reward-model scores of the held-out pairs, chosen and rejected. */
  private async heldScores(): Promise<[Float64Array, Float64Array]> {
    const { be, data } = this.run;
    this.evalProgram ??= be.record(`${this.name}:eval`, () => this.held.forEach((p) => p.issue()));
    be.run(this.evalProgram);
    const h = this.heldPairs.host;
    return [
      sequenceScores(await this.held[0].read(), h.chosenMask, this.heldPairs.N, data.T),
      sequenceScores(await this.held[1].read(), h.rejectedMask, this.heldPairs.N, data.T),
    ];
  }

  protected async periodMetrics(): Promise<MetricValues> {
    const [c, r] = await this.heldScores();
    return { 'pairs/accuracy': pairAccuracy(c, r, this.heldPairs) };
  }

  async snapshot(): Promise<SequencesSnapshot> {
    await this.started();
    const { data } = this.run;
    const [scores] = await this.heldScores();
    const h = this.heldPairs.host;
    return {
      kind: 'sequences',
      stage: this.name,
      model: this.stage.model,
      V: data.V,
      T: data.T,
      eos: data.eos,
      // Copies: the worker transfers a snapshot's buffers, and the held-out pairs are scored again later.
      samples: h.chosen.slice(),
      mask: h.chosenMask.slice(),
      rewards: Float32Array.from(trueRewards(data, h.chosen, h.chosenMask, this.heldPairs.N)),
      scores: Float32Array.from(scores),
    };
  }
}
