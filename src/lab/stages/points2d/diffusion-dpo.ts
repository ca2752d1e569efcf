// Diffusion-DPO of the teacher against its frozen copy on labelled pairs of its own samples.

import type { Tensor } from '../../../engine/backend';
import type { DiffusionDpoStage } from '../../config';
import type { Points2dSnapshot } from '../../stage';
import { Denoiser, Noiser, Sampler, Workspace } from '../../models/denoiser';
import { modelStream, STAGE_OFFSET, STREAM } from '../../streams';
import { pointStats } from '../../worlds/points2d';
import { diversity, modelSteps, PAIR_SAMPLER, Points2dStageRunner, type Points2dRun } from './base';
import { Philox } from '../../../engine/rng';
import type { MetricValues } from '../../metrics';

/**
 * Diffusion-DPO (Wallace et al. 2024) of the teacher against its frozen copy: pairs of reference samples labelled
 * Bradley-Terry by a hidden linear reward; chosen and rejected are noised with the same eps and timestep.
 */
export class DiffusionDpoStageRunner extends Points2dStageRunner {
  private readonly reference: Denoiser;
  private readonly chosen: Tensor;
  private readonly rejected: Tensor;
  private readonly pairSampler: Sampler;
  private readonly policySampler: Sampler;
  private readonly referenceSampler: Sampler;

  constructor(
    run: Points2dRun,
    private readonly stage: DiffusionDpoStage,
    index: number,
  ) {
    super(run, stage, index, ['loss', 'rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies']);
    const { be, w, teacher: policy, abar } = run;
    const B = stage.batch;
    const P = stage.pairs;
    this.reference = this.own(new Denoiser(be, `${this.name}-reference`, w, run.cfg.seed, modelStream(3)));
    const ref = this.reference;
    this.chosen = this.tensor([P, 2], 'pairs:chosen');
    this.rejected = this.tensor([P, 2], 'pairs:rejected');
    const noiser = this.own(new Noiser(be, Noiser.spread(B, 0, w.timesteps - 1), abar, `${this.name}:noiser`));
    const wsC = this.own(new Workspace(be, policy, B, `${this.name}:policy_chosen`));
    const wsR = this.own(new Workspace(be, policy, B, `${this.name}:policy_rejected`));
    const wsRef = this.own(new Workspace(be, ref, B, `${this.name}:reference`));
    const pick = this.tensor([B], 'pick', 'i32');
    const c = this.tensor([B, 2], 'chosen');
    const r = this.tensor([B, 2], 'rejected');
    const e = this.tensor([B, 2], 'eps');
    const xc = this.tensor([B, 2], 'xt_chosen');
    const xr = this.tensor([B, 2], 'xt_rejected');
    const pc = this.tensor([B, 2], 'policy_chosen');
    const pr = this.tensor([B, 2], 'policy_rejected');
    const rc = this.tensor([B, 2], 'reference_chosen');
    const rr = this.tensor([B, 2], 'reference_rejected');
    const dpc = this.tensor([B, 2], 'd_policy_chosen');
    const dpr = this.tensor([B, 2], 'd_policy_rejected');
    const loss = this.tensor([1], 'loss');
    const rewardChosen = this.tensor([B], 'reward_chosen');
    const rewardRejected = this.tensor([B], 'reward_rejected');
    const { seedLo, seedHi } = this;
    const beta = stage.beta;

    this.program = be.record(`${this.name}:step`, () => {
      be.tick(this.clock);
      be.random(pick, this.clock, { kind: 'index', n: P, seedLo, seedHi, stream: this.stream(STAGE_OFFSET.batch) });
      be.embeddingForward(c, this.chosen, pick, 2);
      be.embeddingForward(r, this.rejected, pick, 2);
      be.random(e, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STAGE_OFFSET.noise) });
      noiser.noise(xc, c, e);
      noiser.noise(xr, r, e);
      wsC.forward(pc, xc, noiser.t, run.feat);
      wsR.forward(pr, xr, noiser.t, run.feat);
      wsRef.forward(rc, xc, noiser.t, run.feat);
      wsRef.forward(rr, xr, noiser.t, run.feat);
      be.fill(dpc, 0);
      be.fill(dpr, 0);
      be.diffusionDpoLoss(
        { loss, chosenRewards: rewardChosen, rejectedRewards: rewardRejected, dModelChosen: dpc, dModelRejected: dpr },
        { modelChosen: pc, modelRejected: pr, refChosen: rc, refRejected: rr, targetChosen: e, targetRejected: e },
        { B, D: 2, beta },
      );
      policy.arena.zeroGrad();
      wsC.backward(dpc, xc);
      wsR.backward(dpr, xr);
      policy.arena.step(this.clock, stage.optimizer);
      be.logMetric(this.history, loss, null, this.clock, this.at(0));
      be.logMetric(this.history, rewardChosen, null, this.clock, this.at(1));
      be.logMetric(this.history, rewardRejected, null, this.clock, this.at(2));
      be.logMetric(this.history, rewardChosen, rewardRejected, this.clock, this.at(3, 'diff'));
      be.logMetric(this.history, rewardChosen, rewardRejected, this.clock, this.at(4, 'greater'));
    });

    this.pairSampler = this.own(
      new Sampler(be, 2 * P, modelSteps(run, ref), abar, run.feat, PAIR_SAMPLER, run.cfg.seed, `${this.name}:pairs`),
    );
    this.policySampler = this.evalSampler(modelSteps(run, policy), 'eval_policy', true);
    this.referenceSampler = this.evalSampler(modelSteps(run, ref), 'eval_reference');
  }

  private reward(x: number, y: number): number {
    const a = (this.stage.reward.angle * Math.PI) / 180;
    return this.stage.reward.scale * (Math.cos(a) * x + Math.sin(a) * y);
  }

  /** Freeze the reference, sample pairs from it and label them (Bradley-Terry on the hidden reward). */
  protected async start(): Promise<void> {
    const be = this.run.be;
    const policy = this.run.teacher;
    this.reference.copyFrom(policy);
    policy.arena.resetMoments();
    this.pairSampler.run();
    const xs = (await be.read(this.pairSampler.x)) as Float32Array;
    const P = this.stage.pairs;
    const chosen = new Float32Array(P * 2);
    const rejected = new Float32Array(P * 2);
    const rng = new Philox(this.run.cfg.seed, STREAM.points2dLabels, this.index);
    for (let i = 0; i < P; i++) {
      const [ax, ay, bx, by] = [xs[2 * i], xs[2 * i + 1], xs[2 * (P + i)], xs[2 * (P + i) + 1]];
      const pA = 1 / (1 + Math.exp(this.reward(bx, by) - this.reward(ax, ay)));
      const aWins = rng.uniform() < pA;
      chosen.set(aWins ? [ax, ay] : [bx, by], 2 * i);
      rejected.set(aWins ? [bx, by] : [ax, ay], 2 * i);
    }
    be.write(this.chosen, chosen);
    be.write(this.rejected, rejected);
  }

  protected async periodMetrics(): Promise<MetricValues> {
    const p = await this.draw(this.policySampler);
    const r = await this.draw(this.referenceSampler);
    const { angle, scale } = this.stage.reward;
    const ps = pointStats(p.samples, angle, scale);
    return {
      ...diversity(p, r),
      'samples/mean_x': ps.meanX,
      'samples/mean_y': ps.meanY,
      'reward/true': ps.reward,
    };
  }

  async snapshot(): Promise<Points2dSnapshot> {
    await this.ensureStarted();
    const p = await this.draw(this.policySampler);
    const snap = await this.baseSnapshot(
      await this.draw(this.referenceSampler),
      this.policySampler,
      this.run.teacher.name,
    );
    return {
      ...snap,
      student: p.samples,
      shares: { ...snap.shares, student: Float32Array.from(p.shares) },
      covered: { ...snap.covered, student: p.covered },
      reward: { angle: this.stage.reward.angle, scale: this.stage.reward.scale },
    };
  }
}
