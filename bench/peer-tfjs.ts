// TensorFlow.js (webgpu backend) as a benchmark Library: the same problems with tf ops, autodiff by
// tf.variableGrads, and AdamW written with tf ops. WEBGPU_CPU_FORWARD is off so small tensors stay on the GPU.

import * as tf from '@tensorflow/tfjs-core';
// The gradients of tf ops are registered by this side-effect module (the tfjs umbrella package imports it).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import {
  ADAMW,
  DENOISER,
  DISTILL,
  DPO_BETA,
  denoiserBatch,
  denoiserInit,
  matrix,
  tokenBatch,
  tokenMlpInit,
  type TokenMlpSize,
} from './problems';
import type { Library, Runner } from './suite';

export async function tfjsLibrary(): Promise<Library> {
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error('tfjs: the webgpu backend failed to initialize');
  await tf.ready();

  /** k iterations, then a final readback of `probe()` so the GPU work is awaited. */
  const runner = (step: () => void, probe: () => tf.Tensor, vars: tf.Tensor[]): Runner => ({
    async run(k) {
      for (let i = 0; i < k; i++) step();
      await probe().data();
    },
    release() {
      for (const v of vars) v.dispose();
    },
  });

  type Model = { embed: tf.Variable; layers: { w: tf.Variable; b: tf.Variable }[] };
  const model = (s: TokenMlpSize, seed: number, trainable: boolean): Model => {
    const init = tokenMlpInit(s, seed);
    return {
      embed: tf.variable(tf.tensor2d(init.embed, [s.V + 1, s.E]), trainable),
      layers: init.layers.map((l) => ({
        w: tf.variable(tf.tensor2d(l.w, [l.w.length / l.b.length, l.b.length]), trainable),
        b: tf.variable(tf.tensor1d(l.b), trainable),
      })),
    };
  };
  const modelVars = (m: Model): tf.Variable[] => [m.embed, ...m.layers.flatMap((l) => [l.w, l.b])];
  const mlp = (x: tf.Tensor2D, layers: { w: tf.Tensor; b: tf.Tensor }[], act: (x: tf.Tensor) => tf.Tensor) => {
    let h: tf.Tensor = x;
    layers.forEach((l, i) => {
      h = tf.add(tf.matMul(h as tf.Tensor2D, l.w as tf.Tensor2D), l.b);
      if (i < layers.length - 1) h = act(h);
    });
    return h as tf.Tensor2D;
  };
  const forward = (s: TokenMlpSize, m: Model, ids: tf.Tensor1D) =>
    mlp(tf.reshape(tf.gather(m.embed, ids), [s.B * s.T, s.C * s.E]) as tf.Tensor2D, m.layers, tf.relu);
  const seqLogps = (s: TokenMlpSize, logits: tf.Tensor2D, onehot: tf.Tensor2D, mask: tf.Tensor2D) =>
    tf.sum(tf.mul(tf.reshape(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), 1), [s.B, s.T]), mask), 1);

  /** AdamW (torch conventions, decoupled decay) over the variables, with their gradients. */
  const adamw = (vars: tf.Variable[]) => {
    const state = vars.map((v) => ({ m: tf.variable(tf.zerosLike(v)), v: tf.variable(tf.zerosLike(v)) }));
    return {
      state,
      step(t: number, g: Record<string, tf.Tensor>) {
        const { lr, beta1, beta2, eps, weightDecay } = ADAMW;
        const bc1 = 1 - beta1 ** t;
        const bc2 = 1 - beta2 ** t;
        tf.tidy(() => {
          vars.forEach((p, i) => {
            const gi = g[p.name];
            const m = state[i].m;
            const v = state[i].v;
            m.assign(tf.add(tf.mul(m, beta1), tf.mul(gi, 1 - beta1)));
            v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(gi), 1 - beta2)));
            const upd = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
            p.assign(tf.sub(tf.mul(p, 1 - lr * weightDecay), tf.mul(upd, lr)));
          });
        });
        for (const k of Object.keys(g)) g[k].dispose();
      },
    };
  };

  const tokens = (s: TokenMlpSize, seed: number) => {
    const b = tokenBatch(s, seed);
    return {
      ids: tf.tensor1d(b.windows, 'int32'),
      onehot: tf.cast(tf.oneHot(tf.tensor1d(b.targets, 'int32'), s.V), 'float32') as tf.Tensor2D,
      mask: tf.tensor2d(b.mask, [s.B, s.T]),
    };
  };

  return {
    name: 'tfjs',
    async matmul(M, K, N) {
      const a = tf.tensor2d(matrix(M * K, 1), [M, K]);
      const b = tf.tensor2d(matrix(K * N, 2), [K, N]);
      let c: tf.Tensor | null = null;
      return runner(
        () => {
          c?.dispose();
          c = tf.matMul(a, b);
        },
        () => c!,
        [a, b],
      );
    },
    async dpo(s) {
      const policy = model(s, 1, true);
      const reference = model(s, 1, false);
      const ch = tokens(s, 11);
      const rj = tokens(s, 12);
      const vars = modelVars(policy);
      const opt = adamw(vars);
      let t = 0;
      let loss: tf.Tensor | null = null;
      return runner(
        () => {
          t++;
          loss?.dispose();
          const { value, grads } = tf.variableGrads(() => {
            const pc = seqLogps(s, forward(s, policy, ch.ids), ch.onehot, ch.mask);
            const pr = seqLogps(s, forward(s, policy, rj.ids), rj.onehot, rj.mask);
            const rc = seqLogps(s, forward(s, reference, ch.ids), ch.onehot, ch.mask);
            const rr = seqLogps(s, forward(s, reference, rj.ids), rj.onehot, rj.mask);
            const logits = tf.mul(tf.sub(tf.sub(pc, rc), tf.sub(pr, rr)), DPO_BETA);
            // -log sigmoid(z) = softplus(-z) (tf.logSigmoid's custom gradient fails inside variableGrads here).
            return tf.mean(tf.softplus(tf.neg(logits))) as tf.Scalar;
          }, vars);
          loss = value;
          opt.step(t, grads);
        },
        () => loss!,
        [
          ...vars,
          ...modelVars(reference),
          ch.ids,
          ch.onehot,
          ch.mask,
          rj.ids,
          rj.onehot,
          rj.mask,
          ...opt.state.flatMap((x) => [x.m, x.v]),
        ],
      );
    },
    async distill() {
      const ts = DISTILL.teacher;
      const ss = DISTILL.student;
      const teacher = model(ts, 3, false);
      const student = model(ss, 4, true);
      const b = tokenBatch(ts, 21);
      const ids = tf.tensor1d(b.windows, 'int32');
      const mask = tf.tensor1d(b.mask);
      const vars = modelVars(student);
      const opt = adamw(vars);
      let t = 0;
      let loss: tf.Tensor | null = null;
      return runner(
        () => {
          t++;
          loss?.dispose();
          const { value, grads } = tf.variableGrads(() => {
            const tl = tf.logSoftmax(forward(ts, teacher, ids));
            const sl = tf.logSoftmax(forward(ss, student, ids));
            const kl = tf.sum(tf.mul(tf.exp(tl), tf.sub(tl, sl)), 1);
            return tf.div(tf.sum(tf.mul(kl, mask)), tf.sum(mask)) as tf.Scalar;
          }, vars);
          loss = value;
          opt.step(t, grads);
        },
        () => loss!,
        [...vars, ...modelVars(teacher), ids, mask, ...opt.state.flatMap((x) => [x.m, x.v])],
      );
    },
    async diffusion() {
      const s = DENOISER;
      const IN = 2 + 2 * s.F;
      const init = denoiserInit(s, 5);
      const layers = init.map((l) => ({
        w: tf.variable(tf.tensor2d(l.w, [l.w.length / l.b.length, l.b.length])),
        b: tf.variable(tf.tensor1d(l.b)),
      }));
      const batch = denoiserBatch(s, 9);
      const x = tf.tensor2d(batch.input, [s.N, IN]);
      const eps = tf.tensor2d(batch.eps, [s.N, 2]);
      const vars = layers.flatMap((l) => [l.w, l.b]);
      const opt = adamw(vars);
      const silu = (h: tf.Tensor) => tf.mul(h, tf.sigmoid(h));
      let t = 0;
      let loss: tf.Tensor | null = null;
      return runner(
        () => {
          t++;
          loss?.dispose();
          const { value, grads } = tf.variableGrads(
            () => tf.mean(tf.square(tf.sub(mlp(x, layers, silu), eps))) as tf.Scalar,
            vars,
          );
          loss = value;
          opt.step(t, grads);
        },
        () => loss!,
        [...vars, x, eps, ...opt.state.flatMap((x) => [x.m, x.v])],
      );
    },
  };
}
