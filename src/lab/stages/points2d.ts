// Points2d runs: DDPM training of a teacher denoiser, DMD distillation into a one-step generator with hybrid
// inference, and Diffusion-DPO against the frozen teacher. Each step is recorded once and replayed on the device;
// samples for the diversity metrics are drawn on the device and measured on the host at each read-back.

import type { Backend, Program, Tensor } from '../../engine/backend';
import { Philox, seedWords } from '../../engine/rng';
import type {
  DiffusionDpoStage,
  DiffusionStage,
  DmdStage,
  ExperimentConfig,
  Points2dWorld,
  ProgressiveStage,
} from '../config';
import type { Points2dSnapshot, Run, StageRunner } from '../experiment';
import { historyRows, type MetricRow } from '../metrics';
import { Denoiser, Noiser, Sampler, Workspace, type SamplerStep } from '../models/denoiser';
import { modelStream, stageStream, STREAM } from '../streams';
import {
  alphaBars,
  energyDistance,
  entropyEstimate,
  makePoints2d,
  modeShares,
  modesCovered,
  pointStats,
  samplerTimesteps,
  timeFeatures,
  type Points2dData,
} from '../worlds/points2d';

/** Points of the data set shown and compared against (the first evalSamples of the training set). */
const TRAJECTORY_POINTS = 256;
/** Sampler ids: evaluation samplers share id 0 (same x_T for teacher, student and hybrid); pairs use id 1. */
const EVAL_SAMPLER = 0;
const PAIR_SAMPLER = 1;

/** What every stage of a points2d run shares: the world, the schedule and the teacher denoiser. */
interface Points2dRun {
  be: Backend;
  cfg: ExperimentConfig;
  w: Points2dWorld;
  d: Points2dData;
  abar: Float64Array;
  /** [T, E] time features. */
  feat: Tensor;
  /** Training set [N, 2]. */
  data: Tensor;
  /** The data points metrics compare with [evalSamples, 2]. */
  reference: Float32Array;
  teacher: Denoiser;
}

/** The world sampler's steps with one model. */
function modelSteps(run: Points2dRun, model: Denoiser): SamplerStep[] {
  return samplerTimesteps(run.w.timesteps, run.w.samplerSteps).map((t) => ({ model, t, kind: run.w.sampler }));
}

interface Measured {
  samples: Float32Array;
  shares: Float64Array;
  covered: number;
  energy: number;
}

function measure(run: Points2dRun, samples: Float32Array): Measured {
  const shares = modeShares(run.d, samples);
  return {
    samples,
    shares,
    covered: modesCovered(shares, run.d.dataShares, run.w.coverage),
    energy: energyDistance(samples, run.reference),
  };
}

/** The diversity metrics of a sampler's draw, and of the teacher's beside it when the stage has one. */
function diversity(model: Measured, teacher?: Measured): Record<string, number> {
  const m: Record<string, number> = {
    'diversity/modes_covered': model.covered,
    'diversity/energy_distance': model.energy,
    'diversity/entropy': entropyEstimate(model.samples),
  };
  if (teacher) {
    m['teacher/modes_covered'] = teacher.covered;
    m['teacher/energy_distance'] = teacher.energy;
    m['teacher/entropy'] = entropyEstimate(teacher.samples);
  }
  return m;
}

/** The step/period bookkeeping every points2d stage shares; subclasses record `program` and name their metrics. */
abstract class Points2dStageRunner implements StageRunner {
  readonly name: string;
  readonly steps: number;
  done = 0;
  protected readonly clock: Tensor;
  protected readonly history: Tensor;
  protected program!: Program;
  protected readonly tensors: Tensor[] = [];
  protected readonly owned: { release(): void }[] = [];
  /** Models of its own the stage trains (a DMD generator and its fake score, a progressive student). */
  readonly trained: Denoiser[] = [];
  protected readonly period: number;
  protected readonly seedLo: number;
  protected readonly seedHi: number;
  private emitted = 0;
  private started = false;

  constructor(
    protected readonly run: Points2dRun,
    stage: { name: string; steps: number },
    protected readonly index: number,
    private readonly stepMetrics: readonly string[],
  ) {
    this.name = stage.name;
    this.steps = stage.steps;
    this.period = run.cfg.metrics.every;
    [this.seedLo, this.seedHi] = seedWords(run.cfg.seed);
    this.clock = this.tensor([1], 'clock', 'u32');
    this.history = this.tensor([this.period, stepMetrics.length], 'history');
  }

  protected tensor(
    shape: number[],
    label: string,
    dtype: 'f32' | 'i32' | 'u32' = 'f32',
    data?: ArrayLike<number>,
  ): Tensor {
    const x = this.run.be.tensor(shape, { label: `${this.name}:${label}`, dtype, data });
    this.tensors.push(x);
    return x;
  }

  protected own<T extends { release(): void }>(x: T): T {
    this.owned.push(x);
    return x;
  }
  /**
   * An evaluation sampler the stage owns: evalSamples draws from the x_T every model shares (EVAL_SAMPLER), with its
   * trajectory recorded when the stage's view shows it.
   */
  protected evalSampler(steps: readonly SamplerStep[], label: string, traced = false): Sampler {
    const { be, w, abar, feat, cfg } = this.run;
    const record = traced ? TRAJECTORY_POINTS : 0;
    return this.own(
      new Sampler(be, w.evalSamples, steps, abar, feat, EVAL_SAMPLER, cfg.seed, `${this.name}:${label}`, record),
    );
  }

  protected at(slot: number, mode: 'mean' | 'diff' | 'greater' = 'mean') {
    return { mode, slot, M: this.stepMetrics.length, rows: this.period };
  }

  protected stream(offset: number): number {
    return stageStream(this.index, offset);
  }

  /** Work before the first step (fresh optimizer moments, copies of models, offline data). */
  protected abstract start(): Promise<void>;
  protected abstract periodMetrics(): Promise<Record<string, number>>;
  abstract snapshot(): Promise<Points2dSnapshot>;

  /** Run `start` once: before the first step, or before a snapshot of a stage that has not stepped yet. */
  protected async ensureStarted(): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.start();
    }
  }

  async advance(n: number): Promise<MetricRow[]> {
    const be = this.run.be;
    await this.ensureStarted();
    this.runSteps(n);
    this.done += n;
    if (this.done % this.period !== 0 && this.done !== this.steps) {
      be.flush();
      return [];
    }
    const history = await be.read(this.history);
    const rows = historyRows(this.name, this.stepMetrics, history, this.period, this.emitted, this.done);
    this.emitted = this.done;
    Object.assign(rows[rows.length - 1], await this.periodMetrics());
    return rows;
  }

  /** Replay the step n times (from step `done`). */
  protected runSteps(n: number): void {
    this.run.be.run(this.program, n);
  }

  protected async draw(sampler: Sampler): Promise<Measured> {
    sampler.run();
    return measure(this.run, Float32Array.from((await this.run.be.read(sampler.x)) as Float32Array));
  }

  /** The snapshot fields every stage fills, from its measured samplers. */
  protected async baseSnapshot(teacher: Measured, traced: Sampler, tracedModel: string): Promise<Points2dSnapshot> {
    const { be, d } = this.run;
    const traj = traced.trajectory!;
    const m = Math.min(TRAJECTORY_POINTS, traced.n);
    const S = traj.x0.length;
    const x = new Float32Array((S + 1) * m * 2);
    const x0 = new Float32Array(S * m * 2);
    for (let i = 0; i <= S; i++) x.set((await be.read(traj.x[i])) as Float32Array, i * m * 2);
    for (let i = 0; i < S; i++) x0.set((await be.read(traj.x0[i])) as Float32Array, i * m * 2);
    return {
      kind: 'points2d',
      stage: this.name,
      // Copies: the worker transfers a snapshot's buffers, which would detach the run's own arrays.
      data: this.run.reference.slice(),
      teacher: teacher.samples,
      centers: d.centers.slice(),
      modeNames: d.modeNames,
      shares: { data: Float32Array.from(d.dataShares), teacher: Float32Array.from(teacher.shares) },
      covered: { teacher: teacher.covered },
      trajectory: { model: tracedModel, points: m, steps: S, t: Int32Array.from(traced.timesteps), x, x0 },
    };
  }

  release(): void {
    for (const x of this.tensors) this.run.be.release(x);
    for (const o of this.owned) o.release();
  }
}

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
      be.random(pick, this.clock, { kind: 'index', n: run.d.N, seedLo, seedHi, stream: this.stream(STREAM.batch) });
      be.embeddingForward(x0, run.data, pick, 2);
      be.random(eps, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STREAM.noise) });
      noiser.noise(xt, x0, eps);
      ws.forward(pred, xt, noiser.t, run.feat);
      be.fill(dpred, 0);
      be.mse(loss, dpred, pred, eps);
      be.fill(teacher.arena.grads, 0);
      ws.backward(dpred, xt);
      be.adamw(
        teacher.arena.params,
        teacher.arena.m,
        teacher.arena.v,
        teacher.arena.grads,
        this.clock,
        stage.optimizer,
      );
      be.logMetric(this.history, loss, null, this.clock, this.at(0));
    });
  }

  protected start(): Promise<void> {
    this.run.be.fill(this.run.teacher.arena.m, 0);
    this.run.be.fill(this.run.teacher.arena.v, 0);
    return Promise.resolve();
  }

  protected async periodMetrics(): Promise<Record<string, number>> {
    const t = await this.draw(this.sampler);
    return diversity(t);
  }

  async snapshot(): Promise<Points2dSnapshot> {
    await this.ensureStarted();
    return this.baseSnapshot(await this.draw(this.sampler), this.sampler, this.run.teacher.name);
  }
}

/**
 * Distribution matching distillation (Yin et al. 2024) into a one-step generator G (a denoiser used once at
 * t = T-1, initialized from the teacher): its samples x_0 are noised to x_t and moved along the difference of the
 * fake-score and teacher x_0 predictions (the gradient of KL(p_G || p_data), reverse KL: mode-seeking); the
 * fake-score denoiser (also from the teacher) learns G's current samples by the usual diffusion loss.
 */
export class DmdStageRunner extends Points2dStageRunner {
  readonly student: Denoiser;
  private readonly fake: Denoiser;
  private readonly teacherSampler: Sampler;
  private readonly studentSampler: Sampler;
  private readonly hybridSampler: Sampler;

  constructor(
    run: Points2dRun,
    private readonly stage: DmdStage,
    index: number,
  ) {
    super(run, stage, index, ['loss/fake_score', 'dmd/gap']);
    const { be, w, teacher, abar } = run;
    const B = stage.batch;
    const T = w.timesteps;
    this.student = this.own(new Denoiser(be, `${this.name}-student`, w, run.cfg.seed, modelStream(1)));
    this.fake = this.own(new Denoiser(be, `${this.name}-fake`, w, run.cfg.seed, modelStream(2)));
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

    this.program = be.record(`${this.name}:step`, () => {
      be.tick(this.clock);
      // Generator: x_0 = (x_t - sqrt(1 - ab_t) eps_G(x_t, t)) / sqrt(ab_t) per row.
      be.random(pick, this.clock, { kind: 'index', n: run.d.N, seedLo, seedHi, stream: this.stream(STREAM.batch) });
      be.embeddingForward(data, run.data, pick, 2);
      be.random(z, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STREAM.sample) });
      gen.noise(xin, data, z);
      wsG.forward(epsG, xin, gen.t, run.feat);
      gen.scale(x0, inv, xin);
      gen.scale(x0, ratio, epsG, true);
      be.random(e, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STREAM.noise) });
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
      be.fill(G.arena.grads, 0);
      wsG.backward(dEpsG, xin);
      be.adamw(G.arena.params, G.arena.m, G.arena.v, G.arena.grads, this.clock, stage.optimizer);
      // Fake score: the diffusion loss on the generator's (detached) samples.
      be.random(e3, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STREAM.fakeNoise) });
      noiser.noise(xt3, x0, e3);
      wsF.forward(pred3, xt3, noiser.t, run.feat);
      be.fill(dpred3, 0);
      be.mse(lossFake, dpred3, pred3, e3);
      be.fill(F.arena.grads, 0);
      wsF.backward(dpred3, xt3);
      be.adamw(F.arena.params, F.arena.m, F.arena.v, F.arena.grads, this.clock, {
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

  private handoverT(): number {
    return Math.max(0, Math.min(this.run.w.timesteps - 2, Math.round(this.stage.handover * this.run.w.timesteps)));
  }

  protected start(): Promise<void> {
    const be = this.run.be;
    for (const m of [this.student, this.fake]) {
      m.copyFrom(this.run.teacher);
      be.fill(m.arena.m, 0);
      be.fill(m.arena.v, 0);
    }
    return Promise.resolve();
  }

  protected async periodMetrics(): Promise<Record<string, number>> {
    const s = await this.draw(this.studentSampler);
    const t = await this.draw(this.teacherSampler);
    const h = await this.draw(this.hybridSampler);
    return {
      ...diversity(s, t),
      'hybrid/modes_covered': h.covered,
      'hybrid/energy_distance': h.energy,
      'hybrid/entropy': entropyEstimate(h.samples),
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
    this.student = this.own(new Denoiser(be, `${this.name}-student`, w, run.cfg.seed, modelStream(4)));
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
          be.random(pick, this.clock, { kind: 'index', n: run.d.N, seedLo, seedHi, stream: this.stream(STREAM.batch) });
          be.embeddingForward(x0, run.data, pick, 2);
          be.random(e, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STREAM.noise) });
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
          be.fill(S.arena.grads, 0);
          wsS.backward(dpred, xt);
          be.adamw(S.arena.params, S.arena.m, S.arena.v, S.arena.grads, this.clock, stage.optimizer);
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
    const be = this.run.be;
    this.student.copyFrom(this.run.teacher);
    this.frozen.copyFrom(this.run.teacher);
    be.fill(this.student.arena.m, 0);
    be.fill(this.student.arena.v, 0);
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

  protected async periodMetrics(): Promise<Record<string, number>> {
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
      be.random(pick, this.clock, { kind: 'index', n: P, seedLo, seedHi, stream: this.stream(STREAM.batch) });
      be.embeddingForward(c, this.chosen, pick, 2);
      be.embeddingForward(r, this.rejected, pick, 2);
      be.random(e, this.clock, { kind: 'normal', seedLo, seedHi, stream: this.stream(STREAM.noise) });
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
      be.fill(policy.arena.grads, 0);
      wsC.backward(dpc, xc);
      wsR.backward(dpr, xr);
      be.adamw(policy.arena.params, policy.arena.m, policy.arena.v, policy.arena.grads, this.clock, stage.optimizer);
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
    be.fill(policy.arena.m, 0);
    be.fill(policy.arena.v, 0);
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

  protected async periodMetrics(): Promise<Record<string, number>> {
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

/** A points2d run: the data and teacher built once; stages train the teacher, distill it, or tune it in turn. */
export function buildPoints2dRun(be: Backend, cfg: ExperimentConfig): Run {
  if (cfg.world.kind !== 'points2d') throw new Error(`a points2d run needs a points2d world, not ${cfg.world.kind}`);
  const w = cfg.world;
  const d = makePoints2d(w, cfg.seed);
  const n = Math.min(w.evalSamples, d.N);
  const run: Points2dRun = {
    be,
    cfg,
    w,
    d,
    abar: alphaBars(w),
    feat: be.tensor([w.timesteps, w.embed], {
      label: 'points2d:time_features',
      data: timeFeatures(w.timesteps, w.embed),
    }),
    data: be.tensor([d.N, 2], { label: 'points2d:data', data: d.data }),
    reference: d.data.slice(0, 2 * n),
    teacher: new Denoiser(be, 'teacher', w, cfg.seed, modelStream(0)),
  };
  const stages = cfg.stages.map((s, i) => {
    switch (s.kind) {
      case 'diffusion':
        return new DiffusionStageRunner(run, s, i);
      case 'dmd':
        return new DmdStageRunner(run, s, i);
      case 'diffusion_dpo':
        return new DiffusionDpoStageRunner(run, s, i);
      case 'progressive':
        return new ProgressiveStageRunner(run, s, i);
      default:
        throw new Error(`a points2d run cannot run a ${s.kind} stage`);
    }
  });
  return {
    stages,
    async weights() {
      const out: Record<string, Float32Array> = {};
      for (const m of [run.teacher, ...stages.flatMap((s) => s.trained)]) out[m.name] = await m.arena.checkpoint();
      return out;
    },
    release() {
      for (const s of stages) s.release();
      run.teacher.release();
      be.release(run.feat);
      be.release(run.data);
    },
  };
}
