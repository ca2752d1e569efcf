// DDPM training of the teacher denoiser.

import type { DiffusionStage } from '../../config';
import type { Points2dSnapshot } from '../../stage';
import { Noiser, type Sampler, Workspace } from '../../models/denoiser';
import { STAGE_OFFSET } from '../../streams';
import { diversity, modelSteps, Points2dStageRunner, type Points2dRun } from './base';
import type { MetricValues } from '../../metrics';

/** DDPM training of the teacher: eps-prediction MSE at timesteps spread evenly over [0, T). */
export class DiffusionStageRunner extends Points2dStageRunner {
  private readonly sampler: Sampler;

  constructor(
    run: Points2dRun,
    private readonly stage: DiffusionStage,
    index: number,
  ) {
    super(run, stage, index, ['loss']);
    const { be, w, teacher } = run;
    const B = stage.batch;
    const noiser = this.own(new Noiser(be, Noiser.spread(B, 0, w.timesteps - 1), run.abar, `${this.name}:noiser`));
    const ws = this.own(new Workspace(be, teacher, B, `${this.name}:teacher`));
    const pick = this.tensor([B], 'pick', 'i32');
    const x0 = this.tensor([B, 2], 'x0');
    const eps = this.tensor([B, 2], 'eps');
    const xt = this.tensor([B, 2], 'xt');
    const pred = this.tensor([B, 2], 'pred');
    const dpred = this.tensor([B, 2], 'd_pred');
    const loss = this.tensor([1], 'loss');
    const { seedLo, seedHi } = this;
    this.sampler = this.evalSampler(modelSteps(run, teacher), 'eval', true);
    this.program = be.record(`${this.name}:step`, () => {
      be.tick(this.clock);
      this.drawData(x0, pick);
      be.random(eps, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STAGE_OFFSET.noise) });
      noiser.noise(xt, x0, eps);
      ws.forward(pred, xt, noiser.t, run.feat);
      be.fill(dpred, 0);
      be.mse(loss, dpred, pred, eps);
      teacher.arena.zeroGrad();
      ws.backward(dpred, xt);
      teacher.arena.step(this.clock, stage.optimizer);
      be.logMetric(this.history, loss, null, this.clock, this.at(0));
    });
  }

  protected start(): Promise<void> {
    this.run.teacher.arena.resetMoments();
    return Promise.resolve();
  }

  protected async periodMetrics(): Promise<MetricValues> {
    const t = await this.draw(this.sampler);
    return diversity(t);
  }

  async snapshot(): Promise<Points2dSnapshot> {
    await this.ensureStarted();
    return this.baseSnapshot(await this.draw(this.sampler), this.sampler, this.run.teacher.name);
  }
}
