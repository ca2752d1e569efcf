// Oracle fixtures (PyTorch autograd, float64): run on a backend, compare as OPS.md defines (the format and its
// check are fixture-format.ts).

import type { Backend, DistillKind, Tensor, TypedArray, ActivationKind } from './backend';
import { ACTIVATIONS, DISTILL_KINDS } from './backend';
import { PREFERENCE_LOSS_TYPES, type PreferenceLossType } from './preference_losses';
import { refuse, type Fixture, type FixtureTensor } from './fixture-format';
import { matmulBackward } from './ops';

export interface Mismatch {
  quantity: string;
  index: number;
  got: number;
  want: number;
  error: number;
}

export interface FixtureResult {
  op: string;
  passed: boolean;
  mismatches: Mismatch[];
  /** Largest |got - want| / |want| over elements with |want| > atol (0 when none). */
  maxRelError: number;
  maxAbsError: number;
}

/** Run one fixture on a backend and compare every output and gradient. */
export async function runFixture(be: Backend, fx: Fixture): Promise<FixtureResult> {
  const made: Tensor[] = [];
  try {
    return await runFixtureInto(be, fx, made);
  } finally {
    for (const t of made) be.release(t);
  }
}

/** runFixture's body; every tensor it creates goes into `made`, released by the caller even on a throw. */
async function runFixtureInto(be: Backend, fx: Fixture, made: Tensor[]): Promise<FixtureResult> {
  const input = (name: string): Tensor => {
    const t = fx.inputs[name] ?? refuse(`${fx.op}: missing input "${name}"`);
    const shape = t.shape.length === 0 ? [1] : t.shape;
    const tensor = be.tensor(shape, { dtype: t.dtype ?? 'f32', label: name, data: t.data });
    made.push(tensor);
    return tensor;
  };
  const zeros = (shape: readonly number[], label: string, dtype: 'f32' | 'u32' = 'f32'): Tensor => {
    const tensor = be.tensor(shape.length === 0 ? [1] : shape, { dtype, label });
    made.push(tensor);
    return tensor;
  };
  const attr = <T extends number | string | boolean>(name: string, fallback?: T): T => {
    const v = fx.attrs[name];
    if (v === undefined) {
      if (fallback === undefined) refuse(`${fx.op}: missing attr "${name}"`);
      return fallback;
    }
    return v as T;
  };
  const dims = (name: string) => (fx.inputs[name] ?? refuse(`${fx.op}: missing input "${name}"`)).shape;
  const got: Record<string, Tensor> = {};

  switch (fx.op) {
    case 'matmul': {
      const a = input('a'),
        b = input('b'),
        dc = input('d_c');
      const transA = attr<boolean>('transA', false),
        transB = attr<boolean>('transB', false);
      const [M, K] = transA ? [dims('a')[1], dims('a')[0]] : dims('a');
      const N = transB ? dims('b')[0] : dims('b')[1];
      const md = { M, K, N, transA, transB };
      got.c = zeros([M, N], 'c');
      be.matmul(got.c, a, b, md);
      got.a = zeros(dims('a'), 'da');
      got.b = zeros(dims('b'), 'db');
      matmulBackward(be, got.a, got.b, dc, a, b, md);
      break;
    }
    case 'linear': {
      const x = input('x'),
        w = input('w'),
        b = input('b'),
        dy = input('d_y');
      const [N, IN] = dims('x');
      const OUT = dims('w')[1];
      got.y = zeros([N, OUT], 'y');
      be.linearForward(got.y, x, w, b, { N, IN, OUT });
      got.x = zeros([N, IN], 'dx');
      got.w = zeros([IN, OUT], 'dw');
      got.b = zeros([OUT], 'db');
      be.linearBackward(got.x, got.w, got.b, dy, x, w, { N, IN, OUT });
      break;
    }
    case 'activation': {
      const kind = attr<string>('kind');
      if (!ACTIVATIONS.includes(kind as ActivationKind)) refuse(`activation: unknown kind "${kind}"`);
      const x = input('x'),
        dy = input('d_y');
      got.y = zeros(dims('x'), 'y');
      be.activationForward(got.y, x, kind as ActivationKind);
      got.x = zeros(dims('x'), 'dx');
      be.activationBackward(got.x, dy, x, kind as ActivationKind);
      break;
    }
    case 'softmax':
    case 'log_softmax': {
      const x = input('x'),
        dy = input('d_y');
      const shape = dims('x');
      const C = shape[shape.length - 1];
      const R = shape.reduce((p, q) => p * q, 1) / C;
      got.y = zeros(shape, 'y');
      got.x = zeros(shape, 'dx');
      if (fx.op === 'softmax') {
        be.softmaxForward(got.y, x, { R, C });
        be.softmaxBackward(got.x, dy, got.y, { R, C });
      } else {
        be.logSoftmaxForward(got.y, x, { R, C });
        be.logSoftmaxBackward(got.x, dy, got.y, { R, C });
      }
      break;
    }
    case 'cross_entropy': {
      const logits = input('logits'),
        targets = input('targets'),
        mask = input('mask');
      const [R, V] = dims('logits');
      got.loss = zeros([1], 'loss');
      be.crossEntropyForward(got.loss, logits, targets, mask, { R, V });
      got.logits = zeros([R, V], 'dlogits');
      be.crossEntropyBackward(got.logits, logits, targets, mask, { R, V });
      break;
    }
    case 'sequence_logps': {
      const logits = input('logits'),
        targets = input('targets'),
        mask = input('mask'),
        dl = input('d_logps');
      const [B, T, V] = dims('logits');
      const sd = { B, T, V, average: attr<boolean>('average', false) };
      got.logps = zeros([B], 'logps');
      be.sequenceLogpsForward(got.logps, logits, targets, mask, sd);
      got.logits = zeros([B, T, V], 'dlogits');
      be.sequenceLogpsBackward(got.logits, dl, logits, targets, mask, sd);
      break;
    }
    case 'preference_loss': {
      const lossType = attr<string>('loss_type');
      if (!PREFERENCE_LOSS_TYPES.includes(lossType as PreferenceLossType))
        refuse(`preference_loss: unknown loss_type "${lossType}"`);
      const B = dims('policy_chosen_logps')[0];
      got.losses = zeros([B], 'losses');
      got.loss = zeros([1], 'loss');
      got.chosen_rewards = zeros([B], 'chosen_rewards');
      got.rejected_rewards = zeros([B], 'rejected_rewards');
      // Zeroed: preference_loss accumulates its gradient.
      got.policy_chosen_logps = zeros([B], 'd_policy_chosen');
      got.policy_rejected_logps = zeros([B], 'd_policy_rejected');
      be.preferenceLoss(
        {
          losses: got.losses,
          loss: got.loss,
          chosenRewards: got.chosen_rewards,
          rejectedRewards: got.rejected_rewards,
          dPolicyChosen: got.policy_chosen_logps,
          dPolicyRejected: got.policy_rejected_logps,
        },
        {
          policyChosenLogps: input('policy_chosen_logps'),
          policyRejectedLogps: input('policy_rejected_logps'),
          referenceChosenLogps: input('reference_chosen_logps'),
          referenceRejectedLogps: input('reference_rejected_logps'),
        },
        {
          lossType: lossType as PreferenceLossType,
          beta: attr<number>('beta'),
          labelSmoothing: attr<number>('label_smoothing', 0),
          gamma: attr<number>('gamma', 0),
        },
      );
      break;
    }
    case 'distill_loss': {
      const kind = attr<string>('kind');
      if (!DISTILL_KINDS.includes(kind as DistillKind)) refuse(`distill_loss: unknown kind "${kind}"`);
      const s = input('student_logits'),
        t = input('teacher_logits'),
        mask = input('mask');
      const [R, V] = dims('student_logits');
      got.loss = zeros([1], 'loss');
      got.student_logits = zeros([R, V], 'dstudent');
      be.distillLoss(got.loss, got.student_logits, s, t, mask, {
        R,
        V,
        kind: kind as DistillKind,
        beta: attr<number>('beta', 0.5),
        temperature: attr<number>('temperature', 1),
        scaleT2: attr<boolean>('scale_t2', false),
      });
      break;
    }
    case 'mse': {
      const pred = input('pred'),
        target = input('target');
      got.loss = zeros([1], 'loss');
      got.pred = zeros(dims('pred'), 'dpred');
      be.mse(got.loss, got.pred, pred, target);
      break;
    }
    case 'diffusion_dpo_loss': {
      const [B, D] = dims('model_pred_chosen');
      got.loss = zeros([1], 'loss');
      got.model_pred_chosen = zeros([B, D], 'd_model_chosen');
      got.model_pred_rejected = zeros([B, D], 'd_model_rejected');
      be.diffusionDpoLoss(
        {
          loss: got.loss,
          chosenRewards: null,
          rejectedRewards: null,
          dModelChosen: got.model_pred_chosen,
          dModelRejected: got.model_pred_rejected,
        },
        {
          modelChosen: input('model_pred_chosen'),
          modelRejected: input('model_pred_rejected'),
          refChosen: input('ref_pred_chosen'),
          refRejected: input('ref_pred_rejected'),
          targetChosen: input('target_chosen'),
          targetRejected: input('target_rejected'),
        },
        { B, D, beta: attr<number>('beta') },
      );
      break;
    }
    case 'adamw': {
      got.param = input('param');
      got.m = input('m');
      got.v = input('v');
      const grad = input('grad');
      const step = be.tensor([1], { dtype: 'u32', label: 'step', data: [attr<number>('step')] });
      made.push(step);
      be.adamw(got.param, got.m, got.v, grad, step, {
        lr: attr<number>('lr'),
        beta1: attr<number>('beta1'),
        beta2: attr<number>('beta2'),
        eps: attr<number>('eps'),
        weightDecay: attr<number>('weight_decay'),
      });
      break;
    }
    case 'philox': {
      const counter = input('counter'),
        key = input('key');
      const n = dims('counter')[0];
      got.bits = zeros([n, 4], 'bits', 'u32');
      got.uniform = zeros([n, 4], 'uniform');
      be.philox(got.bits, got.uniform, counter, key);
      break;
    }
    case 'layernorm': {
      const [R, C] = dims('x');
      const ld = { R, C, eps: attr<number>('eps', 1e-5) };
      const x = input('x'),
        gamma = input('gamma');
      const mean = zeros([R], 'mean'),
        rstd = zeros([R], 'rstd');
      got.y = zeros([R, C], 'y');
      be.layernormForward(got.y, mean, rstd, x, gamma, input('beta'), ld);
      got.x = zeros([R, C], 'dx');
      got.gamma = zeros([C], 'dgamma');
      got.beta = zeros([C], 'dbeta');
      be.layernormBackward(got.x, got.gamma, got.beta, input('d_y'), x, gamma, mean, rstd, ld);
      break;
    }
    case 'attention': {
      const [B, H, T, D] = dims('q');
      const ad = { B, H, T, D, causal: attr<boolean>('causal', false) };
      const q = input('q'),
        k = input('k'),
        v = input('v');
      const lse = zeros([B, H, T], 'lse');
      got.out = zeros([B, H, T, D], 'out');
      be.attentionForward(got.out, lse, q, k, v, ad);
      got.q = zeros([B, H, T, D], 'dq');
      got.k = zeros([B, H, T, D], 'dk');
      got.v = zeros([B, H, T, D], 'dv');
      be.attentionBackward(got.q, got.k, got.v, input('d_out'), q, k, v, got.out, lse, ad);
      break;
    }
    case 'embedding': {
      const [V, C] = dims('table');
      const table = input('table'),
        ids = input('ids');
      got.y = zeros([ids.size, C], 'y');
      be.embeddingForward(got.y, table, ids, C);
      got.table = zeros([V, C], 'dtable');
      be.embeddingBackward(got.table, input('d_y'), ids, C);
      break;
    }
    default:
      refuse(`unknown op "${fx.op}"`);
  }

  const { rtol, atol } = fx.tolerance;
  const mismatches: Mismatch[] = [];
  let maxRelError = 0;
  let maxAbsError = 0;
  const compare = (quantity: string, want: FixtureTensor, values: TypedArray) => {
    for (let i = 0; i < want.data.length; i++) {
      const w = want.data[i];
      const g = values[i];
      const err = Math.abs(g - w);
      // A float32 result equal to the float64 oracle rounded to float32 is exact: the philox uniforms (tolerance 0)
      // are float64 values that float32 cannot hold.
      const exact = values instanceof Float32Array && g === Math.fround(w);
      if (!(err <= atol + rtol * Math.abs(w)) && !exact) {
        mismatches.push({ quantity, index: i, got: g, want: w, error: err });
      }
      if (Number.isFinite(err)) {
        maxAbsError = Math.max(maxAbsError, err);
        if (Math.abs(w) > atol) maxRelError = Math.max(maxRelError, err / Math.abs(w));
      } else {
        maxAbsError = Infinity;
        maxRelError = Infinity;
      }
    }
  };
  for (const [name, want] of Object.entries(fx.outputs)) {
    const t = got[name] ?? refuse(`${fx.op}: the fixture has an output "${name}" that this op does not produce`);
    compare(name, want, await be.read(t));
  }
  for (const [name, want] of Object.entries(fx.grads)) {
    const t = got[name] ?? refuse(`${fx.op}: the fixture has a gradient for "${name}" that this op does not produce`);
    compare(`grad ${name}`, want, await be.read(t));
  }
  return { op: fx.op, passed: mismatches.length === 0, mismatches, maxRelError, maxAbsError };
}
