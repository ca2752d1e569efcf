// The points2d world: 2D data distributions with known modes, the diffusion noise schedule and the host-side
// diversity measures (mode shares and coverage, energy distance, a nearest-neighbour entropy estimate).

import { Philox } from '../../engine/rng';
import type { Points2dWorld } from '../config';
import { STREAM } from '../streams';

export interface Points2dData {
  /** Training set [N, 2]. */
  data: Float32Array;
  N: number;
  /** One representative point per mode [M, 2] (a Gaussian's center, a square's center, a curve's midpoint). */
  centers: Float32Array;
  M: number;
  /** Short names of the modes, for the UI. */
  modeNames: string[];
  /** The mode a point belongs to, -1 when it lies in none (between modes). */
  modeOf(x: number, y: number): number;
  /** Share of the training set in each mode [M]. */
  dataShares: Float64Array;
}

function gaussians(w: Points2dWorld, centers: [number, number][], rng: Philox): Omit<Points2dData, 'dataShares'> {
  const data = new Float32Array(w.samples * 2);
  for (let i = 0; i < w.samples; i++) {
    const [cx, cy] = centers[rng.int(centers.length)];
    data[2 * i] = cx + w.spread * rng.normal();
    data[2 * i + 1] = cy + w.spread * rng.normal();
  }
  // A point belongs to its nearest center when within 4 std (and within half the gap to the next center).
  let gap = Infinity;
  for (let a = 0; a < centers.length; a++)
    for (let b = a + 1; b < centers.length; b++)
      gap = Math.min(gap, Math.hypot(centers[a][0] - centers[b][0], centers[a][1] - centers[b][1]));
  const radius = Math.min(4 * w.spread, gap / 2);
  return {
    data,
    N: w.samples,
    centers: Float32Array.from(centers.flat()),
    M: centers.length,
    modeNames: centers.map((_, i) => `${i + 1}`),
    modeOf(x, y) {
      let best = -1;
      let bestD = radius;
      centers.forEach(([cx, cy], i) => {
        const d = Math.hypot(x - cx, y - cy);
        if (d <= bestD) {
          best = i;
          bestD = d;
        }
      });
      return best;
    },
  };
}

/** Points on curves (one mode per curve): `curve(mode, u)` for u in [0, 1]. */
function curves(
  w: Points2dWorld,
  names: string[],
  curve: (mode: number, u: number) => [number, number],
  rng: Philox,
): Omit<Points2dData, 'dataShares'> {
  const M = names.length;
  const data = new Float32Array(w.samples * 2);
  for (let i = 0; i < w.samples; i++) {
    const [x, y] = curve(rng.int(M), rng.uniform());
    data[2 * i] = x + w.spread * rng.normal();
    data[2 * i + 1] = y + w.spread * rng.normal();
  }
  const A = 64;
  const anchors = Array.from({ length: M * A }, (_, k) => curve(Math.floor(k / A), (k % A) / (A - 1)));
  const radius = 4 * w.spread + 0.05;
  return {
    data,
    N: w.samples,
    centers: Float32Array.from(names.flatMap((_, m) => curve(m, 0.5))),
    M,
    modeNames: names,
    modeOf(x, y) {
      let best = -1;
      let bestD = radius;
      anchors.forEach(([ax, ay], k) => {
        const d = Math.hypot(x - ax, y - ay);
        if (d <= bestD) {
          best = Math.floor(k / A);
          bestD = d;
        }
      });
      return best;
    },
  };
}

/** The world's distribution and its training set, drawn from the world's Philox stream. */
export function makePoints2d(w: Points2dWorld, seed: number): Points2dData {
  const rng = new Philox(seed, STREAM.points2dData);
  let d: Omit<Points2dData, 'dataShares'>;
  switch (w.shape) {
    case 'ring8':
      d = gaussians(
        w,
        Array.from({ length: 8 }, (_, k) => [2 * Math.cos((2 * Math.PI * k) / 8), 2 * Math.sin((2 * Math.PI * k) / 8)]),
        rng,
      );
      break;
    case 'grid25':
      d = gaussians(
        w,
        Array.from({ length: 25 }, (_, k) => [(k % 5) - 2, Math.floor(k / 5) - 2]),
        rng,
      );
      break;
    case 'points':
      d = gaussians(
        w,
        (w.points ?? []).map(([x, y]) => [x, y]),
        rng,
      );
      break;
    case 'moons':
      // sklearn's two moons, centered and scaled to about [-2, 2].
      d = curves(
        w,
        ['upper moon', 'lower moon'],
        (m, u) => {
          const a = Math.PI * u;
          return m === 0
            ? [1.5 * (Math.cos(a) - 0.5), 1.5 * (Math.sin(a) - 0.25)]
            : [1.5 * (0.5 - Math.cos(a)), 1.5 * (0.25 - Math.sin(a))];
        },
        rng,
      );
      break;
    case 'spirals':
      d = curves(
        w,
        ['spiral A', 'spiral B'],
        (m, u) => {
          const a = Math.PI * (0.5 + 2.5 * u);
          const r = (2.2 * a) / (3 * Math.PI);
          const s = m === 0 ? 1 : -1;
          return [s * r * Math.cos(a), s * r * Math.sin(a)];
        },
        rng,
      );
      break;
    case 'checkerboard': {
      // The 8 dark squares of a 4x4 board over [-2, 2]^2, uniform inside each.
      const squares = Array.from({ length: 16 }, (_, k) => [k % 4, Math.floor(k / 4)]).filter(
        ([i, j]) => (i + j) % 2 === 0,
      );
      const data = new Float32Array(w.samples * 2);
      for (let n = 0; n < w.samples; n++) {
        const [i, j] = squares[rng.int(squares.length)];
        data[2 * n] = i - 2 + rng.uniform();
        data[2 * n + 1] = j - 2 + rng.uniform();
      }
      d = {
        data,
        N: w.samples,
        centers: Float32Array.from(squares.flatMap(([i, j]) => [i - 1.5, j - 1.5])),
        M: squares.length,
        modeNames: squares.map(([i, j]) => `square ${i},${j}`),
        modeOf(x, y) {
          const i = Math.floor(x + 2);
          const j = Math.floor(y + 2);
          return squares.findIndex(([a, b]) => a === i && b === j);
        },
      };
      break;
    }
  }
  return { ...d, dataShares: modeShares(d, d.data) };
}

/** Share of the points [n, 2] in each mode [M] (points between modes count in none). */
export function modeShares(d: Pick<Points2dData, 'M' | 'modeOf'>, points: Float32Array): Float64Array {
  const n = points.length / 2;
  const shares = new Float64Array(d.M);
  for (let i = 0; i < n; i++) {
    const m = d.modeOf(points[2 * i], points[2 * i + 1]);
    if (m >= 0) shares[m] += 1 / n;
  }
  return shares;
}

/** Modes holding at least `threshold` times their data share. */
export function modesCovered(shares: Float64Array, dataShares: Float64Array, threshold: number): number {
  let covered = 0;
  shares.forEach((s, m) => {
    if (s >= threshold * dataShares[m] && dataShares[m] > 0) covered++;
  });
  return covered;
}

/** At most `max` points of a [n, 2] set, evenly strided (the O(n^2) measures stay fast). */
function thin(points: Float32Array, max: number): Float32Array {
  const n = points.length / 2;
  if (n <= max) return points;
  const out = new Float32Array(max * 2);
  for (let i = 0; i < max; i++) {
    const j = Math.floor((i * n) / max);
    out[2 * i] = points[2 * j];
    out[2 * i + 1] = points[2 * j + 1];
  }
  return out;
}

/** Mean |a_i - b_j| over all pairs; within one set (`same`), over the pairs i != j (the U-statistic). */
function meanDistance(a: Float32Array, b: Float32Array, same = false): number {
  let s = 0;
  const na = a.length / 2;
  const nb = b.length / 2;
  for (let i = 0; i < na; i++)
    for (let j = 0; j < nb; j++) s += Math.hypot(a[2 * i] - b[2 * j], a[2 * i + 1] - b[2 * j + 1]);
  return s / (same ? na * (na - 1) : na * nb);
}

/**
 * Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (Szekely), unbiased: the within-set means leave out each
 * point's zero distance to itself, so two samples of one distribution give 0 on average (the biased form does not).
 */
export function energyDistance(x: Float32Array, y: Float32Array, max = 1024): number {
  const a = thin(x, max);
  const b = thin(y, max);
  return 2 * meanDistance(a, b) - meanDistance(a, a, true) - meanDistance(b, b, true);
}

/** Squared distance of each point of p to its k-th nearest other point of p. */
function kthNeighbour2(p: Float32Array, k: number): Float64Array {
  const n = p.length / 2;
  const out = new Float64Array(n);
  const best = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = (p[2 * i] - p[2 * j]) ** 2 + (p[2 * i + 1] - p[2 * j + 1]) ** 2;
      if (d >= best[k - 1]) continue;
      // Insertion into the k smallest so far, kept sorted.
      let m = k - 1;
      while (m > 0 && best[m - 1] > d) {
        best[m] = best[m - 1];
        m--;
      }
      best[m] = d;
    }
    out[i] = best[k - 1];
  }
  return out;
}

/** Share of the points of `q` inside the union of the balls around the points of `p` with radii r2 (squared). */
function coveredShare(q: Float32Array, p: Float32Array, r2: Float64Array): number {
  const nq = q.length / 2;
  const np = p.length / 2;
  let inside = 0;
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < np; j++) {
      if ((q[2 * i] - p[2 * j]) ** 2 + (q[2 * i + 1] - p[2 * j + 1]) ** 2 <= r2[j]) {
        inside++;
        break;
      }
    }
  }
  return nq > 0 ? inside / nq : 0;
}

/**
 * k-NN manifold precision and recall (Kynkaanniemi et al. 2019): each set's manifold is the union of balls
 * reaching each of its points' k-th nearest neighbour; precision is the share of generated samples on the data's
 * manifold (sharp samples), recall the share of data points on the samples' manifold (coverage).
 */
export function precisionRecall(
  generated: Float32Array,
  data: Float32Array,
  k = 3,
  max = 1024,
): { precision: number; recall: number } {
  const g = thin(generated, max);
  const d = thin(data, max);
  if (g.length / 2 <= k || d.length / 2 <= k) return { precision: NaN, recall: NaN };
  return {
    precision: coveredShare(g, d, kthNeighbour2(d, k)),
    recall: coveredShare(d, g, kthNeighbour2(g, k)),
  };
}

/**
 * Kozachenko-Leonenko entropy estimate (nats) from nearest-neighbour distances in 2D:
 * H = psi(n) - psi(1) + log(pi) + (2 / n) sum_i log r_i.
 */
export function entropyEstimate(points: Float32Array, max = 1024): number {
  const p = thin(points, max);
  const n = p.length / 2;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let r = Infinity;
    for (let j = 0; j < n; j++) {
      if (j !== i) r = Math.min(r, Math.hypot(p[2 * i] - p[2 * j], p[2 * i + 1] - p[2 * j + 1]));
    }
    s += Math.log(Math.max(r, 1e-12));
  }
  const EULER = 0.5772156649015329;
  const psiN = Math.log(n) - 1 / (2 * n) - 1 / (12 * n * n);
  return psiN + EULER + Math.log(Math.PI) + (2 * s) / n;
}

/** alpha-bar_t = prod_{s <= t} (1 - beta_s) for t = 0 .. T-1. */
export function alphaBars(w: Pick<Points2dWorld, 'timesteps' | 'schedule'>): Float64Array {
  const T = w.timesteps;
  const out = new Float64Array(T);
  if (w.schedule === 'linear') {
    // Ho et al.'s betas 1e-4 .. 0.02 for T = 1000, rescaled so any T spans the same total noise.
    const lo = (1e-4 * 1000) / T;
    const hi = Math.min((0.02 * 1000) / T, 0.999);
    let ab = 1;
    for (let t = 0; t < T; t++) {
      ab *= 1 - (T === 1 ? lo : lo + ((hi - lo) * t) / (T - 1));
      out[t] = ab;
    }
    return out;
  }
  // Betas clipped at 0.5 (Nichol & Dhariwal clip at 0.999): near alpha-bar = 0 a DDIM step multiplies the error of
  // the noise prediction by sqrt(ab_prev / ab), which the looser clip lets explode on a short schedule.
  const s = 0.008;
  const f = (t: number) => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  let ab = 1;
  for (let t = 0; t < T; t++) {
    ab *= 1 - Math.min(1 - f(t + 1) / f(t), 0.5);
    out[t] = ab;
  }
  return out;
}

/** Sinusoidal features [T, E] of the timestep (Vaswani et al.; frequencies 10000^(-j / (E/2))). */
export function timeFeatures(T: number, E: number): Float32Array {
  const out = new Float32Array(T * E);
  const half = E / 2;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < half; j++) {
      const a = t * Math.exp((-Math.log(10000) * j) / half);
      out[t * E + j] = Math.sin(a);
      out[t * E + half + j] = Math.cos(a);
    }
  }
  return out;
}

/** The S timesteps a sampler visits, from T-1 down (evenly spaced, DDIM's respacing). */
export function samplerTimesteps(T: number, S: number): number[] {
  return Array.from({ length: S }, (_, i) => Math.round(((S - i) * T) / S) - 1);
}

/** Mean and hidden reward of points [n, 2]: the reward is scale * <x, (cos a, sin a)>. */
export function pointStats(
  points: Float32Array,
  angleDeg: number,
  scale: number,
): { meanX: number; meanY: number; reward: number } {
  const n = points.length / 2;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += points[2 * i];
    sy += points[2 * i + 1];
  }
  const a = (angleDeg * Math.PI) / 180;
  const meanX = sx / n;
  const meanY = sy / n;
  return { meanX, meanY, reward: scale * (Math.cos(a) * meanX + Math.sin(a) * meanY) };
}
