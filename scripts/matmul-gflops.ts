// Square f32 matmul throughput on the Dawn backend at 256, 512 and 1024 (run: npx tsx scripts/matmul-gflops.ts).

import { createNodeWebGPUBackend } from '../src/engine/node';
import { MATMUL_VARIANT, matmul, type MatmulVariant } from '../src/engine/webgpu/kernels/matmul';

const SIZES = [256, 512, 1024];
const REPEATS = 5;
/** Aim for about this long per timed batch, so that the one sync at its end is noise. */
const TARGET_MS = 400;

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const be = await createNodeWebGPUBackend();
  const { vendor, architecture, description } = be.info;
  console.log(`adapter: ${vendor} ${architecture} ${description}`.trim());
  // The default kernel first, then the other one for comparison.
  const variants: MatmulVariant[] = MATMUL_VARIANT === 'register' ? ['register', 'tiled'] : ['tiled', 'register'];
  for (const variant of variants) {
    for (const n of SIZES) {
      const data = (seed: number) => Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 0.37 + seed));
      const a = be.tensor([n, n], { data: data(1), label: 'a' });
      const b = be.tensor([n, n], { data: data(2), label: 'b' });
      const c = be.tensor([n, n], { label: 'c' });
      const dims = { M: n, K: n, N: n };
      const run = () => matmul(be.ctx, c, a, b, dims, null, variant);
      // Warm up (pipeline compilation, bind group) and estimate one dispatch to size the timed batches.
      run();
      await be.sync();
      let t0 = performance.now();
      run();
      await be.sync();
      const once = Math.max(performance.now() - t0, 0.01);
      const count = Math.max(1, Math.min(200, Math.round(TARGET_MS / once)));
      const rates: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        t0 = performance.now();
        for (let i = 0; i < count; i++) run();
        await be.sync();
        rates.push((2 * n ** 3 * count) / ((performance.now() - t0) / 1000) / 1e9);
      }
      const tag = variant === MATMUL_VARIANT ? `${variant} (default)` : variant;
      console.log(
        `${tag} ${n}x${n}x${n}: ${median(rates).toFixed(2)} GFLOP/s ` +
          `(median of ${REPEATS} batches of ${count} dispatches, one sync each; ` +
          `min ${Math.min(...rates).toFixed(2)}, max ${Math.max(...rates).toFixed(2)})`,
      );
      for (const t of [a, b, c]) be.release(t);
    }
  }
  be.destroy();
}

await main();
