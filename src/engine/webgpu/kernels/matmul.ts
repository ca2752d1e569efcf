// Encoder for shaders/matmul.wgsl: c (+)= op(a) op(b) (+ bias) over a 2D grid of 64x64 output tiles.

import type { MatmulDims, Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';

export type MatmulVariant = 'tiled' | 'register';

/**
 * Which entry point runs: 'register' streams operands from storage with no barriers, 'tiled' stages K slices in
 * workgroup memory. Measured with scripts/matmul-gflops.ts on SwiftShader (2 shared cores, square f32, GFLOP/s at
 * 256/512/1024): register 2.6/3.3/3.2, tiled 1.5/2.0/2.3; per CPU-second (steadier under load) 2.0 vs 1.1. There
 * every storage or workgroup load is a per-lane gather and every barrier a fiber switch, so staging through
 * workgroup memory only adds work; 8x8 blocks beat 4x4 (0.9) and 8x4 (1.2) by loading less per fma. Real GPUs
 * will likely prefer 'tiled': an adapter autotune (webgpu/autotune.ts) sets `ctx.matmulVariant` per device.
 */
export const MATMUL_VARIANT: MatmulVariant = 'register';

/** Invocations per workgroup along N and M (each computes 8x8, so tiles are 64x64), and the K slice of 'tiled'. */
const WG_X = 8;
const WG_Y = 8;
const TK = 16;
const MAX_GROUPS = 65535;

function check(t: Tensor, need: number, what: string): void {
  if (t.size < need) throw new Error(`matmul: ${what} ${t.label} has ${t.size} elements, needs ${need}`);
}

/**
 * c[M,N] (+)= op(a) op(b), plus bias[N] on every row when given (linear's forward), by the adapter's entry point
 * unless one is chosen (tests and the benchmark run both).
 */
export function matmul(
  ctx: GpuContext,
  c: Tensor,
  a: Tensor,
  b: Tensor,
  dims: MatmulDims,
  bias: Tensor | null = null,
  variant: MatmulVariant = ctx.matmulVariant ?? MATMUL_VARIANT,
): void {
  const { M, K, N, transA = false, transB = false, accumulate = false } = dims;
  check(c, M * N, 'c');
  check(a, M * K, 'a');
  check(b, K * N, 'b');
  if (bias) check(bias, N, 'bias');
  const gx = Math.ceil(N / (8 * WG_X));
  const gy = Math.ceil(M / (8 * WG_Y));
  if (gx > MAX_GROUPS || gy > MAX_GROUPS)
    throw new Error(`matmul: ${M}x${N} needs more than ${MAX_GROUPS} tiles along a side`);
  ctx.dispatch({
    shader: 'matmul',
    entry: variant === 'tiled' ? 'main_tiled' : 'main',
    constants: {
      TRANS_A: +transA,
      TRANS_B: +transB,
      ACCUMULATE: +accumulate,
      BIAS: +(bias !== null),
      WG_X,
      WG_Y,
      ...(variant === 'tiled' ? { TK } : {}),
    },
    params: packParams([
      ['u32', M],
      ['u32', K],
      ['u32', N],
    ]),
    bindings: [c, a, b, bias ?? ctx.scratch('matmul:no-bias', 1)],
    workgroups: [gx, gy],
  });
}
