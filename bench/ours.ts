// Our engine's benchmark cases on any WebGPU backend (the page's navigator.gpu or Dawn in Node): each training step
// is one recorded program, replayed many times per submission.

import type { AdamWParams, Backend, Program, Tensor } from '../src/engine/backend';
import type { WebGPUBackend } from '../src/engine/webgpu/backend';
import { mlpActs, mlpBackward, mlpForward, type Linear, type MlpShape } from '../src/lab/models/mlp';
import { TokenMlp, tokenMlpBackward, tokenMlpForward, zeroWork, type TokenMlpWork } from '../src/lab/models/token-mlp';
import { ParamArena } from '../src/lab/arena';
import { preferenceOutputs } from '../src/lab/preference-outputs';
import {
  ADAMW,
  DENOISER,
  DISTILL,
  DPO_BETA,
  denoiserBatch,
  denoiserInit,
  layerShapes,
  matrix,
  tokenBatch,
  tokenMlpInit,
  type DenoiserSize,
  type TokenMlpSize,
} from './problems';

const hp: AdamWParams = ADAMW;

/** A step program and what it allocated. */
export interface Step {
  program: Program;
  release(): void;
}

/** Steps of a program, awaited at the end: one submission for all k. */
export async function runSteps(be: Backend, program: Program, k: number): Promise<void> {
  be.run(program, k);
  await be.sync();
}

/** c = a b, k times in one submission. */
export function matmulCase(
  be: Backend,
  M: number,
  K: number,
  N: number,
): { run: (k: number) => Promise<void>; release(): void } {
  const a = be.tensor([M, K], { data: matrix(M * K, 1), label: 'bench:a' });
  const b = be.tensor([K, N], { data: matrix(K * N, 2), label: 'bench:b' });
  const c = be.tensor([M, N], { label: 'bench:c' });
  return {
    async run(k) {
      for (let i = 0; i < k; i++) be.matmul(c, a, b, { M, K, N });
      await be.sync();
    },
    release() {
      for (const t of [a, b, c]) be.release(t);
    },
  };
}

/** A token-MLP with the benchmark's deterministic weights (TokenMlp's own init replaced by tokenMlpInit). */
function tokenModel(be: Backend, name: string, s: TokenMlpSize, seed: number): TokenMlp {
  const model = new TokenMlp(
    be,
    name,
    { kind: 'token-mlp', context: s.C, embed: s.E, width: s.width, depth: s.depth, activation: 'relu', initScale: 1 },
    s.V + 1,
    s.V,
    seed,
    0,
  );
  const init = tokenMlpInit(s, seed);
  be.write(model.params.embed, init.embed);
  model.params.layers.forEach((l, i) => {
    be.write(l.w, init.layers[i].w);
    be.write(l.b, init.layers[i].b);
  });
  return model;
}

/**
 * One DPO step: policy and reference forward on chosen and rejected, sequence log-probs, sigmoid preference loss,
 * backward through the policy, AdamW.
 */
export function dpoStep(be: Backend, s: TokenMlpSize): Step {
  const { B, T, V } = s;
  const N = B * T;
  const policy = tokenModel(be, 'policy', s, 1);
  const reference = tokenModel(be, 'reference', s, 1);
  const own: Tensor[] = [];
  const t = (shape: number[], label: string, dtype: 'f32' | 'i32' | 'u32' = 'f32', data?: ArrayLike<number>) => {
    const x = be.tensor(shape, { label: `dpo:${label}`, dtype, data });
    own.push(x);
    return x;
  };
  const cb = tokenBatch(s, 11);
  const rb = tokenBatch(s, 12);
  const ids = { c: t([N, s.C], 'ids:c', 'i32', cb.windows), r: t([N, s.C], 'ids:r', 'i32', rb.windows) };
  const tg = { c: t([N], 'tg:c', 'i32', cb.targets), r: t([N], 'tg:r', 'i32', rb.targets) };
  const mask = { c: t([N], 'mask:c', 'f32', cb.mask), r: t([N], 'mask:r', 'f32', rb.mask) };
  const clock = t([1], 'clock', 'u32');
  const lp = { pc: t([B], 'pc'), pr: t([B], 'pr'), rc: t([B], 'rc'), rr: t([B], 'rr') };
  const { out, grads: dLogps } = preferenceOutputs(be, B, t);
  const wpc = policy.work(N, 'pc', true);
  const wpr = policy.work(N, 'pr', true);
  const wrc = reference.work(N, 'rc', false);
  const wrr = reference.work(N, 'rr', false);
  const seq = { B, T, V, average: false };
  const sh = policy.shape;
  const program = be.record('bench:dpo', () => {
    be.tick(clock);
    tokenMlpForward(be, sh, policy.params, ids.c, wpc);
    tokenMlpForward(be, sh, policy.params, ids.r, wpr);
    tokenMlpForward(be, sh, reference.params, ids.c, wrc);
    tokenMlpForward(be, sh, reference.params, ids.r, wrr);
    be.sequenceLogpsForward(lp.pc, wpc.out, tg.c, mask.c, seq);
    be.sequenceLogpsForward(lp.pr, wpr.out, tg.r, mask.r, seq);
    be.sequenceLogpsForward(lp.rc, wrc.out, tg.c, mask.c, seq);
    be.sequenceLogpsForward(lp.rr, wrr.out, tg.r, mask.r, seq);
    be.fill(dLogps, 0); // preference_loss accumulates its gradient
    be.preferenceLoss(
      out,
      {
        policyChosenLogps: lp.pc,
        policyRejectedLogps: lp.pr,
        referenceChosenLogps: lp.rc,
        referenceRejectedLogps: lp.rr,
      },
      { lossType: 'sigmoid', beta: DPO_BETA, labelSmoothing: 0, gamma: 0 },
    );
    be.fill(policy.arena.grads, 0);
    zeroWork(be, wpc);
    zeroWork(be, wpr);
    be.sequenceLogpsBackward(wpc.grad!.dout, out.dPolicyChosen, wpc.out, tg.c, mask.c, seq);
    be.sequenceLogpsBackward(wpr.grad!.dout, out.dPolicyRejected, wpr.out, tg.r, mask.r, seq);
    tokenMlpBackward(be, sh, policy.grads, policy.params, ids.c, wpc);
    tokenMlpBackward(be, sh, policy.grads, policy.params, ids.r, wpr);
    be.adamw(policy.arena.params, policy.arena.m, policy.arena.v, policy.arena.grads, clock, hp);
  });
  return {
    program,
    release() {
      policy.release();
      reference.release();
      for (const x of own) be.release(x);
    },
  };
}

/** One distillation step: teacher forward, student forward, forward KL at T = 1, student backward, AdamW. */
export function distillStep(be: Backend): Step {
  const ts = DISTILL.teacher;
  const ss = DISTILL.student;
  const N = ts.B * ts.T;
  const teacher = tokenModel(be, 'teacher', ts, 3);
  const student = tokenModel(be, 'student', ss, 4);
  const batch = tokenBatch(ts, 21);
  const ids = be.tensor([N, ts.C], { dtype: 'i32', data: batch.windows, label: 'distill:ids' });
  const mask = be.tensor([N], { data: batch.mask, label: 'distill:mask' });
  const loss = be.tensor([1], { label: 'distill:loss' });
  const clock = be.tensor([1], { dtype: 'u32', label: 'distill:clock' });
  const wt: TokenMlpWork = teacher.work(N, 'teacher', false);
  const ws: TokenMlpWork = student.work(N, 'student', true);
  const program = be.record('bench:distill', () => {
    be.tick(clock);
    tokenMlpForward(be, teacher.shape, teacher.params, ids, wt);
    tokenMlpForward(be, student.shape, student.params, ids, ws);
    be.fill(student.arena.grads, 0);
    zeroWork(be, ws);
    be.distillLoss(loss, ws.grad!.dout, ws.out, wt.out, mask, {
      R: N,
      V: ss.V,
      kind: 'forward_kl',
      beta: 0.5,
      temperature: 1,
      scaleT2: false,
    });
    tokenMlpBackward(be, student.shape, student.grads, student.params, ids, ws);
    be.adamw(student.arena.params, student.arena.m, student.arena.v, student.arena.grads, clock, hp);
  });
  return {
    program,
    release() {
      teacher.release();
      student.release();
      for (const x of [ids, mask, loss, clock]) be.release(x);
    },
  };
}

/** One diffusion step on a 2D denoiser: MLP(x_t, time features) -> eps, MSE, backward, AdamW. */
export function diffusionStep(be: Backend, s: DenoiserSize = DENOISER): Step {
  const IN = 2 + 2 * s.F;
  const shape: MlpShape = { IN, OUT: 2, width: s.width, depth: s.depth, activation: 'silu' };
  const init = denoiserInit(s, 5);
  const arena = new ParamArena(
    be,
    layerShapes(IN, s.width, s.depth, 2).flatMap(([i, o], l) => [
      { name: `l${l}.w`, shape: [i, o], init: init[l].w },
      { name: `l${l}.b`, shape: [o], init: init[l].b },
    ]),
    'denoiser',
  );
  const P: Linear[] = init.map((_, l) => ({ w: arena.param(`l${l}.w`), b: arena.param(`l${l}.b`) }));
  const G: Linear[] = init.map((_, l) => ({ w: arena.grad(`l${l}.w`), b: arena.grad(`l${l}.b`) }));
  const batch = denoiserBatch(s, 9);
  const x = be.tensor([s.N, IN], { data: batch.input, label: 'diffusion:x' });
  const eps = be.tensor([s.N, 2], { data: batch.eps, label: 'diffusion:eps' });
  const pred = be.tensor([s.N, 2], { label: 'diffusion:pred' });
  const dpred = be.tensor([s.N, 2], { label: 'diffusion:dpred' });
  const loss = be.tensor([1], { label: 'diffusion:loss' });
  const clock = be.tensor([1], { dtype: 'u32', label: 'diffusion:clock' });
  const acts = mlpActs(be, shape, s.N, 'diffusion:act');
  const dacts = mlpActs(be, shape, s.N, 'diffusion:dact');
  const program = be.record('bench:diffusion', () => {
    be.tick(clock);
    mlpForward(be, pred, x, P, acts, shape, s.N);
    be.fill(arena.grads, 0);
    be.fill(dpred, 0);
    for (const a of [...dacts.pre, ...dacts.post]) be.fill(a, 0);
    be.mse(loss, dpred, pred, eps);
    mlpBackward(be, null, G, dpred, x, P, acts, dacts, shape, s.N);
    be.adamw(arena.params, arena.m, arena.v, arena.grads, clock, hp);
  });
  return {
    program,
    release() {
      arena.release();
      for (const a of [x, eps, pred, dpred, loss, clock, ...acts.pre, ...acts.post, ...dacts.pre, ...dacts.post])
        be.release(a);
    },
  };
}

export interface Overheads {
  /** Microseconds per dispatch of a tiny kernel, replayed from a program (encode + GPU), one submit per 1000. */
  dispatchUs: number;
  /** Microseconds per submission of one tiny dispatch, not awaited one by one. */
  submitUs: number;
  /** Microseconds of one submit and wait (flush + onSubmittedWorkDone). */
  roundTripUs: number;
  /** Dispatches per DPO (small) step, and the submits the engine made over `steps` steps. */
  dispatchesPerStep: number;
  submitsPerStepRun: number;
  steps: number;
  buffersBefore: number;
  buffersAfter: number;
  /** Bytes read back to the host per training step in steady state. */
  readbackBytesPerStep: number;
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

/** Engine overheads, and the leak and readback check over `steps` DPO steps. */
export async function overheads(be: WebGPUBackend, dpo: TokenMlpSize, steps: number): Promise<Overheads> {
  const tiny = be.tensor([4], { label: 'bench:tiny' });
  const many = be.record('bench:tiny-x1000', () => {
    for (let i = 0; i < 1000; i++) be.fill(tiny, i);
  });
  const perDispatch: number[] = [];
  const perSubmit: number[] = [];
  const roundTrip: number[] = [];
  be.run(many, 1);
  await be.sync();
  for (let r = 0; r < 5; r++) {
    let t0 = performance.now();
    be.run(many, 1);
    await be.sync();
    perDispatch.push(((performance.now() - t0) * 1000) / 1000);
    t0 = performance.now();
    for (let i = 0; i < 200; i++) {
      be.fill(tiny, i);
      be.flush();
    }
    await be.sync();
    perSubmit.push(((performance.now() - t0) * 1000) / 200);
    t0 = performance.now();
    for (let i = 0; i < 10; i++) {
      be.fill(tiny, i);
      await be.sync();
    }
    roundTrip.push(((performance.now() - t0) * 1000) / 10);
  }
  be.release(tiny);

  // Leak and readback check: count the bytes read() returns while training.
  const step = dpoStep(be, dpo);
  let readBytes = 0;
  const read = be.read.bind(be);
  be.read = async (t: Tensor) => {
    const data = await read(t);
    readBytes += data.byteLength;
    return data;
  };
  try {
    await runSteps(be, step.program, 1); // first-use allocations (staging, scratch) happen here
    const buffersBefore = be.liveBuffers();
    const submits0 = be.ctx.submitCount;
    const chunk = 500;
    for (let done = 0; done < steps; done += chunk) await runSteps(be, step.program, Math.min(chunk, steps - done));
    const buffersAfter = be.liveBuffers();
    return {
      dispatchUs: median(perDispatch),
      submitUs: median(perSubmit),
      roundTripUs: median(roundTrip),
      dispatchesPerStep: step.program.dispatches,
      submitsPerStepRun: be.ctx.submitCount - submits0,
      steps,
      buffersBefore,
      buffersAfter,
      readbackBytesPerStep: readBytes / steps,
    };
  } finally {
    be.read = read;
    step.release();
  }
}
