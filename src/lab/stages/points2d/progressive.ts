// Progressive distillation: the sampler steps halve every round.

import type { Program } from '../../../engine/backend';
import type { ProgressiveStage } from '../../config';
import type { Points2dSnapshot } from '../../stage';
import { Denoiser, Noiser, type Sampler, Workspace, type SamplerStep } from '../../models/denoiser';
import { modelStream, STAGE_OFFSET } from '../../streams';
import { samplerTimesteps } from '../../worlds/points2d';
import { stageDenoisers } from '../../worlds/points2d-config';
import { diversity, modelSteps, Points2dStageRunner, type Points2dRun } from './base';
import type { MetricValues } from '../../metrics';

/** DDIM step coefficients from alpha-bar ab to ab_prev: x_prev = cx x + ce eps. */
function ddim(ab: number, abPrev: number): { cx: number; ce: number } {
  return { cx: Math.sqrt(abPrev / ab), ce: Math.sqrt(1 - abPrev) - Math.sqrt(abPrev) * Math.sqrt((1 - ab) / ab) };
}

/**
 * Progressive distillation (Salimans & Ho 2022): each round a student (initialized from the previous round's model)
 * learns to land in one DDIM step where two DDIM steps of the frozen previous model land, so the sampler steps halve
 * every round. The student regresses the noise that makes its single step hit the two-step target.
 */
export class ProgressiveStageRunner extends Points2dStageRunner {
  readonly student: Denoiser;
  private readonly frozen: Denoiser;
  private readonly programs: Program[] = [];
  private readonly samplers: Sampler[] = [];
  private readonly perRound: number;

  constructor(
    run: Points2dRun,
    private readonly stage: ProgressiveStage,
    index: number,
  ) {
    super(run, stage, index, ['loss']);
    const { be, w, abar } = run;
    const B = stage.batch;
    const T = w.timesteps;
    this.perRound = Math.ceil(stage.steps / stage.rounds);
    const [studentName] = stageDenoisers(stage);
    this.student = this.own(new Denoiser(be, studentName, w, run.cfg.seed, modelStream(4)));
    this.frozen = this.own(new Denoiser(be, `${this.name}-frozen`, w, run.cfg.seed, modelStream(5)));
    this.trained.push(this.student);
    const S = this.student;
    const F = this.frozen;
    const wsS = this.own(new Workspace(be, S, B, `${this.name}:student`));
    const wsF = this.own(new Workspace(be, F, B, `${this.name}:frozen`));
    const pick = this.tensor([B], 'pick', 'i32');
    const x0 = this.tensor([B, 2], 'x0');
    const e = this.tensor([B, 2], 'eps');
    const xt = this.tensor([B, 2], 'xt');
    const eps1 = this.tensor([B, 2], 'eps1');
    const x1 = this.tensor([B, 2], 'x1');
    const eps2 = this.tensor([B, 2], 'eps2');
    const x2 = this.tensor([B, 2], 'x2');
    const target = this.tensor([B, 2], 'target');
    const pred = this.tensor([B, 2], 'pred');
    const dpred = this.tensor([B, 2], 'd_pred');
    const loss = this.tensor([1], 'loss');
    const { seedLo, seedHi } = this;
    for (let r = 0; r < stage.rounds; r++) {
      // The frozen model's grid of 2K steps; student step j spans its steps 2j and 2j + 1.
      const grid = samplerTimesteps(T, w.samplerSteps >> r);
      const K = grid.length / 2;
      const abAt = (i: number) => (i < grid.length ? abar[grid[i]] : 1);
      const j = Int32Array.from({ length: B }, (_, n) => n % K);
      const n0 = this.own(
        new Noiser(
          be,
          Int32Array.from(j, (jj) => grid[2 * jj]),
          abar,
          `${this.name}:r${r}:t0`,
        ),
      );
      const n1 = this.own(
        new Noiser(
          be,
          Int32Array.from(j, (jj) => grid[2 * jj + 1]),
          abar,
          `${this.name}:r${r}:t1`,
        ),
      );
      const step = (from: number, to: number) => (n: number) => ddim(abAt(2 * j[n] + from), abAt(2 * j[n] + to));
      const c1x = n0.diag('c1x', (_, n) => step(0, 1)(n).cx);
      const c1e = n0.diag('c1e', (_, n) => step(0, 1)(n).ce);
      const c2x = n0.diag('c2x', (_, n) => step(1, 2)(n).cx);
      const c2e = n0.diag('c2e', (_, n) => step(1, 2)(n).ce);
      // x2 = Cx xt + Ce eps*  =>  eps* = x2 / Ce - (Cx / Ce) xt, with one step from t0 to the end of the pair.
      const inv = n0.diag('inv_ce', (_, n) => 1 / step(0, 2)(n).ce);
      const ratio = n0.diag('ratio', (_, n) => -step(0, 2)(n).cx / step(0, 2)(n).ce);
      this.programs.push(
        be.record(`${this.name}:round${r}`, () => {
          be.tick(this.clock);
          this.drawData(x0, pick);
          be.random(e, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STAGE_OFFSET.noise) });
          n0.noise(xt, x0, e);
          wsF.forward(eps1, xt, n0.t, run.feat);
          n0.scale(x1, c1x, xt);
          n0.scale(x1, c1e, eps1, true);
          wsF.forward(eps2, x1, n1.t, run.feat);
          n0.scale(x2, c2x, x1);
          n0.scale(x2, c2e, eps2, true);
          n0.scale(target, inv, x2);
          n0.scale(target, ratio, xt, true);
          wsS.forward(pred, xt, n0.t, run.feat);
          be.fill(dpred, 0);
          be.mse(loss, dpred, pred, target);
          S.arena.zeroGrad();
          wsS.backward(dpred, xt);
          S.arena.step(this.clock, stage.optimizer);
          be.logMetric(this.history, loss, null, this.clock, this.at(0));
        }),
      );
      const steps: SamplerStep[] = Array.from({ length: K }, (_, i) => ({ model: S, t: grid[2 * i], kind: 'ddim' }));
      this.samplers.push(this.evalSampler(steps, `eval${r}`, true));
    }
    this.program = this.programs[0];
    this.teacherSampler = this.evalSampler(modelSteps(run, run.teacher), 'eval_teacher');
  }

  private readonly teacherSampler: Sampler;

  private round(step: number): number {
    return Math.min(this.stage.rounds - 1, Math.floor(step / this.perRound));
  }

  protected start(): Promise<void> {
    this.student.copyFrom(this.run.teacher);
    this.frozen.copyFrom(this.run.teacher);
    this.student.arena.resetMoments();
    return Promise.resolve();
  }

  /** Replays within a round; at a round boundary the student becomes the next round's frozen model. */
  protected override runSteps(n: number): void {
    let done = this.done;
    let left = n;
    while (left > 0) {
      const r = this.round(done);
      if (r > 0 && done === r * this.perRound) this.frozen.copyFrom(this.student);
      const k = Math.min(left, r === this.stage.rounds - 1 ? left : (r + 1) * this.perRound - done);
      this.run.be.run(this.programs[r], k);
      done += k;
      left -= k;
    }
  }

  private current(): Sampler {
    return this.samplers[this.round(Math.max(0, this.done - 1))];
  }

  protected async periodMetrics(): Promise<MetricValues> {
    const sampler = this.current();
    const s = await this.draw(sampler);
    const t = await this.draw(this.teacherSampler);
    return {
      ...diversity(s, t),
      'sampler/steps': sampler.timesteps.length,
    };
  }

  async snapshot(): Promise<Points2dSnapshot> {
    await this.ensureStarted();
    const sampler = this.current();
    const s = await this.draw(sampler);
    const snap = await this.baseSnapshot(await this.draw(this.teacherSampler), sampler, this.student.name);
    return {
      ...snap,
      student: s.samples,
      shares: { ...snap.shares, student: Float32Array.from(s.shares) },
      covered: { ...snap.covered, student: s.covered },
    };
  }
}
