// Distribution matching distillation of the teacher into a one-step generator, with hybrid inference.

import type { DmdStage } from '../../config';
import type { Tensor } from '../../../engine/backend';
import type { Points2dSnapshot } from '../../stage';
import { Denoiser, Noiser, Sampler, Workspace, type SamplerStep } from '../../models/denoiser';
import { modelStream, samplerStream, STAGE_OFFSET } from '../../streams';
import { REGRESSION_PAIRS, stageDenoisers } from '../../worlds/points2d-config';
import {
  diversity,
  modelSteps,
  REGRESSION_SAMPLER,
  sampleMetrics,
  Points2dStageRunner,
  type Points2dRun,
} from './base';
import type { MetricValues } from '../../metrics';

/**
 * Distribution matching distillation (Yin et al. 2024) into a one-step generator G (a denoiser used once at
 * t = T-1, initialized from the teacher): its samples x_0 are noised to x_t and moved along the difference of the
 * fake-score and teacher x_0 predictions (the gradient of KL(p_G || p_data), reverse KL: mode-seeking); the
 * fake-score denoiser (also from the teacher) learns G's current samples by the usual diffusion loss. With a
 * regression weight, DMD's regression term also pulls G's jump from a noise z toward the teacher's DDIM sample from
 * the same z, over a bank of pairs drawn at the stage start: it anchors G to the teacher's mapping, modes included.
 */
export class DmdStageRunner extends Points2dStageRunner {
  readonly student: Denoiser;
  private readonly fake: Denoiser;
  private readonly teacherSampler: Sampler;
  private readonly studentSampler: Sampler;
  private readonly hybridSampler: Sampler;
  /** The regression term's pairs: noises z [P, 2] and the teacher's DDIM samples from them (sampler.x). */
  private bank: { z: Tensor; clock: Tensor; sampler: Sampler } | null = null;

  constructor(
    run: Points2dRun,
    private readonly stage: DmdStage,
    index: number,
  ) {
    super(run, stage, index, [
      'loss/fake_score',
      'dmd/gap',
      ...(stage.regression > 0 ? ['loss/regression' as const] : []),
    ]);
    const { be, w, teacher, abar } = run;
    const B = stage.batch;
    const T = w.timesteps;
    const [studentName, fakeName] = stageDenoisers(stage);
    this.student = this.own(new Denoiser(be, studentName, w, run.cfg.seed, modelStream(1)));
    this.fake = this.own(new Denoiser(be, fakeName, w, run.cfg.seed, modelStream(2)));
    this.trained.push(this.student, this.fake);
    const G = this.student;
    const F = this.fake;
    // DMD's range of timesteps: the ends carry no signal (x_t ~ x_0, or x_t ~ pure noise).
    const noiser = this.own(
      new Noiser(be, Noiser.spread(B, Math.floor(0.02 * T), Math.ceil(0.98 * T) - 1), abar, `${this.name}:noiser`),
    );
    const weight = noiser.diag('weight', (ab) => Math.sqrt(1 - ab));
    // The generator jumps to x_0 from pure noise (t = T-1, half the rows) or from the handover timestep (the
    // other half); its inputs are forward-noised data, whose marginal at t is what the teacher hands over.
    const tH = this.handoverT();
    const gen = this.own(
      new Noiser(
        be,
        Int32Array.from({ length: B }, (_, n) => (n < B / 2 ? T - 1 : tH)),
        abar,
        `${this.name}:gen`,
      ),
    );
    const inv = gen.diag('inv_sqrt_ab', (ab) => 1 / Math.sqrt(ab));
    const ratio = gen.diag('ratio', (ab) => -Math.sqrt(1 - ab) / Math.sqrt(ab));
    const dRatio = gen.diag('d_ratio', (ab) => -Math.sqrt(1 - ab) / Math.sqrt(ab) / B);
    const wsG = this.own(new Workspace(be, G, B, `${this.name}:gen`));
    const wsT = this.own(new Workspace(be, teacher, B, `${this.name}:teacher`));
    const wsF = this.own(new Workspace(be, F, B, `${this.name}:fake`));
    const pick = this.tensor([B], 'pick', 'i32');
    const data = this.tensor([B, 2], 'data');
    const z = this.tensor([B, 2], 'z');
    const xin = this.tensor([B, 2], 'x_in');
    const epsG = this.tensor([B, 2], 'eps_gen');
    const dEpsG = this.tensor([B, 2], 'd_eps_gen');
    const x0 = this.tensor([B, 2], 'x0');
    const e = this.tensor([B, 2], 'eps');
    const xt = this.tensor([B, 2], 'xt');
    const real = this.tensor([B, 2], 'eps_real');
    const fakeEps = this.tensor([B, 2], 'eps_fake');
    const diff = this.tensor([B, 2], 'eps_diff');
    const gx0 = this.tensor([B, 2], 'd_x0');
    const e3 = this.tensor([B, 2], 'fake_eps_target');
    const xt3 = this.tensor([B, 2], 'fake_xt');
    const pred3 = this.tensor([B, 2], 'fake_pred');
    const dpred3 = this.tensor([B, 2], 'd_fake_pred');
    const lossFake = this.tensor([1], 'loss_fake');
    const gap = this.tensor([1], 'gap');
    const { seedLo, seedHi } = this;
    const regression = stage.regression > 0 ? this.regressionTerm() : null;

    this.program = be.record(`${this.name}:step`, () => {
      be.tick(this.clock);
      this.drawData(data, pick);
      // Generator: x_0 = (x_t - sqrt(1 - ab_t) eps_G(x_t, t)) / sqrt(ab_t) per row.
      be.random(z, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STAGE_OFFSET.sample) });
      gen.noise(xin, data, z);
      wsG.forward(epsG, xin, gen.t, run.feat);
      gen.scale(x0, inv, xin);
      gen.scale(x0, ratio, epsG, true);
      be.random(e, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STAGE_OFFSET.noise) });
      noiser.noise(xt, x0, e);
      wsT.forward(real, xt, noiser.t, run.feat);
      wsF.forward(fakeEps, xt, noiser.t, run.feat);
      // x0_fake - x0_real = sqrt(1 - ab) / sqrt(ab) (eps_real - eps_fake): the DMD gradient on x_0, weighted by
      // sqrt(ab) (bounded at high noise) to the eps difference times sqrt(1 - ab), per row.
      be.copy(diff, real);
      be.axpby(diff, fakeEps, -1, 1);
      noiser.scale(gx0, weight, diff);
      be.mse(gap, null, real, fakeEps);
      gen.scale(dEpsG, dRatio, gx0);
      G.arena.zeroGrad();
      wsG.backward(dEpsG, xin);
      regression?.();
      G.arena.step(this.clock, stage.optimizer);
      // Fake score: the diffusion loss on the generator's (detached) samples.
      be.random(e3, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STAGE_OFFSET.fakeNoise) });
      noiser.noise(xt3, x0, e3);
      wsF.forward(pred3, xt3, noiser.t, run.feat);
      be.fill(dpred3, 0);
      be.mse(lossFake, dpred3, pred3, e3);
      F.arena.zeroGrad();
      wsF.backward(dpred3, xt3);
      F.arena.step(this.clock, {
        ...stage.optimizer,
        lr: stage.fakeLr,
      });
      be.logMetric(this.history, lossFake, null, this.clock, this.at(0));
      be.logMetric(this.history, gap, null, this.clock, this.at(1));
    });

    const one: SamplerStep = { model: G, t: T - 1, kind: 'ddim' };
    this.teacherSampler = this.evalSampler(modelSteps(run, teacher), 'eval_teacher');
    this.studentSampler = this.evalSampler([one], 'eval_student');
    // Hybrid: k teacher steps from T-1 down to the handover timestep, then the student's jump to x_0.
    const hybrid: SamplerStep[] = [
      ...Array.from({ length: stage.hybrid }, (_, i) => ({
        model: teacher,
        t: T - 1 - Math.round((i * (T - 1 - tH)) / stage.hybrid),
        kind: w.sampler,
      })),
      { model: G, t: tH, kind: 'ddim' },
    ];
    this.hybridSampler = this.evalSampler(hybrid, 'eval_hybrid', true);
  }

  /**
   * DMD's regression term, recorded inside the step after G's backward: R = B / 2 pairs a step (as many as the
   * generator's jumps from pure noise), each a noise z taken as x_{T-1} (as the student sampler does) and the
   * teacher's DDIM sample from it; the squared distance's gradient (times the weight) accumulates into G's.
   */
  private regressionTerm(): () => void {
    const { run, stage, student: G, seedLo, seedHi } = this;
    const { be, abar, teacher } = run;
    const T = run.w.timesteps;
    const R = Math.max(1, Math.floor(stage.batch / 2));
    const P = REGRESSION_PAIRS;
    const z = this.tensor([P, 2], 'bank_z'); // [P, 2]
    const clock = this.tensor([1], 'bank_clock', 'u32');
    const ddim = modelSteps(run, teacher).map((s) => ({ ...s, kind: 'ddim' as const }));
    const sampler = this.own(
      new Sampler(be, P, ddim, abar, run.feat, REGRESSION_SAMPLER, run.cfg.seed, `${this.name}:bank`),
    );
    this.bank = { z, clock, sampler };
    const jump = this.own(new Noiser(be, new Int32Array(R).fill(T - 1), abar, `${this.name}:regression`));
    const inv = jump.diag('inv_sqrt_ab', (ab) => 1 / Math.sqrt(ab));
    const ratio = jump.diag('ratio', (ab) => -Math.sqrt(1 - ab) / Math.sqrt(ab));
    const ws = this.own(new Workspace(be, G, R, `${this.name}:regression`));
    const pick = this.tensor([R], 'regression_pick', 'i32'); // [R]
    const zR = this.tensor([R, 2], 'regression_z'); // [R, 2]
    const target = this.tensor([R, 2], 'regression_target'); // [R, 2]
    const eps = this.tensor([R, 2], 'regression_eps'); // [R, 2]
    const x0 = this.tensor([R, 2], 'regression_x0'); // [R, 2]
    const dx0 = this.tensor([R, 2], 'd_regression_x0'); // [R, 2]
    const dEps = this.tensor([R, 2], 'd_regression_eps'); // [R, 2]
    const loss = this.tensor([1], 'loss_regression');
    const stream = this.stream(STAGE_OFFSET.regression);
    return () => {
      be.random(pick, this.clock, { kind: 'index', n: P, seedLo, seedHi, stream });
      be.embeddingForward(zR, z, pick, 2);
      be.embeddingForward(target, sampler.x, pick, 2);
      // x_0 = (z - sqrt(1 - ab) eps_G(z, T-1)) / sqrt(ab), as the student sampler's one step.
      ws.forward(eps, zR, jump.t, run.feat);
      jump.scale(x0, inv, zR);
      jump.scale(x0, ratio, eps, true);
      be.fill(dx0, 0);
      be.mse(loss, dx0, x0, target, stage.regression);
      jump.scale(dEps, ratio, dx0);
      ws.backward(dEps, zR);
      be.logMetric(this.history, loss, null, this.clock, this.at(2));
    };
  }

  private handoverT(): number {
    return Math.max(0, Math.min(this.run.w.timesteps - 2, Math.round(this.stage.handover * this.run.w.timesteps)));
  }

  protected start(): Promise<void> {
    for (const m of [this.student, this.fake]) {
      m.copyFrom(this.run.teacher);
      m.arena.resetMoments();
    }
    if (this.bank) {
      // The teacher's DDIM samples, and the noises they start from: the sampler's own x_T stream at its clock 0.
      const { z, clock, sampler } = this.bank;
      const { seedLo, seedHi } = this;
      this.run.be.random(z, clock, { kind: 'normal', seedLo, seedHi, stream: samplerStream(REGRESSION_SAMPLER, 0) });
      sampler.run();
    }
    return Promise.resolve();
  }

  protected async periodMetrics(): Promise<MetricValues> {
    const s = await this.draw(this.studentSampler);
    const t = await this.draw(this.teacherSampler);
    const h = await this.draw(this.hybridSampler);
    return {
      ...diversity(s, t),
      ...sampleMetrics('hybrid/', h),
    };
  }

  async snapshot(): Promise<Points2dSnapshot> {
    await this.ensureStarted();
    const s = await this.draw(this.studentSampler);
    const h = await this.draw(this.hybridSampler);
    const snap = await this.baseSnapshot(await this.draw(this.teacherSampler), this.hybridSampler, 'hybrid');
    return {
      ...snap,
      student: s.samples,
      hybrid: h.samples,
      shares: { ...snap.shares, student: Float32Array.from(s.shares), hybrid: Float32Array.from(h.shares) },
      covered: { ...snap.covered, student: s.covered, hybrid: h.covered },
    };
  }
}
