// The cases every library runs, in order, with their units and work per iteration.

import { stat, type CaseResult } from './stats';
import { DPO_SIZES, MATMUL_SIZES } from './problems';
import { calibrate, timeBatch, type MeasureOptions } from './harness';

/** What a library provides: each returns a `run(k)` (k iterations, awaited on the device) or null when unsupported. */
export interface Library {
  name: string;
  matmul(M: number, K: number, N: number): Promise<Runner>;
  dpo(size: (typeof DPO_SIZES)[number]): Promise<Runner>;
  distill(): Promise<Runner>;
  diffusion(): Promise<Runner>;
}

export interface Runner {
  run(k: number): Promise<void>;
  release(): void;
}

export const CASES: readonly {
  name: string;
  unit: CaseResult['unit'];
  work: number;
  make: (l: Library) => Promise<Runner>;
}[] = [
  ...MATMUL_SIZES.map((m) => ({
    name: `matmul ${m.name}`,
    unit: 'GFLOP/s' as const,
    work: (2 * m.M * m.K * m.N) / 1e9,
    make: (l: Library) => l.matmul(m.M, m.K, m.N),
  })),
  ...DPO_SIZES.map((s) => ({
    name: `dpo step ${s.name}`,
    unit: 'steps/s' as const,
    work: 1,
    make: (l: Library) => l.dpo(s),
  })),
  { name: 'distill step', unit: 'steps/s', work: 1, make: (l: Library) => l.distill() },
  { name: 'diffusion step', unit: 'steps/s', work: 1, make: (l: Library) => l.diffusion() },
];

/**
 * Run every case (optionally a subset by name) for each library. The libraries' timed batches are interleaved
 * (repeat 1 of each, then repeat 2 of each, ...), so that a slow phase of a shared machine hits all of them alike.
 */
export async function runSuite(
  libs: readonly Library[],
  opts: MeasureOptions,
  log: (line: string) => void,
  only?: (name: string) => boolean,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of CASES) {
    if (only && !only(c.name)) continue;
    const res: CaseResult = { name: c.name, unit: c.unit, rates: {} };
    const ready: { lib: Library; runner: Runner; k: number }[] = [];
    for (const lib of libs) {
      let runner: Runner | null = null;
      try {
        runner = await c.make(lib);
        const k = await calibrate((n) => runner!.run(n), opts);
        ready.push({ lib, runner, k });
        res.rates[lib.name] = [];
      } catch (e) {
        runner?.release();
        log(`${c.name} ${lib.name}: FAILED ${(e as Error).message}`);
      }
    }
    for (let r = 0; r < opts.repeats; r++) {
      for (const x of ready) {
        if (!res.rates[x.lib.name]) continue;
        try {
          res.rates[x.lib.name].push(await timeBatch((n) => x.runner.run(n), x.k, c.work));
        } catch (e) {
          delete res.rates[x.lib.name];
          log(`${c.name} ${x.lib.name}: FAILED ${(e as Error).message}`);
        }
      }
    }
    for (const x of ready) {
      x.runner.release();
      const rates = res.rates[x.lib.name];
      if (rates) log(`${c.name} ${x.lib.name}: ${stat(rates).median.toFixed(3)} ${c.unit} (batches of ${x.k})`);
    }
    results.push(res);
  }
  return results;
}
