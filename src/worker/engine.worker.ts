// The engine worker: owns the GPU device (or the CPU fallback) and answers the UI thread through comlink.
import { expose } from 'comlink';
import type { Backend, TypedArray } from '../engine/backend';
import { createBrowserBackend } from '../engine/browser';
import { CpuBackend } from '../engine/cpu/backend';
import { Philox } from '../engine/rng';
import type { EngineApi, SelfTestResult } from './protocol';

const SELF_TEST = { M: 64, K: 64, N: 64, rtol: 2e-4, atol: 2e-5 };

let deviceError: Error | null = null;
let backendPromise: Promise<Backend> | null = null;

function backend(): Promise<Backend> {
  backendPromise ??= createBrowserBackend().then((be) => {
    be.onDeviceError((err) => (deviceError = err));
    return be;
  });
  return backendPromise;
}

async function matmulOn(be: Backend, a: Float32Array, b: Float32Array): Promise<TypedArray> {
  const { M, K, N } = SELF_TEST;
  const ta = be.tensor([M, K], { data: a, label: 'self-test:a' });
  const tb = be.tensor([K, N], { data: b, label: 'self-test:b' });
  const tc = be.tensor([M, N], { label: 'self-test:c' });
  try {
    be.matmul(tc, ta, tb, { M, K, N });
    return await be.read(tc);
  } finally {
    for (const t of [ta, tb, tc]) be.release(t);
  }
}

const api: EngineApi = {
  async probe() {
    return (await backend()).info;
  },

  async selfTest(): Promise<SelfTestResult> {
    const be = await backend();
    if (deviceError) throw deviceError;
    const { M, K, N, rtol, atol } = SELF_TEST;
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    const rng = new Philox(seed, 0);
    const a = Float32Array.from({ length: M * K }, () => rng.normal());
    const b = Float32Array.from({ length: K * N }, () => rng.normal());
    const want = await matmulOn(new CpuBackend('self-test reference'), a, b);
    const t0 = performance.now();
    const got = await matmulOn(be, a, b);
    const ms = performance.now() - t0;
    if (deviceError) throw deviceError;
    let maxError = 0;
    let passed = got.length === want.length;
    for (let i = 0; i < want.length; i++) {
      const err = Math.abs(got[i] - want[i]);
      // A NaN from the device must fail the check, hence the negated comparison.
      if (!(err <= atol + rtol * Math.abs(want[i]))) passed = false;
      maxError = Math.max(maxError, Number.isNaN(err) ? Infinity : err);
    }
    return { kind: be.kind, M, K, N, maxError, rtol, atol, passed, ms, seed };
  },
};

expose(api);
