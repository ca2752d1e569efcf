// A preference-optimization stage (the DPO family of OPS.md) on the bandit world with a table policy, against the
// frozen reference. The whole step (batch draw, log-probs, loss, backward, AdamW, metrics) runs on the device.

import type { Backend, MetricMode, Program, Tensor } from '../../engine/backend';
import { preferenceLossOf } from '../../engine/preference_losses';
import { seedWords } from '../../engine/rng';
import type { ExperimentConfig, PreferenceStage } from '../config';
import { PREFERENCE_STEP_METRICS, type MetricValues } from '../metrics';
import { ParamArena } from '../arena';
import { preferenceOutputs } from '../preference-outputs';
import { RecordedStage, type BanditSnapshot, type Run } from '../stage';
import { STAGE_OFFSET } from '../streams';
import { expectedValue, logSoftmaxRows, meanEntropy, meanKl } from '../tables';
import { makeBandit, optimalLogp, type BanditData } from '../worlds/bandit';

export class PreferenceStageRunner extends RecordedStage {
  private readonly program: Program;
  private readonly optimalLogp: Float64Array;
  private readonly referenceLogp: Float64Array;
  private readonly idealized: number;
  private started = false;

  constructor(
    be: Backend,
    cfg: ExperimentConfig,
    private readonly stage: PreferenceStage,
    index: number,
    private readonly data: BanditData,
    private readonly policy: ParamArena,
    reference: Tensor,
  ) {
    super(be, cfg, stage, index, PREFERENCE_STEP_METRICS);
    const { P, K } = data;
    const B = stage.batch;
    const N = data.prompt.length;
    const t = (shape: number[], label: string, dtype: 'f32' | 'i32' | 'u32' = 'f32', init?: ArrayLike<number>) =>
      this.tensor(shape, label, dtype, init);
    const prompts = t([N], 'pairs:prompt', 'i32', data.prompt); // [N]
    const chosen = t([N], 'pairs:chosen', 'i32', data.chosen); // [N]
    const rejected = t([N], 'pairs:rejected', 'i32', data.rejected); // [N]
    const ones = t([B], 'mask', 'f32', new Float32Array(B).fill(1)); // [B]
    const pick = t([B], 'batch:index', 'i32'); // [B]
    const x = t([B], 'batch:prompt', 'i32'); // [B]
    const yw = t([B], 'batch:chosen', 'i32'); // [B]
    const yl = t([B], 'batch:rejected', 'i32'); // [B]
    const rowsPolicy = t([B, K], 'policy_logits'); // [B,T=1,V=K]
    const rowsReference = t([B, K], 'reference_logits'); // [B,T=1,V=K]
    const dRows = t([B, K], 'd_policy_logits'); // [B,T=1,V=K]
    const pc = t([B], 'policy_chosen_logps');
    const pr = t([B], 'policy_rejected_logps');
    const rc = t([B], 'reference_chosen_logps');
    const rr = t([B], 'reference_rejected_logps');
    const { out, grads: dLogps } = preferenceOutputs(be, B, t);
    const table = policy.param('logits'); // [P, K]
    const dTable = policy.grad('logits'); // [P, K]
    const [seedLo, seedHi] = seedWords(cfg.seed);
    // Length-averaged log-probs where the loss calls for them (TRL); with one token it changes nothing.
    const seq = { B, T: 1, V: K, average: preferenceLossOf(stage.lossType).averaged };
    const at = (slot: number, mode: MetricMode = 'mean') => this.at(slot, mode);
    void P;

    this.program = be.record(`${stage.name}:step`, () => {
      be.tick(this.clock);
      be.random(pick, this.clock, { kind: 'index', n: N, seedLo, seedHi, stream: this.stream(STAGE_OFFSET.batch) });
      be.embeddingForward(x, prompts, pick, 1);
      be.embeddingForward(yw, chosen, pick, 1);
      be.embeddingForward(yl, rejected, pick, 1);
      be.embeddingForward(rowsPolicy, table, x, K);
      be.embeddingForward(rowsReference, reference, x, K);
      be.sequenceLogpsForward(pc, rowsPolicy, yw, ones, seq);
      be.sequenceLogpsForward(pr, rowsPolicy, yl, ones, seq);
      be.sequenceLogpsForward(rc, rowsReference, yw, ones, seq);
      be.sequenceLogpsForward(rr, rowsReference, yl, ones, seq);
      be.fill(dLogps, 0); // preference_loss accumulates its gradient
      be.preferenceLoss(
        out,
        { policyChosenLogps: pc, policyRejectedLogps: pr, referenceChosenLogps: rc, referenceRejectedLogps: rr },
        { lossType: stage.lossType, beta: stage.beta, labelSmoothing: stage.labelSmoothing, gamma: stage.gamma },
      );
      // Backward, in exact reverse order, into gradients zeroed in one step.
      policy.zeroGrad();
      be.fill(dRows, 0);
      be.sequenceLogpsBackward(dRows, out.dPolicyChosen, rowsPolicy, yw, ones, seq);
      be.sequenceLogpsBackward(dRows, out.dPolicyRejected, rowsPolicy, yl, ones, seq);
      be.embeddingBackward(dTable, dRows, x, K);
      policy.step(this.clock, stage.optimizer);
      // Metrics, in PREFERENCE_STEP_METRICS order.
      be.logMetric(this.history, out.losses, null, this.clock, at(0));
      be.logMetric(this.history, out.chosenRewards, null, this.clock, at(1));
      be.logMetric(this.history, out.rejectedRewards, null, this.clock, at(2));
      be.logMetric(this.history, out.chosenRewards, out.rejectedRewards, this.clock, at(3, 'diff'));
      be.logMetric(this.history, out.chosenRewards, out.rejectedRewards, this.clock, at(4, 'greater'));
      be.logMetric(this.history, pc, null, this.clock, at(5));
      be.logMetric(this.history, pr, null, this.clock, at(6));
    });

    this.referenceLogp = logSoftmaxRows(new Float64Array(P * K), data.referenceLogits, P, K);
    this.optimalLogp = optimalLogp(data, stage.beta);
    // Idealized ranking accuracy (Chen et al. 2024, Eq. 3): fixed by the data, the reference and beta.
    let ok = 0;
    for (let n = 0; n < N; n++) {
      const a = Math.min(Math.max(data.alpha[n], 1e-12), 1 - 1e-12);
      const s =
        this.referenceLogp[data.prompt[n] * K + data.chosen[n]] -
        this.referenceLogp[data.prompt[n] * K + data.rejected[n]] +
        Math.log(a / (1 - a)) / stage.beta;
      if (s > 0) ok++;
    }
    this.idealized = ok / N;
  }

  protected override replay(n: number): Promise<void> {
    if (!this.started) {
      // Each stage starts its own optimizer.
      this.policy.resetMoments();
      this.started = true;
    }
    this.be.run(this.program, n);
    return Promise.resolve();
  }

  protected override async periodMetrics(): Promise<MetricValues> {
    const { P, K } = this.data;
    const logits = (await this.be.read(this.policy.param('logits'))) as Float32Array;
    const logp = logSoftmaxRows(new Float64Array(P * K), logits, P, K);
    let ranked = 0;
    const N = this.data.prompt.length;
    for (let n = 0; n < N; n++) {
      const x = this.data.prompt[n] * K;
      if (logp[x + this.data.chosen[n]] > logp[x + this.data.rejected[n]]) ranked++;
    }
    return {
      'kl/reference': meanKl(logp, this.referenceLogp, P, K),
      'kl/optimal': meanKl(logp, this.optimalLogp, P, K),
      entropy: meanEntropy(logp, P, K),
      'reward/true': expectedValue(logp, this.data.reward, P, K),
      'ranking/accuracy': ranked / N,
      'ranking/idealized': this.idealized,
    };
  }

  override async snapshot(): Promise<BanditSnapshot> {
    const { P, K } = this.data;
    const logits = (await this.be.read(this.policy.param('logits'))) as Float32Array;
    const probs = (logp: Float64Array) => Float32Array.from(logp, Math.exp);
    return {
      kind: 'bandit',
      stage: this.name,
      P,
      K,
      policy: probs(logSoftmaxRows(new Float64Array(P * K), logits, P, K)),
      reference: probs(this.referenceLogp),
      optimal: probs(this.optimalLogp),
      reward: Float32Array.from(this.data.reward),
    };
  }
}

/** A bandit run: a table policy [P, K] that starts at the reference, trained by each preference stage in turn. */
export function buildBanditRun(be: Backend, config: ExperimentConfig): Run {
  if (config.world.kind !== 'bandit') throw new Error(`a bandit run needs a bandit world, not ${config.world.kind}`);
  const d = makeBandit(config.world, config.seed);
  const policy = new ParamArena(be, [{ name: 'logits', shape: [d.P, d.K], init: d.referenceLogits }], 'policy');
  const reference = be.tensor([d.P, d.K], { label: 'reference:logits', data: d.referenceLogits });
  const stages = config.stages.map((s, i) => {
    if (s.kind !== 'preference') throw new Error(`a bandit run has preference stages only, not ${s.kind}`);
    return new PreferenceStageRunner(be, config, s, i, d, policy, reference);
  });
  return {
    stages,
    async weights() {
      return { policy: await policy.packed() };
    },
    release() {
      for (const s of stages) s.release();
      policy.release();
      be.release(reference);
    },
  };
}
