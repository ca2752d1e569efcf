// The DPO family on the sequences world: every preference_loss type on sequence log-probs (length-averaged where
// the loss calls for it), against the reference (a frozen copy of the policy at stage start). Offline: a fixed pair set
// sampled from the reference; online: fresh pairs sampled from the current policy each step. Pairs are labelled
// Bradley-Terry by the hidden reward, on the device. The whole step runs on the device.

import type { Tensor } from '../../engine/backend';
import { preferenceLossOf } from '../../engine/preference_losses';
import { DEFAULT_SEQUENCE_PAIRS, type PreferenceStage } from '../config';
import type { SequencesSnapshot } from '../stage';
import { PREFERENCE_STEP_METRICS, type MetricValues } from '../metrics';
import { preferenceOutputs } from '../preference-outputs';
import type { SeqModel } from './seq-model';
import { STAGE_OFFSET, STREAM } from '../streams';
import {
  generatePairs,
  keyOf,
  pairAccuracy,
  pairBatches,
  releasePairs,
  Sampler,
  SeqBatch,
  tokenStats,
  type PairSet,
} from './sequence-kit';
import { LmEval, lmSnapshot, Probe, SequenceStage, type LmReport, type SequenceRun } from './sequence-stage';

export class SequencePreferenceStageRunner extends SequenceStage {
  private eval!: LmEval;
  private last: LmReport | null = null;
  private referenceOnSamples!: Probe;
  private heldPolicy!: [Probe, Probe];
  private heldReference!: [Probe, Probe];
  private heldPairs!: PairSet;
  /** Reference log-probs of the held-out pairs (fixed for the stage), chosen and rejected. */
  private heldRef: [Float64Array, Float64Array] | null = null;
  /** The loss takes length-averaged log-probs (its row of PREFERENCE_LOSSES). */
  private readonly average: boolean;
  /** The loss, and so its implicit reward, ignores the reference. */
  private readonly referenceFree: boolean;

  constructor(
    run: SequenceRun,
    private readonly stage: PreferenceStage,
    index: number,
  ) {
    super(run, stage, index, PREFERENCE_STEP_METRICS);
    ({ averaged: this.average, referenceFree: this.referenceFree } = preferenceLossOf(stage.lossType));
  }

  /** Sequence log-probs [N] of a pair set's chosen and rejected sequences under P, computed once now. */
  private async setLogps(policy: SeqModel, P: Tensor, pairs: PairSet): Promise<[Tensor, Tensor]> {
    const { be, data } = this.run;
    const N = pairs.N;
    const seq = { B: N, T: data.T, V: data.V, average: this.average };
    const batches = pairBatches(this.run.be, this.run.world, pairs, `${this.name}:set`);
    const pass = policy.pass(N, `${this.name}:set_reference`, false);
    const out: [Tensor, Tensor] = [
      this.tensor([N], 'reference_chosen_set'),
      this.tensor([N], 'reference_rejected_set'),
    ];
    be.run(
      be.record(`${this.name}:reference_set`, () => {
        batches.forEach((b, i) => {
          policy.forward(P, b, pass);
          be.sequenceLogpsForward(out[i], pass.out, b.tokens, b.mask, seq);
        });
      }),
    );
    await be.sync();
    policy.releasePass(pass);
    for (const b of batches) b.release();
    return out;
  }

  protected async start(): Promise<() => void> {
    const { be, world, data, cfg } = this.run;
    const { T, V } = data;
    const st = this.stage;
    const policy = this.model(st.model!);
    const B = st.batch;
    policy.arena.resetMoments(); // each stage starts its own optimizer
    // The reference: a frozen copy of the policy as it is now.
    const refFlat = this.tensor([policy.arena.length], 'reference');
    be.copy(refFlat, policy.arena.params);

    const chosen = new SeqBatch(be, world, B, `${this.name}:chosen`);
    const rejected = new SeqBatch(be, world, B, `${this.name}:rejected`);
    this.onRelease(() => (chosen.release(), rejected.release()));
    const wc = policy.pass(B, `${this.name}:policy_chosen`, true); // logits [B*T, V]
    const wr = policy.pass(B, `${this.name}:policy_rejected`, true);
    const pc = this.tensor([B], 'policy_chosen_logps');
    const pr = this.tensor([B], 'policy_rejected_logps');
    const rc = this.tensor([B], 'reference_chosen_logps');
    const rr = this.tensor([B], 'reference_rejected_logps');
    const { out, grads: dLogps } = preferenceOutputs(be, B, (shape, label) => this.tensor(shape, label));
    const seq = { B, T, V, average: this.average };

    let draw: () => void;
    if ((st.data ?? 'offline') === 'offline') {
      const pairs = await generatePairs(
        be,
        world,
        policy,
        refFlat,
        st.pairs ?? DEFAULT_SEQUENCE_PAIRS,
        keyOf(cfg.seed, STREAM.seqPairs),
        keyOf(cfg.seed, STREAM.seqPairLabels),
        `${this.name}:pairs`,
      );
      this.onRelease(() => releasePairs(be, pairs));
      // The reference log-probs of a fixed set are computed once and gathered per step.
      const [refChosen, refRejected] = await this.setLogps(policy, refFlat, pairs); // [N] each
      const pick = this.tensor([B], 'pick', 'i32'); // [B] pairs of the set
      const key = this.key(STAGE_OFFSET.batch);
      draw = () => {
        be.random(pick, this.clock, { kind: 'index', n: pairs.N, ...key });
        be.embeddingForward(chosen.tokens, pairs.chosen, pick, T); // [B, T]
        be.embeddingForward(chosen.mask, pairs.chosenMask, pick, T);
        be.embeddingForward(rejected.tokens, pairs.rejected, pick, T);
        be.embeddingForward(rejected.mask, pairs.rejectedMask, pick, T);
        be.embeddingForward(rc, refChosen, pick, 1); // [B]
        be.embeddingForward(rr, refRejected, pick, 1);
      };
    } else {
      // Online: 2B fresh samples of the current policy, paired (b, B + b) and labelled by the hidden reward.
      const fresh = new SeqBatch(be, world, 2 * B, `${this.name}:fresh`);
      const sampler = new Sampler(be, policy, 2 * B, `${this.name}:sampler`);
      this.onRelease(() => (sampler.release(), fresh.release()));
      const ci = this.tensor([B], 'chosen_rows', 'i32'); // [B] rows of fresh
      const ri = this.tensor([B], 'rejected_rows', 'i32');
      const rwc = policy.pass(B, `${this.name}:reference_chosen`, false);
      const rwr = policy.pass(B, `${this.name}:reference_rejected`, false);
      const sampleKey = this.key(STAGE_OFFSET.sample);
      const labelKey = this.key(STAGE_OFFSET.label);
      draw = () => {
        sampler.issue(fresh, policy.arena.params, this.clock, sampleKey);
        fresh.issueReward();
        be.pairLabel(ci, ri, fresh.reward, this.clock, { B, ...labelKey });
        be.embeddingForward(chosen.tokens, fresh.tokens, ci, T); // [B, T]
        be.embeddingForward(chosen.mask, fresh.mask, ci, T);
        be.embeddingForward(rejected.tokens, fresh.tokens, ri, T);
        be.embeddingForward(rejected.mask, fresh.mask, ri, T);
        policy.forward(refFlat, chosen, rwc);
        policy.forward(refFlat, rejected, rwr);
        be.sequenceLogpsForward(rc, rwc.out, chosen.tokens, chosen.mask, seq);
        be.sequenceLogpsForward(rr, rwr.out, rejected.tokens, rejected.mask, seq);
      };
    }

    // Evaluation: the usual language-model report, the reference on the same samples (sampled KL), and the
    // implicit reward on held-out pairs drawn from the reference.
    this.heldPairs = await generatePairs(
      be,
      world,
      policy,
      refFlat,
      data.world.heldout,
      keyOf(cfg.seed, STREAM.seqHeldoutPairs),
      keyOf(cfg.seed, STREAM.seqHeldoutPairLabels),
      `${this.name}:held_pairs`,
    );
    const held = pairBatches(this.run.be, this.run.world, this.heldPairs, `${this.name}:held_pairs`);
    this.onRelease(() => (held.forEach((b) => b.release()), releasePairs(be, this.heldPairs)));
    this.heldPolicy = [
      new Probe(be, policy, policy.arena.params, held[0], `${this.name}:held_policy_c`),
      new Probe(be, policy, policy.arena.params, held[1], `${this.name}:held_policy_r`),
    ];
    this.heldReference = [
      new Probe(be, policy, refFlat, held[0], `${this.name}:held_ref_c`),
      new Probe(be, policy, refFlat, held[1], `${this.name}:held_ref_r`),
    ];
    this.eval = new LmEval(
      be,
      this.run,
      policy,
      this.key(STAGE_OFFSET.evalSample),
      `${this.name}:eval`,
      this.tensor.bind(this),
      this.onRelease.bind(this),
      (samples) => {
        this.referenceOnSamples = new Probe(be, policy, refFlat, samples, `${this.name}:ref_on_samples`);
        return () => {
          this.referenceOnSamples.issue();
          for (const p of this.heldPolicy) p.issue();
        };
      },
    );

    return () => {
      be.tick(this.clock);
      draw();
      policy.forward(policy.arena.params, chosen, wc);
      policy.forward(policy.arena.params, rejected, wr);
      be.sequenceLogpsForward(pc, wc.out, chosen.tokens, chosen.mask, seq);
      be.sequenceLogpsForward(pr, wr.out, rejected.tokens, rejected.mask, seq);
      be.fill(dLogps, 0); // preference_loss accumulates its gradient
      be.preferenceLoss(
        out,
        { policyChosenLogps: pc, policyRejectedLogps: pr, referenceChosenLogps: rc, referenceRejectedLogps: rr },
        { lossType: st.lossType, beta: st.beta, labelSmoothing: st.labelSmoothing, gamma: st.gamma },
      );
      // Backward, in exact reverse order, into gradients zeroed by one fill (plus the passes' activation grads).
      policy.arena.zeroGrad();
      policy.zeroPass(wc);
      policy.zeroPass(wr);
      be.sequenceLogpsBackward(wr.dout!, out.dPolicyRejected, wr.out, rejected.tokens, rejected.mask, seq);
      be.sequenceLogpsBackward(wc.dout!, out.dPolicyChosen, wc.out, chosen.tokens, chosen.mask, seq);
      policy.backward(wr);
      policy.backward(wc);
      policy.arena.step(this.clock, st.optimizer);
      // Metrics, in PREFERENCE_STEP_METRICS order.
      this.logPairMetrics(out);
      this.logMetric(5, pc);
      this.logMetric(6, pr);
    };
  }

  /** Sequence log-probs from logits read back: summed, or length-averaged where the loss calls for it. */
  private logps(logits: Float32Array, b: 0 | 1): Float64Array {
    const { data } = this.run;
    const h = this.heldPairs.host;
    const stats = tokenStats(
      logits,
      b === 0 ? h.chosen : h.rejected,
      b === 0 ? h.chosenMask : h.rejectedMask,
      this.heldPairs.N,
      data.T,
      data.V,
    );
    return this.average ? stats.avgLogp : stats.logp;
  }

  protected async periodMetrics(): Promise<MetricValues> {
    const { be, data } = this.run;
    const st = this.stage;
    if (!this.heldRef) {
      be.run(be.record(`${this.name}:held_reference`, () => this.heldReference.forEach((p) => p.issue())));
      this.heldRef = [
        this.logps(await this.heldReference[0].read(), 0),
        this.logps(await this.heldReference[1].read(), 1),
      ];
    }
    this.last = await this.eval.report();
    const H = data.world.heldout;
    const ref = tokenStats(
      await this.referenceOnSamples.read(),
      this.last.samples.tokens,
      this.last.samples.mask,
      H,
      data.T,
      data.V,
    );
    let kl = 0;
    for (let i = 0; i < H; i++) kl += this.last.samples.stats.logp[i] - ref.logp[i];
    // The implicit reward of each held-out response: beta (log pi - log pi_ref), or beta log pi reference-free.
    const implicit = (logits: Float32Array, b: 0 | 1) => {
      const lp = this.logps(logits, b);
      const rf = this.heldRef![b];
      return lp.map((x, i) => st.beta * (this.referenceFree ? x : x - rf[i]));
    };
    const rc = implicit(await this.heldPolicy[0].read(), 0);
    const rr = implicit(await this.heldPolicy[1].read(), 1);
    return { ...this.last.metrics, 'kl/reference': kl / H, 'pairs/accuracy': pairAccuracy(rc, rr, this.heldPairs) };
  }

  async snapshot(): Promise<SequencesSnapshot> {
    await this.started();
    this.last ??= await this.eval.report();
    return lmSnapshot(this.name, this.stage.model!, this.run.data, this.last);
  }
}
