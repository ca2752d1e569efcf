// The points2d denoiser: an MLP on (x_t, sinusoidal features of t) predicting the noise epsilon, its per-row
// workspaces, the diagonal noising of a batch at per-row timesteps, and DDPM / DDIM samplers, all on the device.

import type { ActivationKind, Backend, Program, Tensor } from '../../engine/backend';
import { Philox, seedWords } from '../../engine/rng';
import { ParamArena } from '../arena';
import { samplerStream } from '../streams';
import {
  mlpActs,
  mlpBackward,
  mlpForward,
  mlpParamCount,
  mlpParams,
  mlpTensors,
  type Linear,
  type MlpActs,
  type MlpShape,
} from './mlp';

/** The architecture fields of a points2d world: every denoiser of its run has them. */
export interface DenoiserArch {
  width: number;
  depth: number;
  embed: number;
  activation: ActivationKind;
}

/** The MLP after the first layer: [width] x (depth - 1) -> 2. */
export function denoiserBody(a: DenoiserArch): MlpShape {
  return { IN: a.width, OUT: 2, width: a.width, depth: a.depth - 1, activation: a.activation };
}

/** Parameters of a denoiser: the first layer's two weight halves and bias, then its body. */
export function denoiserParamCount(a: DenoiserArch): number {
  return (2 + a.embed + 1) * a.width + mlpParamCount(denoiserBody(a));
}

/**
 * First layer h = act(x W_x + feat(t) W_t + b) split in two products (no concat op needed), then an MLP
 * [width] x (depth - 1) -> 2.
 */
export class Denoiser {
  readonly arena: ParamArena;
  readonly H: number;
  readonly E: number;
  readonly body: MlpShape;

  constructor(
    private readonly be: Backend,
    readonly name: string,
    readonly w: DenoiserArch,
    seed: number,
    stream: number,
  ) {
    this.H = w.width;
    this.E = w.embed;
    this.body = denoiserBody(w);
    const rng = new Philox(seed, stream);
    const normal = (n: number, fanIn: number) =>
      Float32Array.from({ length: n }, () => rng.normal() / Math.sqrt(fanIn));
    // The two halves of the first layer share the fan-in of the concatenated input.
    const fanIn = 2 + this.E;
    this.arena = new ParamArena(
      be,
      [
        { name: 'in.wx', shape: [2, this.H], init: normal(2 * this.H, fanIn) },
        { name: 'in.wt', shape: [this.E, this.H], init: normal(this.E * this.H, fanIn) },
        { name: 'in.b', shape: [this.H], init: new Float32Array(this.H) },
        ...mlpParams('body.', this.body, rng, 1),
      ],
      name,
    );
  }

  /** This model's weights take the values of another of the same shape (a frozen copy, a student's init). */
  copyFrom(other: Denoiser): void {
    this.be.copy(this.arena.params, other.arena.params);
  }

  release(): void {
    this.arena.release();
  }
}

/** Per-row activations (and their gradients) of one use of a denoiser on N rows. */
export class Workspace {
  readonly temb: Tensor; // [N, E]
  readonly pre: Tensor; // [N, H]
  readonly tmp: Tensor; // [N, H]
  readonly h: Tensor; // [N, H]
  readonly acts: MlpActs;
  readonly dpre: Tensor; // [N, H]
  readonly dh: Tensor; // [N, H]
  readonly dacts: MlpActs;
  private readonly all: Tensor[];

  constructor(
    private readonly be: Backend,
    readonly m: Denoiser,
    readonly N: number,
    label: string,
  ) {
    const t = (shape: number[], name: string) => be.tensor(shape, { label: `${label}:${name}` });
    this.temb = t([N, m.E], 'temb');
    this.pre = t([N, m.H], 'pre');
    this.tmp = t([N, m.H], 'tmp');
    this.h = t([N, m.H], 'h');
    this.dpre = t([N, m.H], 'd_pre');
    this.dh = t([N, m.H], 'd_h');
    this.acts = mlpActs(be, m.body, N, `${label}:body`);
    this.dacts = mlpActs(be, m.body, N, `${label}:d_body`);
    this.all = [
      this.temb,
      this.pre,
      this.tmp,
      this.h,
      this.dpre,
      this.dh,
      ...this.acts.pre,
      ...this.acts.post,
      ...this.dacts.pre,
      ...this.dacts.post,
    ];
  }

  private weights(get: (name: string) => Tensor): { wx: Tensor; wt: Tensor; b: Tensor; body: Linear[] } {
    return { wx: get('in.wx'), wt: get('in.wt'), b: get('in.b'), body: mlpTensors('body.', this.m.body, get) };
  }

  /** eps[N, 2] = denoiser(x[N, 2], t[N] (i32 timestep ids)); feat is the [T, E] table of time features. */
  forward(eps: Tensor, x: Tensor, t: Tensor, feat: Tensor): void {
    const { be, m, N } = this;
    const W = this.weights((n) => m.arena.param(n));
    be.embeddingForward(this.temb, feat, t, m.E); // [N, E]
    be.linearForward(this.pre, x, W.wx, W.b, { N, IN: 2, OUT: m.H });
    be.linearForward(this.tmp, this.temb, W.wt, null, { N, IN: m.E, OUT: m.H });
    be.axpby(this.pre, this.tmp, 1, 1);
    be.activationForward(this.h, this.pre, m.body.activation);
    mlpForward(be, eps, this.h, W.body, this.acts, m.body, N);
  }

  /** Accumulates the parameter gradients from deps[N, 2] (after `forward` on the same rows). */
  backward(deps: Tensor, x: Tensor): void {
    const { be, m, N } = this;
    const W = this.weights((n) => m.arena.param(n));
    const G = this.weights((n) => m.arena.grad(n));
    for (const d of [this.dpre, this.dh, ...this.dacts.pre, ...this.dacts.post]) be.fill(d, 0);
    mlpBackward(be, this.dh, G.body, deps, this.h, W.body, this.acts, this.dacts, m.body, N);
    be.activationBackward(this.dpre, this.dh, this.pre, m.body.activation);
    be.linearBackward(null, G.wx, G.b, this.dpre, x, W.wx, { N, IN: 2, OUT: m.H });
    be.linearBackward(null, G.wt, null, this.dpre, this.temb, W.wt, { N, IN: m.E, OUT: m.H });
  }

  release(): void {
    for (const x of this.all) this.be.release(x);
  }
}

/**
 * Per-row coefficients of a batch of B rows at fixed per-row timesteps, as [B, B] diagonal matrices (the engine
 * scales rows only through matmul): x_t = diag(sqrt(ab)) x_0 + diag(sqrt(1 - ab)) eps, and any other per-row factor.
 */
export class Noiser {
  readonly B: number;
  readonly t: Tensor; // [B] i32
  readonly a: Tensor; // [B, B]
  readonly s: Tensor; // [B, B]
  private readonly all: Tensor[] = [];

  constructor(
    private readonly be: Backend,
    private readonly ts: Int32Array,
    private readonly abar: Float64Array,
    private readonly label: string,
  ) {
    this.B = ts.length;
    this.t = be.tensor([this.B], { dtype: 'i32', label: `${label}:t`, data: ts });
    this.all.push(this.t);
    this.a = this.diag('sqrt_ab', (ab) => Math.sqrt(ab));
    this.s = this.diag('sqrt_1mab', (ab) => Math.sqrt(1 - ab));
  }

  /** Timesteps spread evenly over [lo, hi] (stratified: every step trains every timestep equally). */
  static spread(B: number, lo: number, hi: number): Int32Array {
    return Int32Array.from({ length: B }, (_, n) => lo + Math.floor(((n + 0.5) * (hi - lo + 1)) / B));
  }

  /** diag(f(ab_t, n)) [B, B] over the rows' timesteps (n: the row). */
  diag(name: string, f: (ab: number, n: number) => number): Tensor {
    const B = this.B;
    const d = new Float32Array(B * B);
    this.ts.forEach((t, n) => (d[n * B + n] = f(this.abar[t], n)));
    const x = this.be.tensor([B, B], { label: `${this.label}:${name}`, data: d });
    this.all.push(x);
    return x;
  }

  /** y[B, 2] = D x (+ y when accumulating) for a diagonal D of this noiser. */
  scale(y: Tensor, D: Tensor, x: Tensor, accumulate = false): void {
    this.be.matmul(y, D, x, { M: this.B, K: this.B, N: 2, accumulate });
  }

  /** xt[B, 2] = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, per row. */
  noise(xt: Tensor, x0: Tensor, eps: Tensor): void {
    this.scale(xt, this.a, x0);
    this.scale(xt, this.s, eps, true);
  }

  release(): void {
    for (const x of this.all) this.be.release(x);
  }
}

export type SamplerKind = 'ddpm' | 'ddim';

/** One denoising step of a sampler: the model used at timestep t, jumping to the alpha-bar of the next one. */
export interface SamplerStep {
  model: Denoiser;
  t: number;
  kind: SamplerKind;
}

/** Per-step record of a trajectory, for the UI timeline. */
export interface TrajectoryRecord {
  /** x_t before each step, then the final sample: [S + 1] tensors [m, 2]. */
  x: Tensor[];
  /** The predicted x_0 at each step: [S] tensors [m, 2]. */
  x0: Tensor[];
}

/**
 * Draws n samples with a fixed list of steps (teacher, student, or a hybrid of both): x_T ~ N(0, I), then
 * DDIM (eta = 0) or DDPM ancestral steps on the respaced schedule. All noise comes from Philox streams of `id`
 * with no clock, so every evaluation starts from the same x_T: curves over training compare like with like.
 */
export class Sampler {
  readonly x: Tensor; // [n, 2] the samples after `run`
  readonly trajectory: TrajectoryRecord | null;
  /** The timestep of each step. */
  readonly timesteps: number[];
  private readonly program: Program;
  private readonly tensors: Tensor[] = [];
  private readonly workspaces = new Map<Denoiser, Workspace>();

  constructor(
    private readonly be: Backend,
    readonly n: number,
    steps: readonly SamplerStep[],
    abar: Float64Array,
    feat: Tensor,
    id: number,
    seed: number,
    label: string,
    /** Record x_t and the predicted x_0 of the first m rows at every step. */
    record = 0,
  ) {
    const [seedLo, seedHi] = seedWords(seed);
    this.timesteps = steps.map((s) => s.t);
    const t = (shape: number[], name: string, dtype: 'f32' | 'i32' = 'f32', data?: ArrayLike<number>) => {
      const x = be.tensor(shape, { label: `${label}:${name}`, dtype, data });
      this.tensors.push(x);
      return x;
    };
    this.x = t([n, 2], 'x');
    const eps = t([n, 2], 'eps');
    const z = t([n, 2], 'z');
    // A clock that stays 0: every run of the sampler draws the same noise.
    const clock = be.tensor([1], { dtype: 'u32', label: `${label}:clock` });
    this.tensors.push(clock);
    const tIds = new Map<number, Tensor>();
    for (const s of steps) if (!tIds.has(s.t)) tIds.set(s.t, t([n], `t${s.t}`, 'i32', new Int32Array(n).fill(s.t)));
    for (const s of steps)
      if (!this.workspaces.has(s.model))
        this.workspaces.set(s.model, new Workspace(be, s.model, n, `${label}:${s.model.name}`));
    const m0 = Math.min(record, n);
    this.trajectory =
      m0 > 0
        ? {
            x: steps.map((_, i) => t([m0, 2], `traj_x${i}`)).concat(t([m0, 2], 'traj_x_final')),
            x0: steps.map((_, i) => t([m0, 2], `traj_x0_${i}`)),
          }
        : null;
    const head = m0 > 0 ? be.view(this.x, 0, [m0, 2]) : this.x;
    const headEps = m0 > 0 ? be.view(eps, 0, [m0, 2]) : eps;
    const traj = this.trajectory;

    this.program = be.record(`${label}:sample`, () => {
      be.random(this.x, clock, { kind: 'normal', seedLo, seedHi, stream: samplerStream(id, 0) });
      steps.forEach((s, i) => {
        const ab = abar[s.t];
        const abPrev = i + 1 < steps.length ? abar[steps[i + 1].t] : 1;
        this.workspaces.get(s.model)!.forward(eps, this.x, tIds.get(s.t)!, feat);
        if (traj) {
          be.copy(traj.x[i], head);
          // x0 = (x - sqrt(1 - ab) eps) / sqrt(ab)
          be.copy(traj.x0[i], head);
          be.axpby(traj.x0[i], headEps, -Math.sqrt(1 - ab) / Math.sqrt(ab), 1 / Math.sqrt(ab));
        }
        if (s.kind === 'ddim' || abPrev === 1) {
          // x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev) eps (the last step of either sampler returns the mean x0).
          const cx = Math.sqrt(abPrev / ab);
          const ce = Math.sqrt(1 - abPrev) - Math.sqrt(abPrev) * Math.sqrt((1 - ab) / ab);
          be.axpby(this.x, eps, ce, cx);
        } else {
          // Respaced DDPM: beta = 1 - ab / ab_prev; mean = (x - beta / sqrt(1 - ab) eps) / sqrt(1 - beta),
          // plus the posterior std sqrt(beta (1 - ab_prev) / (1 - ab)) times fresh noise.
          const beta = 1 - ab / abPrev;
          const inv = 1 / Math.sqrt(1 - beta);
          be.axpby(this.x, eps, (-inv * beta) / Math.sqrt(1 - ab), inv);
          be.random(z, clock, { kind: 'normal', seedLo, seedHi, stream: samplerStream(id, i + 1) });
          be.axpby(this.x, z, Math.sqrt((beta * (1 - abPrev)) / (1 - ab)), 1);
        }
      });
      if (traj) be.copy(traj.x[steps.length], head);
    });
  }

  /** Draw the samples into `x` (read them with be.read). */
  run(): void {
    this.be.run(this.program);
  }

  release(): void {
    for (const x of this.tensors) this.be.release(x);
    for (const w of this.workspaces.values()) w.release();
  }
}
