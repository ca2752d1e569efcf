// Matmul variant autotune: at start-up, time both entry points of shaders/matmul.wgsl on one 256^3 product and keep
// the faster for this adapter. Short (a few dispatches of each), cached per adapter for the page or process.

import type { MatmulVariant } from './kernels/matmul';
import { MATMUL_VARIANT, matmul } from './kernels/matmul';
import type { WebGPUBackend } from './backend';

export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['register', 'tiled'];

export interface MatmulTune {
  variant: MatmulVariant;
  /** Median GFLOP/s of each variant on the tuning problem (empty when taken from the cache or the default). */
  gflops: Partial<Record<MatmulVariant, number>>;
  /** Problem size n of the n^3 product timed. */
  n: number;
  source: 'autotune' | 'cache' | 'default';
}

/**
 * The faster variant by median rate; the default unless another is faster by more than `margin` (5%): a near tie
 * is noise, and the default is the one the kernel tests pin. Non-finite or missing rates never win.
 */
export function chooseMatmulVariant(
  gflops: Partial<Record<MatmulVariant, number>>,
  fallback: MatmulVariant = MATMUL_VARIANT,
  margin = 0.05,
): MatmulVariant {
  const base = gflops[fallback];
  let best = fallback;
  let bestRate = base !== undefined && Number.isFinite(base) ? base : 0;
  for (const v of MATMUL_VARIANTS) {
    const r = gflops[v];
    if (v === fallback || r === undefined || !Number.isFinite(r) || r <= 0) continue;
    if (r > bestRate * (1 + margin)) {
      best = v;
      bestRate = r;
    }
  }
  return best;
}

/** The cache key of an adapter: what identifies the same GPU and driver. */
export function adapterKey(info: { vendor: string; architecture: string; description: string }): string {
  return `${info.vendor}|${info.architecture}|${info.description}`;
}

const cache = new Map<string, MatmulVariant>();

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

/**
 * Time both variants on an n^3 product (3 batches of `batch` dispatches each, one sync per batch, after a warm-up),
 * set the faster on the backend's context and record the choice in its info. Cached per adapter.
 */
export async function autotuneMatmul(
  be: WebGPUBackend,
  opts: { n?: number; batch?: number } = {},
): Promise<MatmulTune> {
  const n = opts.n ?? 256;
  const batch = opts.batch ?? 3;
  const key = adapterKey(be.info);
  const cached = cache.get(key);
  let tune: MatmulTune;
  if (cached) {
    tune = { variant: cached, gflops: {}, n, source: 'cache' };
  } else {
    const data = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 0.37));
    const a = be.tensor([n, n], { data, label: 'autotune:a' });
    const b = be.tensor([n, n], { data, label: 'autotune:b' });
    const c = be.tensor([n, n], { label: 'autotune:c' });
    const gflops: Partial<Record<MatmulVariant, number>> = {};
    try {
      for (const v of MATMUL_VARIANTS) {
        matmul(be.ctx, c, a, b, { M: n, K: n, N: n }, null, v); // warm-up: pipeline compilation
        await be.sync();
      }
      const rates: Record<MatmulVariant, number[]> = { register: [], tiled: [] };
      // Interleaved, so that a slow phase of a shared machine hits both variants alike.
      for (let r = 0; r < 3; r++) {
        for (const v of MATMUL_VARIANTS) {
          const t0 = performance.now();
          for (let i = 0; i < batch; i++) matmul(be.ctx, c, a, b, { M: n, K: n, N: n }, null, v);
          await be.sync();
          const s = Math.max(performance.now() - t0, 1e-3) / 1000;
          rates[v].push((2 * n ** 3 * batch) / s / 1e9);
        }
      }
      for (const v of MATMUL_VARIANTS) gflops[v] = median(rates[v]);
    } finally {
      for (const t of [a, b, c]) be.release(t);
    }
    tune = { variant: chooseMatmulVariant(gflops), gflops, n, source: 'autotune' };
    cache.set(key, tune.variant);
  }
  be.ctx.matmulVariant = tune.variant;
  be.info.matmul = { variant: tune.variant, gflops: { ...tune.gflops } as Record<string, number>, source: tune.source };
  return tune;
}
