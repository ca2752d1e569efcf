// jax-js (webgpu device) as a benchmark Library: the same problems in jax-js numpy, each training step one jit of
// valueAndGrad + AdamW. jax-js frees unsubmitted work when its result is disposed, so every timed result is realized.

import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
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

type Arr = np.Array;
/** Flat parameter list: [embed?, w0, b0, w1, b1, ...]. */
type Params = Arr[];

export interface JaxOptions {
  name?: string;
  /** Embedding lookup: np.take (a gather; its gradient is a scatter, which jit cannot compile) or a one-hot matmul. */
  embed?: 'take' | 'onehot';
  /** Compile each training step with jit (falls back to eager when jit fails). */
  jit?: boolean;
}

export async function jaxLibrary(opts: JaxOptions = {}): Promise<Library> {
  const embedMode = opts.embed ?? 'onehot';
  const useJit = opts.jit ?? true;
  const devices = await init('webgpu');
  if (!devices.includes('webgpu')) throw new Error('jax-js: no webgpu device');
  defaultDevice('webgpu');

  const f32 = (data: Float32Array, shape: number[]) => np.array(data).reshape(shape);
  const tokenParams = (s: TokenMlpSize, seed: number): Params => {
    const init = tokenMlpInit(s, seed);
    return [
      f32(init.embed, [s.V + 1, s.E]),
      ...init.layers.flatMap((l) => [f32(l.w, [l.w.length / l.b.length, l.b.length]), f32(l.b, [l.b.length])]),
    ];
  };
  /** MLP over h with layers from P[first..]; consumes h and those entries. */
  const mlp = (h: Arr, P: Params, first: number, act: (x: Arr) => Arr): Arr => {
    const L = (P.length - first) / 2;
    for (let i = 0; i < L; i++) {
      h = np.matmul(h, P[first + 2 * i]).add(P[first + 2 * i + 1]);
      if (i < L - 1) h = act(h);
    }
    return h;
  };
  /** Logits [B*T, V]; consumes P and ids. */
  const forward = (s: TokenMlpSize, P: Params, ids: Arr): Arr => {
    const x = embedMode === 'take' ? np.take(P[0], ids, 0) : np.matmul(nn.oneHot(ids, s.V + 1), P[0]);
    return mlp(x.reshape([s.B * s.T, s.C * s.E]), P, 1, nn.relu);
  };
  const seqLogps = (s: TokenMlpSize, logits: Arr, onehot: Arr, mask: Arr): Arr =>
    nn.logSoftmax(logits, -1).mul(onehot).sum(-1).reshape([s.B, s.T]).mul(mask).sum(1);

  /** AdamW on flat lists; consumes everything; returns [params, m, v]. */
  const adamw = (P: Params, G: Params, M: Params, V: Params, t: Arr): [Params, Params, Params] => {
    const { lr, beta1, beta2, eps, weightDecay } = ADAMW;
    const bc1 = np
      .exp(t.ref.mul(Math.log(beta1)))
      .mul(-1)
      .add(1);
    const bc2 = np
      .exp(t.mul(Math.log(beta2)))
      .mul(-1)
      .add(1);
    const outP: Params = [];
    const outM: Params = [];
    const outV: Params = [];
    P.forEach((p, i) => {
      const g = G[i];
      const m = M[i].mul(beta1).add(g.ref.mul(1 - beta1));
      const v = V[i].mul(beta2).add(np.square(g).mul(1 - beta2));
      const upd = m.ref.div(bc1.ref).div(np.sqrt(v.ref.div(bc2.ref)).add(eps));
      outP.push(p.mul(1 - lr * weightDecay).sub(upd.mul(lr)));
      outM.push(m);
      outV.push(v);
    });
    bc1.dispose();
    bc2.dispose();
    return [outP, outM, outV];
  };

  /**
   * A training loop: state = step(state, t, consts); k steps, then the final parameters are awaited. `loss` maps
   * (params, consts) to a scalar, differentiated w.r.t. params.
   */
  const trainer = (P0: Params, consts: Arr[], loss: (P: Params, consts: Arr[]) => Arr): Runner => {
    const body = (P: Params, M: Params, V: Params, t: Arr, consts: Arr[]) => {
      const [value, G] = valueAndGrad(loss)(tree.ref(P), consts);
      const [P2, M2, V2] = adamw(P, G, M, V, t);
      return [value, P2, M2, V2] as [Arr, Params, Params, Params];
    };
    const step = useJit ? jit(body) : Object.assign(body, { dispose() {} });
    let P = P0;
    let M = P0.map((p) => np.zerosLike(p.ref));
    let V = P0.map((p) => np.zerosLike(p.ref));
    let t = 0;
    return {
      async run(k) {
        for (let i = 0; i < k; i++) {
          t++;
          const [value, P2, M2, V2] = step(P, M, V, np.array([t]), tree.ref(consts));
          value.dispose();
          [P, M, V] = [P2, M2, V2];
        }
        // Realize the chain: every step's parameters feed the next, so this submits and awaits all k steps.
        await blockUntilReady([P, M, V]);
      },
      release() {
        tree.dispose([P, M, V, consts]);
        step.dispose();
      },
    };
  };

  const tokens = (s: TokenMlpSize, seed: number): Arr[] => {
    const b = tokenBatch(s, seed);
    return [
      np.array(b.windows, { dtype: np.int32 }),
      nn.oneHot(np.array(b.targets, { dtype: np.int32 }), s.V),
      f32(b.mask, [s.B, s.T]),
    ];
  };

  return {
    name: opts.name ?? 'jax-js',
    async matmul(M, K, N) {
      const a = f32(matrix(M * K, 1), [M, K]);
      const b = f32(matrix(K * N, 2), [K, N]);
      return {
        async run(k) {
          const outs: Arr[] = [];
          const done: Promise<unknown>[] = [];
          for (let i = 0; i < k; i++) {
            const c = np.matmul(a.ref, b.ref);
            done.push(c.ref.blockUntilReady()); // submit now; awaited together below
            outs.push(c);
          }
          await Promise.all(done);
          tree.dispose(outs);
        },
        release() {
          a.dispose();
          b.dispose();
        },
      };
    },
    async dpo(s) {
      const policy = tokenParams(s, 1);
      const reference = tokenParams(s, 1);
      const consts = [...reference, ...tokens(s, 11), ...tokens(s, 12)];
      const R = reference.length;
      return trainer(policy, consts, (P, c) => {
        const ref = c.slice(0, R);
        const [cIds, cHot, cMask, rIds, rHot, rMask] = c.slice(R);
        const pc = seqLogps(s, forward(s, tree.ref(P), cIds.ref), cHot.ref, cMask.ref);
        const pr = seqLogps(s, forward(s, P, rIds.ref), rHot.ref, rMask.ref);
        const rc = seqLogps(s, forward(s, tree.ref(ref), cIds), cHot, cMask);
        const rr = seqLogps(s, forward(s, ref, rIds), rHot, rMask);
        return nn
          .logSigmoid(pc.sub(rc).sub(pr.sub(rr)).mul(DPO_BETA))
          .mean()
          .mul(-1);
      });
    },
    async distill() {
      const ts = DISTILL.teacher;
      const ss = DISTILL.student;
      const teacher = tokenParams(ts, 3);
      const student = tokenParams(ss, 4);
      const b = tokenBatch(ts, 21);
      const consts = [...teacher, np.array(b.windows, { dtype: np.int32 }), f32(b.mask, [ts.B * ts.T])];
      const R = teacher.length;
      return trainer(student, consts, (P, c) => {
        const [ids, mask] = c.slice(R);
        const tl = nn.logSoftmax(forward(ts, c.slice(0, R), ids.ref), -1);
        const sl = nn.logSoftmax(forward(ss, P, ids), -1);
        const kl = np.exp(tl.ref).mul(tl.sub(sl)).sum(-1);
        return kl.mul(mask.ref).sum().div(mask.sum());
      });
    },
    async diffusion() {
      const s = DENOISER;
      const IN = 2 + 2 * s.F;
      const init = denoiserInit(s, 5);
      const P = init.flatMap((l) => [f32(l.w, [l.w.length / l.b.length, l.b.length]), f32(l.b, [l.b.length])]);
      const batch = denoiserBatch(s, 9);
      const consts = [f32(batch.input, [s.N, IN]), f32(batch.eps, [s.N, 2])];
      return trainer(P, consts, (W, [x, eps]) => np.square(mlp(x, W, 0, nn.silu).sub(eps)).mean());
    },
  };
}
