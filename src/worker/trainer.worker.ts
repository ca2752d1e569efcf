// The trainer worker: one per run. It owns the GPU device (or the CPU fallback) and the training loop, and answers
// the UI thread through comlink. Metric rows are coalesced (at most 10 posts a second); snapshots are transferred.
import { expose, transfer } from 'comlink';
import type { Backend, TypedArray } from '../engine/backend';
import { createBrowserBackend } from '../engine/browser';
import { CpuBackend } from '../engine/cpu/backend';
import { Philox } from '../engine/rng';
import { ConfigError, parseConfig, type ExperimentConfig } from '../lab/config';
import { Experiment } from '../lab/experiment';
import type { Snapshot } from '../lab/stage';
import { expectedRows, expectedSteps, torchExportFiles, torchExportProblems } from '../lab/torch-export';
import { torchExportZip } from '../lab/torch-export/zip';
import { buffersOf, findNonFinite, MetricCoalescer, nonFiniteMessage } from './guard';
import type { SelfTestResult, TrainerApi, TrainerEvents, TrainerStatus } from './protocol';

const SELF_TEST = { M: 64, K: 64, N: 64, rtol: 2e-4, atol: 2e-5 };
/** Snapshots are read from the device at most this often while training. */
const SNAPSHOT_MS = 400;

let be: Backend | null = null;
let events: TrainerEvents | null = null;
let deviceError: Error | null = null;
let exp: Experiment | null = null;
let config: ExperimentConfig | null = null;
let running = false;
let speed = 10;
let problem: TrainerStatus['problem'] = null;
let message: string | null = null;
let lastSnapshot = -Infinity;
// At most 10 posts a second: smooth enough for charts, and it keeps the page's rendering work (software
// compositing on machines without a GPU) well away from long tasks.
const coalescer = new MetricCoalescer(100);

/** Every operation on the run goes through this chain, so the loop, step and reset never interleave. */
let chain: Promise<unknown> = Promise.resolve();
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const next = chain.then(fn, fn);
  chain = next.catch(() => undefined);
  return next;
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function status(): TrainerStatus {
  let state: TrainerStatus['state'];
  if (!exp) state = 'empty';
  else if (problem === 'device' || problem === 'error') state = 'failed';
  else if (exp.finished) state = 'finished';
  else if (running) state = 'running';
  else if (exp.done > 0) state = 'paused';
  else state = 'ready';
  return { state, done: exp?.done ?? 0, total: exp?.total ?? 0, stage: exp?.stage.name ?? '', message, problem };
}

async function readSnapshot(): Promise<Snapshot | null> {
  if (!exp || deviceError) return null;
  return exp.snapshot();
}

async function postSnapshot(): Promise<void> {
  const s = await readSnapshot();
  lastSnapshot = performance.now();
  if (s) events?.snapshot(transfer(s, buffersOf(s)));
}

function flush(): void {
  const rows = coalescer.take(performance.now());
  if (rows.length) events?.metrics(rows, status());
}

function fail(kind: 'device' | 'error', text: string): void {
  running = false;
  problem = kind;
  message = text;
  flush();
  events?.status(status());
}

/** Advance n steps; returns false when the guard stopped the run on a non-finite metric. */
async function advance(n: number): Promise<boolean> {
  if (!exp) return false;
  const rows = await exp.advance(n);
  if (deviceError) throw deviceError;
  coalescer.push(rows);
  const bad = findNonFinite(rows);
  if (bad) {
    running = false;
    problem = 'nan';
    message = nonFiniteMessage(bad);
    return false;
  }
  return true;
}

async function loop(): Promise<void> {
  while (running && exp && !exp.finished) {
    const ok = await exclusive(async () => {
      if (!running || !exp || exp.finished) return false;
      try {
        const fine = await advance(speed);
        const now = performance.now();
        if (coalescer.due(now)) flush();
        if (fine && now - lastSnapshot >= SNAPSHOT_MS) await postSnapshot();
        return fine;
      } catch (e) {
        fail(deviceError ? 'device' : 'error', deviceError ? deviceLostMessage(deviceError) : describe(e));
        return false;
      }
    });
    if (!ok) break;
    // Let comlink messages (pause, speed) in between chunks.
    await new Promise((r) => setTimeout(r, 0));
  }
  await exclusive(async () => {
    running = false;
    flush();
    if (!problem || problem === 'nan') await postSnapshot().catch(() => undefined);
    events?.status(status());
  });
}

const deviceLostMessage = (e: Error) => `The GPU device was lost: ${e.message}`;

async function matmulOn(b: Backend, a: Float32Array, m: Float32Array): Promise<TypedArray> {
  const { M, K, N } = SELF_TEST;
  const ta = b.tensor([M, K], { data: a, label: 'self-test:a' });
  const tb = b.tensor([K, N], { data: m, label: 'self-test:b' });
  const tc = b.tensor([M, N], { label: 'self-test:c' });
  try {
    b.matmul(tc, ta, tb, { M, K, N });
    return await b.read(tc);
  } finally {
    for (const t of [ta, tb, tc]) b.release(t);
  }
}

function backend(): Backend {
  if (!be) throw new Error('the trainer is not initialized');
  return be;
}

const api: TrainerApi = {
  async init(opts, ev) {
    events = ev;
    be = await createBrowserBackend({ forceCpu: opts.forceCpu });
    be.onDeviceError((err) => {
      deviceError = err;
      if (exp) fail('device', deviceLostMessage(err));
    });
    return be.info;
  },

  async selfTest(): Promise<SelfTestResult> {
    const b = backend();
    if (deviceError) throw deviceError;
    const { M, K, N, rtol, atol } = SELF_TEST;
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    const rng = new Philox(seed, 0);
    const a = Float32Array.from({ length: M * K }, () => rng.normal());
    const m = Float32Array.from({ length: K * N }, () => rng.normal());
    const want = await matmulOn(new CpuBackend('self-test reference'), a, m);
    const t0 = performance.now();
    const got = await exclusive(() => matmulOn(b, a, m));
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
    return { kind: b.kind, M, K, N, maxError, rtol, atol, passed, ms, seed };
  },

  load(input) {
    running = false;
    return exclusive(async () => {
      let cfg: ExperimentConfig;
      try {
        cfg = parseConfig(input);
      } catch (e) {
        if (e instanceof ConfigError) return { ok: false as const, message: e.problems.join('; ') };
        throw e;
      }
      exp?.dispose();
      exp = null;
      problem = null;
      message = null;
      coalescer.take(performance.now());
      if (deviceError) return { ok: false as const, message: deviceLostMessage(deviceError) };
      try {
        exp = Experiment.create(backend(), cfg);
      } catch (e) {
        return { ok: false as const, message: describe(e) };
      }
      config = cfg;
      return { ok: true as const, config: cfg, total: exp.total };
    });
  },

  async start() {
    if (running || !exp || exp.finished || problem === 'device' || problem === 'error') return;
    running = true;
    problem = null;
    message = null;
    events?.status(status());
    void loop();
  },

  async pause() {
    running = false;
  },

  step(n) {
    running = false;
    return exclusive(async () => {
      if (!exp || problem === 'device' || problem === 'error') return status();
      if (problem === 'nan') {
        problem = null;
        message = null;
      }
      try {
        await advance(Math.max(1, Math.floor(n)));
        flush();
        await postSnapshot();
      } catch (e) {
        fail(deviceError ? 'device' : 'error', deviceError ? deviceLostMessage(deviceError) : describe(e));
      }
      return status();
    });
  },

  reset() {
    running = false;
    return exclusive(async () => {
      if (!config) return status();
      exp?.dispose();
      exp = null;
      problem = null;
      message = null;
      coalescer.take(performance.now());
      if (deviceError) {
        problem = 'device';
        message = deviceLostMessage(deviceError);
        return status();
      }
      exp = Experiment.create(backend(), config);
      return status();
    });
  },

  async setSpeed(n) {
    speed = Math.max(1, Math.min(10_000, Math.floor(n)));
  },

  snapshot() {
    return exclusive(async () => {
      const s = await readSnapshot();
      return s ? transfer(s, buffersOf(s)) : null;
    });
  },

  weights() {
    return exclusive(async () => {
      if (!exp || deviceError) return null;
      const w = await exp.weights();
      return transfer(w, buffersOf(w));
    });
  },

  async status() {
    return status();
  },

  async torchExport(input, folder) {
    let cfg: ExperimentConfig;
    try {
      cfg = parseConfig(input);
    } catch (e) {
      return { ok: false, message: describe(e) };
    }
    const problems = torchExportProblems(cfg);
    if (problems.length > 0) return { ok: false, message: problems.join('; ') };
    const steps = expectedSteps(cfg);
    const cpu = new CpuBackend('PyTorch export');
    try {
      const zip = torchExportZip(torchExportFiles(cfg, await expectedRows(cpu, cfg, steps), steps), folder);
      return transfer({ ok: true as const, zip }, [zip.buffer]);
    } catch (e) {
      return { ok: false, message: describe(e) };
    } finally {
      cpu.destroy();
    }
  },
};

expose(api);
