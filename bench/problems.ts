// The benchmark problems, shared by every library: sizes and deterministic data, so that all run the same math.

export interface TokenMlpSize {
  name: string;
  /** Pairs (DPO) or sequences (distillation). */
  B: number;
  T: number;
  V: number;
  /** Window length and embedding width. */
  C: number;
  E: number;
  width: number;
  depth: number;
}

export interface DenoiserSize {
  name: string;
  /** Points per batch. */
  N: number;
  /** Sinusoidal time features: sin and cos at F frequencies. */
  F: number;
  width: number;
  depth: number;
}

export const MATMUL_SIZES: readonly { name: string; M: number; K: number; N: number }[] = [
  { name: '128', M: 128, K: 128, N: 128 },
  { name: '256', M: 256, K: 256, N: 256 },
  { name: '512', M: 512, K: 512, N: 512 },
  { name: '1024', M: 1024, K: 1024, N: 1024 },
  { name: 'skinny 4096x64@64x4096', M: 4096, K: 64, N: 4096 },
];

export const DPO_SIZES: readonly TokenMlpSize[] = [
  { name: 'small', B: 4, T: 16, V: 32, C: 4, E: 16, width: 64, depth: 1 },
  { name: 'large', B: 8, T: 32, V: 64, C: 4, E: 32, width: 256, depth: 2 },
];

/** Distillation: a larger teacher and a smaller student over the same windows. */
export const DISTILL = {
  teacher: { name: 'teacher', B: 8, T: 32, V: 64, C: 4, E: 32, width: 256, depth: 2 } as TokenMlpSize,
  student: { name: 'student', B: 8, T: 32, V: 64, C: 4, E: 16, width: 64, depth: 1 } as TokenMlpSize,
};

export const DENOISER: DenoiserSize = { name: 'denoiser', N: 256, F: 8, width: 128, depth: 2 };

export const DPO_BETA = 0.1;
export const ADAMW = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** A small deterministic generator (mulberry32): the same data in every library. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normals(n: number, seed: number, scale = 1): Float32Array {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    out[i] = scale * r;
  }
  return out;
}

/** Token sequences [B, T] and their BOS-padded windows [B*T, C] (BOS = V), targets [B*T], mask [B*T]. */
export function tokenBatch(
  s: TokenMlpSize,
  seed: number,
): { windows: Int32Array; targets: Int32Array; mask: Float32Array } {
  const u = rng(seed);
  const { B, T, V, C } = s;
  const tokens = Int32Array.from({ length: B * T }, () => Math.floor(u() * V));
  const windows = new Int32Array(B * T * C);
  const mask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    // Ragged lengths: the last quarter of some sequences is padding.
    const len = b % 2 === 0 ? T : T - Math.floor(T / 4);
    for (let t = 0; t < T; t++) {
      mask[b * T + t] = t < len ? 1 : 0;
      for (let j = 0; j < C; j++) {
        const p = t - C + j;
        windows[(b * T + t) * C + j] = p < 0 ? V : tokens[b * T + p];
      }
    }
  }
  return { windows, targets: tokens, mask };
}

/** Layer shapes [in, out] of an MLP. */
export function layerShapes(IN: number, width: number, depth: number, OUT: number): [number, number][] {
  const dims = [IN, ...Array<number>(depth).fill(width), OUT];
  return dims.slice(1).map((o, i) => [dims[i], o]);
}

/** Initial weights of a token-MLP: embed [V+1, E] and per layer w [in, out] ~ N(0, 1/in), b = 0. */
export function tokenMlpInit(
  s: TokenMlpSize,
  seed: number,
): { embed: Float32Array; layers: { w: Float32Array; b: Float32Array }[] } {
  const embed = normals((s.V + 1) * s.E, seed);
  const layers = layerShapes(s.C * s.E, s.width, s.depth, s.V).map(([i, o], l) => ({
    w: normals(i * o, seed * 31 + l + 1, 1 / Math.sqrt(i)),
    b: new Float32Array(o),
  }));
  return { embed, layers };
}

/** A diffusion batch: inputs [N, 2 + 2F] = (x_t, sin/cos time features) and the noise target [N, 2]. */
export function denoiserBatch(s: DenoiserSize, seed: number): { input: Float32Array; eps: Float32Array } {
  const u = rng(seed);
  const IN = 2 + 2 * s.F;
  const input = new Float32Array(s.N * IN);
  const eps = normals(s.N * 2, seed + 7);
  for (let n = 0; n < s.N; n++) {
    const t = u();
    const abar = Math.cos((t * Math.PI) / 2) ** 2;
    // x0 on two rings, noised: x_t = sqrt(abar) x0 + sqrt(1 - abar) eps.
    const ang = 2 * Math.PI * u();
    const r = n % 2 === 0 ? 1 : 2;
    const x0 = [r * Math.cos(ang), r * Math.sin(ang)];
    for (let d = 0; d < 2; d++) input[n * IN + d] = Math.sqrt(abar) * x0[d] + Math.sqrt(1 - abar) * eps[n * 2 + d];
    for (let f = 0; f < s.F; f++) {
      input[n * IN + 2 + 2 * f] = Math.sin(t * 2 ** f);
      input[n * IN + 3 + 2 * f] = Math.cos(t * 2 ** f);
    }
  }
  return { input, eps };
}

export function denoiserInit(s: DenoiserSize, seed: number): { w: Float32Array; b: Float32Array }[] {
  return layerShapes(2 + 2 * s.F, s.width, s.depth, 2).map(([i, o], l) => ({
    w: normals(i * o, seed * 17 + l + 1, 1 / Math.sqrt(i)),
    b: new Float32Array(o),
  }));
}

export function matrix(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
}

/** The leak and readback check: a tiny DPO step, so that 10k steps stay short even on a CPU emulation. */
export const LEAK_DPO: TokenMlpSize = { name: 'tiny', B: 2, T: 8, V: 16, C: 2, E: 8, width: 16, depth: 1 };
