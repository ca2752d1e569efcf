// Every WGSL kernel family has a CPU twin, and both agree on the same random inputs: one table row per shader.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, DType, MetricAt, Tensor, TypedArray } from '../../src/engine/backend';
import { ACTIVATIONS, DISTILL_KINDS } from '../../src/engine/backend';
import { PREFERENCE_LOSS_TYPES } from '../../src/engine/preference_losses';

const SHADER_DIR = fileURLToPath(new URL('../../shaders/', import.meta.url));
const CPU_DIR = fileURLToPath(new URL('../../src/engine/cpu/', import.meta.url));

/** Kernel families: every shaders/*.wgsl with a compute entry point (common.wgsl and rows.wgsl only hold helpers). */
const SHADERS = readdirSync(SHADER_DIR)
  .filter((f) => f.endsWith('.wgsl') && readFileSync(SHADER_DIR + f, 'utf8').includes('@compute'))
  .map((f) => f.slice(0, -'.wgsl'.length))
  .sort();

interface Tol {
  rtol: number;
  atol: number;
}
type Outputs = Record<string, TypedArray>;
interface Row {
  /** Issues the family's ops on `be` from the same seeded inputs and reads every output back. */
  run: (be: Backend) => Promise<Outputs>;
  /** Tolerance of float outputs (integer outputs must be identical); per output name where it differs. */
  tol?: Tol;
  tols?: Record<string, Tol>;
}

const DEFAULT_TOL: Tol = { rtol: 2e-4, atol: 2e-5 };

/** Deterministic data: a small LCG (same stream on both backends). */
function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s + 0.5) / 2 ** 32) * (hi - lo);
  }
  return out;
}
const randInt = (n: number, seed: number, hi: number) => Int32Array.from(rand(n, seed, 0, hi), (v) => Math.floor(v));
const randU32 = (n: number, seed: number) => Uint32Array.from(rand(n, seed, 0, 2 ** 32), (v) => Math.floor(v) >>> 0);

/** Tensor helpers bound to one backend. */
function on(be: Backend) {
  const t = (shape: number[], data: ArrayLike<number>, dtype: DType = 'f32', label = 'in'): Tensor =>
    be.tensor(shape, { data, dtype, label });
  const zeros = (shape: number[], dtype: DType = 'f32'): Tensor => be.tensor(shape, { dtype });
  return { t, zeros };
}

async function readAll(be: Backend, tensors: Record<string, Tensor>): Promise<Outputs> {
  const out: Outputs = {};
  for (const [k, v] of Object.entries(tensors)) out[k] = await be.read(v);
  return out;
}

const TABLE: Record<string, Row> = {
  elementwise: {
    tols: { sum: { rtol: 1e-4, atol: 1e-4 }, sumAcc: { rtol: 1e-4, atol: 1e-4 } },
    run: async (be) => {
      const { t, zeros } = on(be);
      const n = 1037;
      const x = t([n], rand(n, 1));
      const filled = zeros([n]);
      be.fill(filled, 0.375);
      const copied = t([n + 5], rand(n + 5, 2));
      be.copy(copied, x);
      const y = t([n], rand(n, 3));
      be.axpby(y, x, 0.5, -1.25);
      const sum = zeros([1]);
      be.sum(sum, x, 0.1);
      const sumAcc = t([1], [2]);
      be.sum(sumAcc, y, -3, true);
      const clock = t([1], [41], 'u32');
      be.tick(clock);
      be.tick(clock);
      return readAll(be, { filled, copied, axpby: y, sum, sumAcc, clock });
    },
  },

  matmul: {
    tol: { rtol: 2e-4, atol: 1e-4 },
    run: async (be) => {
      const { t } = on(be);
      const [M, K, N] = [33, 70, 17];
      const a = t([M * K], rand(M * K, 4));
      const b = t([K * N], rand(K * N, 5));
      const out: Record<string, Tensor> = {};
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const c = t([M, N], rand(M * N, 6));
          be.matmul(c, a, b, { M, K, N, transA, transB });
          out[`c${+transA}${+transB}`] = c;
        }
      }
      const acc = t([M, N], rand(M * N, 7));
      be.matmul(acc, a, b, { M, K, N, transB: true, accumulate: true });
      out.accumulate = acc;
      return readAll(be, out);
    },
  },

  linear: {
    tol: { rtol: 2e-4, atol: 5e-5 },
    run: async (be) => {
      const { t } = on(be);
      const d = { N: 9, IN: 13, OUT: 7 };
      const x = t([d.N, d.IN], rand(d.N * d.IN, 8));
      const w = t([d.IN, d.OUT], rand(d.IN * d.OUT, 9));
      const b = t([d.OUT], rand(d.OUT, 10));
      const y = t([d.N, d.OUT], rand(d.N * d.OUT, 11));
      be.linearForward(y, x, w, b, d);
      const yNoBias = t([d.N, d.OUT], rand(d.N * d.OUT, 12));
      be.linearForward(yNoBias, x, w, null, d);
      const dy = t([d.N, d.OUT], rand(d.N * d.OUT, 13));
      const dx = t([d.N, d.IN], rand(d.N * d.IN, 14));
      const dw = t([d.IN, d.OUT], rand(d.IN * d.OUT, 15));
      const db = t([d.OUT], rand(d.OUT, 16));
      be.linearBackward(dx, dw, db, dy, x, w, d);
      const dwOnly = t([d.IN, d.OUT], rand(d.IN * d.OUT, 17));
      be.linearBackward(null, dwOnly, null, dy, x, w, d);
      return readAll(be, { y, yNoBias, dx, dw, db, dwOnly });
    },
  },

  activation: {
    run: async (be) => {
      const { t } = on(be);
      const n = 1031;
      const x = t([n], rand(n, 18, -6, 6));
      const dy = t([n], rand(n, 19));
      const out: Record<string, Tensor> = {};
      for (const kind of ACTIVATIONS) {
        const y = t([n], rand(n, 20));
        be.activationForward(y, x, kind);
        const dx = t([n], rand(n, 21));
        be.activationBackward(dx, dy, x, kind);
        out[`${kind} y`] = y;
        out[`${kind} dx`] = dx;
      }
      return readAll(be, out);
    },
  },

  softmax: {
    run: async (be) => {
      const { t } = on(be);
      const d = { R: 5, C: 37 };
      const n = d.R * d.C;
      const x = t([d.R, d.C], rand(n, 22, -8, 8));
      const y = t([d.R, d.C], rand(n, 23));
      be.softmaxForward(y, x, d);
      const dx = t([d.R, d.C], rand(n, 24));
      be.softmaxBackward(dx, t([d.R, d.C], rand(n, 25)), y, d);
      return readAll(be, { y, dx });
    },
  },

  log_softmax: {
    run: async (be) => {
      const { t } = on(be);
      const d = { R: 5, C: 37 };
      const n = d.R * d.C;
      const x = t([d.R, d.C], rand(n, 26, -8, 8));
      const y = t([d.R, d.C], rand(n, 27));
      be.logSoftmaxForward(y, x, d);
      const dx = t([d.R, d.C], rand(n, 28));
      be.logSoftmaxBackward(dx, t([d.R, d.C], rand(n, 29)), y, d);
      return readAll(be, { y, dx });
    },
  },

  cross_entropy: {
    run: async (be) => {
      const { t } = on(be);
      const [R, V] = [7, 29];
      const logits = t([R, V], rand(R * V, 30, -5, 5));
      const targets = t([R], randInt(R, 31, V), 'i32');
      const mask = t([R], [1, 1, 0, 1, 1, 1, 0.5]);
      const loss = t([1], [123]);
      be.crossEntropyForward(loss, logits, targets, mask, { R, V });
      const dlogits = t([R, V], rand(R * V, 32));
      be.crossEntropyBackward(dlogits, logits, targets, mask, { R, V, scale: 0.5 });
      return readAll(be, { loss, dlogits });
    },
  },

  sequence_logps: {
    run: async (be) => {
      const { t } = on(be);
      const [B, T, V] = [3, 5, 23];
      const logits = t([B, T, V], rand(B * T * V, 33, -5, 5));
      const targets = t([B, T], randInt(B * T, 34, V), 'i32');
      const mask = t([B, T], [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
      const dlogps = t([B], rand(B, 35));
      const out: Record<string, Tensor> = {};
      for (const average of [false, true]) {
        const dims = { B, T, V, average };
        const logps = t([B], rand(B, 36));
        be.sequenceLogpsForward(logps, logits, targets, mask, dims);
        const dlogits = t([B, T, V], rand(B * T * V, 37));
        be.sequenceLogpsBackward(dlogits, dlogps, logits, targets, mask, dims);
        out[`logps average=${average}`] = logps;
        out[`dlogits average=${average}`] = dlogits;
      }
      return readAll(be, out);
    },
  },

  preference_loss: {
    run: async (be) => {
      const { t } = on(be);
      const B = 6;
      const inp = {
        policyChosenLogps: t([B], rand(B, 38, -30, -10)),
        policyRejectedLogps: t([B], rand(B, 39, -30, -10)),
        referenceChosenLogps: t([B], rand(B, 40, -30, -10)),
        referenceRejectedLogps: t([B], rand(B, 41, -30, -10)),
      };
      const out: Record<string, Tensor> = {};
      for (const lossType of PREFERENCE_LOSS_TYPES) {
        const o = {
          losses: t([B], rand(B, 42)),
          loss: t([1], [7]),
          chosenRewards: t([B], rand(B, 43)),
          rejectedRewards: t([B], rand(B, 44)),
          // Gradients to accumulate into, on the scale of the ones added (beta / B ~ 0.02).
          dPolicyChosen: t([B], rand(B, 45, -0.05, 0.05)),
          dPolicyRejected: t([B], rand(B, 46, -0.05, 0.05)),
        };
        be.preferenceLoss(o, inp, { lossType, beta: 0.1, labelSmoothing: 0.1, gamma: 0.5 });
        for (const [k, v] of Object.entries(o)) out[`${lossType} ${k}`] = v;
      }
      return readAll(be, out);
    },
  },

  distill_loss: {
    run: async (be) => {
      const { t } = on(be);
      const [R, V] = [5, 31];
      const student = t([R, V], rand(R * V, 47, -4, 4));
      const teacher = t([R, V], rand(R * V, 48, -4, 4));
      const mask = t([R], [1, 0, 1, 1, 1]);
      const out: Record<string, Tensor> = {};
      for (const kind of DISTILL_KINDS) {
        const attrs = { R, V, kind, beta: 0.3, temperature: 2, scaleT2: kind === 'forward_kl' };
        const loss = t([1], [5]);
        const dstudent = t([R, V], rand(R * V, 49));
        be.distillLoss(loss, dstudent, student, teacher, mask, attrs);
        const lossOnly = t([1], [5]);
        be.distillLoss(lossOnly, null, student, teacher, mask, attrs);
        out[`${kind} loss`] = loss;
        out[`${kind} dstudent`] = dstudent;
        out[`${kind} loss without gradient`] = lossOnly;
      }
      return readAll(be, out);
    },
  },

  mse: {
    run: async (be) => {
      const { t } = on(be);
      const n = 7 * 11;
      const pred = t([7, 11], rand(n, 50));
      const target = t([7, 11], rand(n, 51));
      const loss = t([1], [3]);
      const dpred = t([7, 11], rand(n, 52));
      be.mse(loss, dpred, pred, target, 0.5);
      const lossOnly = t([1], [3]);
      be.mse(lossOnly, null, pred, target);
      return readAll(be, { loss, dpred, lossOnly });
    },
  },

  diffusion_dpo_loss: {
    run: async (be) => {
      const { t } = on(be);
      const [B, D] = [4, 19];
      const n = B * D;
      const target = t([B, D], rand(n, 53));
      const targetR = t([B, D], rand(n, 54));
      const inp = {
        modelChosen: t([B, D], rand(n, 55)),
        modelRejected: t([B, D], rand(n, 56)),
        refChosen: t([B, D], rand(n, 57)),
        refRejected: t([B, D], rand(n, 58)),
        targetChosen: target,
        targetRejected: targetR,
      };
      const loss = t([1], [9]);
      const dChosen = t([B, D], rand(n, 59));
      const dRejected = t([B, D], rand(n, 60));
      const chosenRewards = t([B], rand(B, 61));
      const rejectedRewards = t([B], rand(B, 62));
      const attrs = { B, D, beta: 5 };
      be.diffusionDpoLoss(
        { loss, chosenRewards, rejectedRewards, dModelChosen: dChosen, dModelRejected: dRejected },
        inp,
        attrs,
      );
      const lossOnly = t([1], [9]);
      const rewardOnly = t([B], rand(B, 63));
      be.diffusionDpoLoss(
        { loss: lossOnly, chosenRewards: null, rejectedRewards: rewardOnly, dModelChosen: null, dModelRejected: null },
        inp,
        attrs,
      );
      return readAll(be, { loss, chosenRewards, rejectedRewards, dChosen, dRejected, lossOnly, rewardOnly });
    },
  },

  adamw: {
    run: async (be) => {
      const { t } = on(be);
      const n = 1031;
      const param = t([n], rand(n, 61));
      const m = t([n], rand(n, 62, -0.1, 0.1));
      const v = t([n], rand(n, 63, 0, 0.01));
      const grad = t([n], rand(n, 64));
      const step = t([1], [2], 'u32');
      const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
      be.adamw(param, m, v, grad, step, hp);
      be.tick(step);
      be.adamw(param, m, v, grad, step, hp);
      return readAll(be, { param, m, v });
    },
  },

  philox: {
    // WGSL allows cos/sin an absolute error of 2^-11 on [-pi, pi] (SwiftShader uses it): Box-Muller z = r cos(.)
    // with r up to ~6 may then differ by ~3e-3 from the float64 twin.
    tols: { normal: { rtol: 1e-3, atol: 5e-3 } },
    run: async (be) => {
      const { t } = on(be);
      const N = 37;
      const counter = t([N, 4], randU32(4 * N, 65), 'u32');
      const key = t([2], [0x12345678, 0x9abcdef0], 'u32');
      const bits = t([N, 4], randU32(4 * N, 66), 'u32');
      const uniform = t([N, 4], rand(4 * N, 67));
      be.philox(bits, uniform, counter, key);
      const clock = t([1], [5], 'u32');
      const seed = { seedLo: 123456789, seedHi: 7, stream: 3 };
      const n = 103;
      const draws = {
        bits: t([n], randU32(n, 68), 'u32'),
        uniform: t([n], rand(n, 69)),
        normal: t([n], rand(n, 70)),
        index: t([n], randInt(n, 71, 100), 'i32'),
      };
      be.random(draws.bits, clock, { ...seed, kind: 'bits' });
      be.random(draws.uniform, clock, { ...seed, kind: 'uniform', mean: -1, std: 2 });
      be.random(draws.normal, clock, { ...seed, kind: 'normal', mean: 0.5, std: 1.5 });
      be.random(draws.index, clock, { ...seed, kind: 'index', n: 10 });
      const unclocked = t([n], rand(n, 72));
      be.random(unclocked, null, { ...seed, kind: 'uniform' });
      return readAll(be, { 'philox bits': bits, 'philox uniform': uniform, ...draws, unclocked });
    },
  },

  embedding: {
    run: async (be) => {
      const { t } = on(be);
      const [V, C, N] = [11, 7, 9];
      const table = t([V, C], rand(V * C, 73));
      const idx = t([N], [3, 0, 10, 3, 5, 5, 5, 1, 10], 'i32');
      const out = t([N, C], rand(N * C, 74));
      be.embeddingForward(out, table, idx, C);
      const words = t([V], randU32(V, 75), 'u32');
      const gathered = t([N], randU32(N, 76), 'u32');
      be.embeddingForward(gathered, words, idx, 1);
      const dtable = t([V, C], rand(V * C, 77));
      be.embeddingBackward(dtable, t([N, C], rand(N * C, 78)), idx, C);
      return readAll(be, { out, gathered, dtable });
    },
  },

  layernorm: {
    tols: { dgamma: { rtol: 2e-4, atol: 1e-4 }, dbeta: { rtol: 2e-4, atol: 1e-4 } },
    run: async (be) => {
      const { t, zeros } = on(be);
      const [R, C] = [6, 37];
      const d = { R, C, eps: 1e-5 };
      const x = t([R, C], rand(R * C, 90, 40, 44));
      const gamma = t([C], rand(C, 91, 0.5, 1.5));
      const y = zeros([R, C]);
      const mean = zeros([R]);
      const rstd = zeros([R]);
      be.layernormForward(y, mean, rstd, x, gamma, t([C], rand(C, 92)), d);
      const dx = t([R, C], rand(R * C, 93));
      const dgamma = t([C], rand(C, 94));
      const dbeta = t([C], rand(C, 95));
      be.layernormBackward(dx, dgamma, dbeta, t([R, C], rand(R * C, 96)), x, gamma, mean, rstd, d);
      return readAll(be, { y, mean, rstd, dx, dgamma, dbeta });
    },
  },

  attention: {
    tol: { rtol: 1e-3, atol: 1e-4 },
    run: async (be) => {
      const { t, zeros } = on(be);
      const d = { B: 2, H: 2, T: 19, D: 12, causal: true };
      const n = 2 * 2 * 19 * 12;
      const shape = [2, 2, 19, 12];
      const [q, k, v] = [97, 98, 99].map((s) => t(shape, rand(n, s)));
      const out = zeros(shape);
      const lse = zeros([2, 2, 19]);
      be.attentionForward(out, lse, q, k, v, d);
      const [dq, dk, dv] = [100, 101, 102].map((s) => t(shape, rand(n, s)));
      be.attentionBackward(dq, dk, dv, t(shape, rand(n, 103)), q, k, v, out, lse, d);
      const full = { ...d, causal: false };
      const outFull = zeros(shape);
      be.attentionForward(outFull, zeros([2, 2, 19]), q, k, v, full);
      return readAll(be, { out, lse, dq, dk, dv, outFull });
    },
  },

  heads: {
    tol: { rtol: 0, atol: 0 },
    run: async (be) => {
      const { t } = on(be);
      const [B, T, G, H, D] = [2, 5, 3, 3, 4];
      const n = B * H * T * D;
      const x = t([B, T, G * H * D], rand(n * G, 104));
      const split = t([B, H, T, D], rand(n, 105));
      be.splitHeads(split, x, { B, T, G, g: 1, H, D, accumulate: false });
      const splitAcc = t([B, H, T, D], rand(n, 106));
      be.splitHeads(splitAcc, x, { B, T, G, g: 2, H, D, accumulate: true });
      const merged = t([B, T, G * H * D], rand(n * G, 107));
      be.mergeHeads(merged, split, { B, T, G, g: 0, H, D, accumulate: false });
      be.mergeHeads(merged, splitAcc, { B, T, G, g: 2, H, D, accumulate: true });
      return readAll(be, { split, splitAcc, merged });
    },
  },

  metric: {
    run: async (be) => {
      const { t } = on(be);
      const n = 300;
      const [rows, M] = [4, 3];
      const history = t([rows, M], rand(rows * M, 79));
      const a = t([n], rand(n, 80));
      const b = t([n], rand(n, 81));
      const clock = t([1], [6], 'u32');
      const at = (mode: MetricAt['mode'], slot: number): MetricAt => ({ mode, slot, M, rows });
      be.logMetric(history, a, null, clock, at('mean', 0));
      be.logMetric(history, a, b, clock, at('diff', 1));
      be.logMetric(history, a, b, clock, at('greater', 2));
      be.tick(clock);
      be.logMetric(history, b, null, clock, at('mean', 0));
      return readAll(be, { history });
    },
  },

  window: {
    run: async (be) => {
      const { t, zeros } = on(be);
      const [B, T, C, pad] = [2, 9, 3, 50];
      const tokens = t([B, T], randInt(B * T, 82, 50), 'i32');
      const out: Record<string, Tensor> = {};
      for (const [t0, P] of [
        [0, 10],
        [4, 6],
      ]) {
        const ids = zeros([B, P, C], 'i32');
        be.window(ids, tokens, { B, T, C, t0, P, pad });
        const grams = zeros([B, P], 'i32');
        be.window(grams, tokens, { B, T, C, t0, P, pad, radix: 51 });
        out[`ids t0=${t0}`] = ids;
        out[`radix ids t0=${t0}`] = grams;
      }
      return readAll(be, out);
    },
  },

  sample: {
    run: async (be) => {
      const { t } = on(be);
      const [B, T, V] = [5, 4, 37];
      const logits = t([B, V], rand(B * V, 83, -3, 3));
      const init = randInt(B * T, 84, V);
      init[1 * T + 1] = 3; // row 1 already ended: the stop token is absorbing
      const tokens = t([B, T], init, 'i32');
      const clock = t([1], [2], 'u32');
      const seed = { seedLo: 99, seedHi: 0, stream: 6 };
      be.sample(tokens, logits, clock, { B, T, V, t: 2, temperature: 0.7, ...seed, stop: 3 });
      be.sample(tokens, logits, clock, { B, T, V, t: 0, temperature: 1.5, ...seed, stop: -1 });
      return readAll(be, { tokens });
    },
  },

  sequence_sum: {
    run: async (be) => {
      const { t } = on(be);
      const [B, T] = [3, 7];
      const x = t([B, T], rand(B * T, 85));
      const mask = t(
        [B, T],
        Float32Array.from(rand(B * T, 86), (v) => (v > -0.3 ? 1 : 0)),
      );
      const out = t([B], rand(B, 87));
      be.sequenceSumForward(out, x, mask, { B, T });
      const dx = t([B, T], rand(B * T, 88));
      be.sequenceSumBackward(dx, t([B], rand(B, 89)), mask, { B, T });
      return readAll(be, { out, dx });
    },
  },

  pair_label: {
    run: async (be) => {
      const { t, zeros } = on(be);
      const B = 6;
      const rewards = t([2 * B], rand(2 * B, 90, -2, 2));
      const clock = t([1], [3], 'u32');
      const chosen = zeros([B], 'i32');
      const rejected = zeros([B], 'i32');
      be.pairLabel(chosen, rejected, rewards, clock, { B, seedLo: 5, seedHi: 0, stream: 8 });
      return readAll(be, { chosen, rejected });
    },
  },
};

describe('every shader has a CPU twin and a row in this table', () => {
  it('finds the kernel families', () => {
    expect(SHADERS.length).toBeGreaterThan(0);
  });
  it.each(SHADERS)('%s', async (name) => {
    const path = `${CPU_DIR}${name}.ts`;
    expect(existsSync(path), `shaders/${name}.wgsl has no CPU twin src/engine/cpu/${name}.ts`).toBe(true);
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const fns = Object.entries(mod).filter(([, v]) => typeof v === 'function');
    expect(fns.length, `src/engine/cpu/${name}.ts exports no function`).toBeGreaterThan(0);
    expect(TABLE[name], `shaders/${name}.wgsl has no row in tests/kernels/twins.test.ts`).toBeDefined();
  });
});

describe('WebGPU kernels agree with their CPU twins', () => {
  let gpu: Backend | null = null;
  let gpuError: Error | null = null;
  let cpu: Backend;
  let createGpu: () => Promise<Backend>;
  beforeAll(async () => {
    // Imported here, not at the top: a missing module then fails these rows, not the twin checks above.
    ({ createNodeWebGPUBackend: createGpu } = await import('../../src/engine/node'));
    const { CpuBackend } = await import('../../src/engine/cpu/backend');
    cpu = new CpuBackend('twins test');
  });
  afterAll(() => gpu?.destroy());

  /** The shared Dawn backend; a fresh one after a row broke it, so one bad kernel fails only its own row. */
  async function webgpu(): Promise<Backend> {
    if (gpu && !gpuError) return gpu;
    gpu?.destroy();
    gpuError = null;
    const be = await createGpu();
    be.onDeviceError((e) => (gpuError ??= e));
    gpu = be;
    return be;
  }

  it.each(Object.keys(TABLE))('%s', async (name) => {
    const row = TABLE[name];
    const want = await row.run(cpu);
    const got = await row.run(await webgpu());
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [key, w] of Object.entries(want)) {
      const g = got[key];
      expect(g.constructor.name, `${name} ${key} dtype`).toBe(w.constructor.name);
      expect(g.length, `${name} ${key} length`).toBe(w.length);
      const exact = !(w instanceof Float32Array);
      const { rtol, atol } = exact ? { rtol: 0, atol: 0 } : (row.tols?.[key] ?? row.tol ?? DEFAULT_TOL);
      for (let i = 0; i < w.length; i++) {
        if (!(Math.abs(g[i] - w[i]) <= atol + rtol * Math.abs(w[i]))) {
          expect.fail(`${name} ${key}[${i}]: webgpu ${g[i]}, cpu ${w[i]} (rtol ${rtol}, atol ${atol})`);
        }
      }
    }
  });
});
