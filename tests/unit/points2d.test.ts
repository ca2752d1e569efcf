// Unit: the points2d world (shapes, modes, diversity measures, schedules), its config checks, and the denoiser's
// backward against finite differences on the CPU backend.

import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { Philox } from '../../src/engine/rng';
import { ConfigError, parseConfig, POINTS2D_SHAPES, type Points2dWorld } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import { Denoiser, Noiser, Workspace } from '../../src/lab/models/denoiser';
import {
  alphaBars,
  energyDistance,
  entropyEstimate,
  makePoints2d,
  modeShares,
  modesCovered,
  precisionRecall,
  samplerTimesteps,
  timeFeatures,
} from '../../src/lab/worlds/points2d';

function world(extra: Record<string, unknown> = {}): Points2dWorld {
  const cfg = parseConfig({ world: { kind: 'points2d', ...extra }, stages: [{ kind: 'diffusion' }] });
  if (cfg.world.kind !== 'points2d') throw new Error('not points2d');
  return cfg.world;
}

const gaussian = (n: number, seed: number, mx = 0, my = 0) => {
  const rng = new Philox(seed, 1);
  return Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? mx : my) + rng.normal());
};

describe('points2d world', () => {
  it.each(POINTS2D_SHAPES)('%s: data lies in its modes with the expected shares', (shape) => {
    const w = world(
      shape === 'points'
        ? {
            shape,
            points: [
              [-1, 0],
              [1, 1],
              [0, -2],
            ],
          }
        : { shape },
    );
    const d = makePoints2d(w, 3);
    expect(d.data.length).toBe(2 * w.samples);
    expect(d.centers.length).toBe(2 * d.M);
    expect(d.M).toBe({ ring8: 8, grid25: 25, moons: 2, spirals: 2, checkerboard: 8, points: 3 }[shape]);
    const total = d.dataShares.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0.97);
    for (const s of d.dataShares) expect(s).toBeGreaterThan(0.5 / d.M);
    expect(modesCovered(d.dataShares, d.dataShares, w.coverage)).toBe(d.M);
  });

  it('counts a collapse onto one mode as one mode covered', () => {
    const w = world();
    const d = makePoints2d(w, 1);
    const one = new Float32Array(200).fill(0);
    for (let i = 0; i < 100; i++) one[2 * i] = 2;
    const shares = modeShares(d, one);
    expect(shares[0]).toBeCloseTo(1, 6);
    expect(modesCovered(shares, d.dataShares, w.coverage)).toBe(1);
    expect(d.modeOf(0, 0)).toBe(-1);
  });

  it('energy distance: ~0 for two samples of one distribution, grows with a shift', () => {
    const a = gaussian(800, 1);
    const b = gaussian(800, 2);
    const c = gaussian(800, 3, 1, 0);
    expect(Math.abs(energyDistance(a, b))).toBeLessThan(0.02);
    expect(energyDistance(a, c)).toBeGreaterThan(0.3);
    expect(energyDistance(a, c)).toBeGreaterThan(energyDistance(a, gaussian(800, 4, 0.5, 0)));
  });

  it('energy distance is unbiased: small samples of one distribution average 0', () => {
    // The biased form averages about 2 E|X - X'| / n = 0.22 here (n = 16, E|X - X'| = sqrt(pi) for unit Gaussians).
    let sum = 0;
    const R = 200;
    for (let r = 0; r < R; r++) sum += energyDistance(gaussian(16, 100 + 2 * r), gaussian(16, 101 + 2 * r));
    expect(Math.abs(sum / R)).toBeLessThan(0.03);
  });

  it('precision and recall tell a sharp collapse from a diffuse cloud', () => {
    const w = world();
    const d = makePoints2d(w, 1);
    const data = d.data.slice(0, 2 * 1024);
    const other = makePoints2d(w, 2).data.slice(0, 2 * 1024);
    // Samples of the data distribution: both high.
    const same = precisionRecall(other, data);
    expect(same.precision).toBeGreaterThan(0.8);
    expect(same.recall).toBeGreaterThan(0.8);
    // Every sample on one mode: sharp (precision high), few (recall about 1/8).
    const mode0 = other.filter((_, i, a) => d.modeOf(a[i - (i % 2)], a[i - (i % 2) + 1]) === 0);
    const one = precisionRecall(mode0, data);
    expect(one.precision).toBeGreaterThan(0.8);
    expect(one.recall).toBeLessThan(0.2);
    // A wide Gaussian cloud: everywhere (recall high), mostly off the modes (precision low).
    const cloud = gaussian(1024, 9).map((x) => 2.5 * x);
    const diffuse = precisionRecall(cloud, data);
    expect(diffuse.precision).toBeLessThan(0.3);
    expect(diffuse.recall).toBeGreaterThan(0.8);
    expect(precisionRecall(data, data)).toEqual({ precision: 1, recall: 1 });
  });

  it('the entropy estimate matches a standard 2D Gaussian (1 + log 2 pi nats)', () => {
    expect(entropyEstimate(gaussian(2000, 5), 2000)).toBeCloseTo(1 + Math.log(2 * Math.PI), 1);
  });

  it('schedules: alpha-bar falls from ~1 to ~0; samplers visit T-1 first', () => {
    for (const schedule of ['linear', 'cosine'] as const) {
      const ab = alphaBars({ timesteps: 100, schedule });
      expect(ab[0]).toBeGreaterThan(0.95);
      expect(ab[99]).toBeLessThan(1e-3);
      for (let t = 1; t < 100; t++) expect(ab[t]).toBeLessThan(ab[t - 1]);
    }
    expect(samplerTimesteps(100, 4)).toEqual([99, 74, 49, 24]);
    expect(samplerTimesteps(10, 10)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const f = timeFeatures(5, 4);
    expect(f[0]).toBe(0);
    expect(f[2]).toBe(1);
  });

  it('config: rejects too many points, odd embeddings and stages of other worlds', () => {
    const pts = Array.from({ length: 65 }, (_, i) => [i / 20, 0]);
    expect(() =>
      parseConfig({ world: { kind: 'points2d', shape: 'points', points: pts }, stages: [{ kind: 'diffusion' }] }),
    ).toThrow(ConfigError);
    expect(() =>
      parseConfig({ world: { kind: 'points2d', shape: 'points' }, stages: [{ kind: 'diffusion' }] }),
    ).toThrow(/at least one point/);
    expect(() => parseConfig({ world: { kind: 'points2d', embed: 7 }, stages: [{ kind: 'diffusion' }] })).toThrow(
      /even/,
    );
    expect(() => parseConfig({ world: { kind: 'points2d' }, stages: [{ kind: 'sft' }] })).toThrow(
      /points2d world runs/,
    );
    expect(() => parseConfig({ world: { kind: 'bandit' }, stages: [{ kind: 'diffusion' }] })).toThrow(ConfigError);
    // Rows are scaled by [B, B] diagonal matrices: a huge batch must hit the memory budget, not the device.
    expect(() => parseConfig({ world: { kind: 'points2d' }, stages: [{ kind: 'dmd', batch: 4096 }] })).toThrow(
      /budget/,
    );
    expect(() =>
      parseConfig({ world: { kind: 'points2d', samplerSteps: 50 }, stages: [{ kind: 'progressive', rounds: 2 }] }),
    ).toThrow(/halve evenly/);
    expect(() =>
      parseConfig({ world: { kind: 'points2d', samplerSteps: 32 }, stages: [{ kind: 'progressive', rounds: 2 }] }),
    ).not.toThrow();
  });
});

describe('denoiser', () => {
  it('backward matches central finite differences of the MSE loss', async () => {
    const be = new CpuBackend('test');
    const w = world({ width: 8, depth: 2, embed: 4, timesteps: 10, samplerSteps: 5, activation: 'tanh' });
    const model = new Denoiser(be, 'm', w, 7, 3);
    const N = 5;
    const feat = be.tensor([10, 4], { data: timeFeatures(10, 4) });
    const ws = new Workspace(be, model, N, 'ws');
    const x = be.tensor([N, 2], { data: gaussian(N, 9) });
    const target = be.tensor([N, 2], { data: gaussian(N, 10) });
    const t = be.tensor([N], { dtype: 'i32', data: [0, 3, 9, 5, 1] });
    const pred = be.tensor([N, 2]);
    const dpred = be.tensor([N, 2]);
    const loss = be.tensor([1]);
    const lossAt = async () => {
      ws.forward(pred, x, t, feat);
      be.mse(loss, null, pred, target);
      return (await be.read(loss))[0];
    };
    ws.forward(pred, x, t, feat);
    be.fill(dpred, 0);
    be.mse(loss, dpred, pred, target);
    be.fill(model.arena.grads, 0);
    ws.backward(dpred, x);
    const grads = Float32Array.from((await be.read(model.arena.grads)) as Float32Array);
    const params = Float32Array.from((await be.read(model.arena.params)) as Float32Array);
    const h = 1e-2;
    let checked = 0;
    for (const e of model.arena.entries) {
      for (const k of [0, Math.floor(e.size / 2), e.size - 1]) {
        const i = e.offset + k;
        const p = params.slice();
        p[i] = params[i] + h;
        be.write(model.arena.params, p);
        const up = await lossAt();
        p[i] = params[i] - h;
        be.write(model.arena.params, p);
        const down = await lossAt();
        const fd = (up - down) / (2 * h);
        expect(Math.abs(fd - grads[i])).toBeLessThan(2e-3 + 0.03 * Math.abs(fd));
        checked++;
      }
    }
    expect(checked).toBe(3 * model.arena.entries.length);
  });

  it('noises rows at their own timesteps', async () => {
    const be = new CpuBackend('test');
    const ab = alphaBars({ timesteps: 10, schedule: 'linear' });
    const nz = new Noiser(be, Noiser.spread(4, 0, 9), ab, 'n');
    const x0 = be.tensor([4, 2], { data: [1, 2, 3, 4, 5, 6, 7, 8] });
    const eps = be.tensor([4, 2], { data: [1, 1, 1, 1, 1, 1, 1, 1] });
    const xt = be.tensor([4, 2]);
    nz.noise(xt, x0, eps);
    const out = await be.read(xt);
    const ts = Noiser.spread(4, 0, 9);
    expect(Array.from(ts)).toEqual([1, 3, 6, 8]);
    ts.forEach((tt, n) => {
      expect(out[2 * n]).toBeCloseTo(Math.sqrt(ab[tt]) * (2 * n + 1) + Math.sqrt(1 - ab[tt]), 5);
    });
  });
});

describe("DMD's regression term", () => {
  const dmdRun = async (regression: number) => {
    const exp = Experiment.create(
      new CpuBackend('test'),
      parseConfig({
        seed: 1,
        world: { kind: 'points2d', shape: 'ring8', width: 32, samplerSteps: 10, evalSamples: 128 },
        stages: [
          { kind: 'diffusion', name: 'teacher', steps: 200, batch: 128 },
          { kind: 'dmd', name: 'dmd', steps: 100, batch: 64, hybrid: 4, regression },
        ],
        metrics: { every: 50 },
      }),
    );
    try {
      return (await exp.runToEnd()).filter((r) => r.stage === 'dmd');
    } finally {
      exp.dispose();
    }
  };

  it("pulls the one-step generator's samples toward the teacher's from the same noises, logged when on", async () => {
    const rows = await dmdRun(1);
    expect(rows).toHaveLength(100);
    const reg = rows.map((r) => r['loss/regression'] as number);
    expect(reg.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(reg.slice(-10))).toBeLessThan(mean(reg.slice(0, 10)) / 5);
    expect((await dmdRun(0)).some((r) => 'loss/regression' in r)).toBe(false);
  });
});
