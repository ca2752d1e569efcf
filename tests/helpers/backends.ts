// Test helpers: one WebGPU (Dawn) backend per test file, the CPU twin, and the oracle fixtures.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { createNodeWebGPUBackend } from '../../src/engine/node';
import { parseFixture, type Fixture } from '../../src/engine/fixture-format';
import { runFixture } from '../../src/engine/fixtures';

let gpu: Promise<Backend> | null = null;

/** The Dawn backend shared by the tests of one file; destroyed after them. */
export function webgpu(): Promise<Backend> {
  if (!gpu) {
    gpu = createNodeWebGPUBackend();
    afterAll(async () => (await gpu!).destroy());
  }
  return gpu;
}

export const cpu = (): Backend => new CpuBackend('tests');

/** The PyTorch oracle's fixtures checked into the repo (tests/oracle/generate.py writes them; `npm run oracle`). */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** The team's shared oracle fixtures beside the repo: an additional check where a checkout has them. */
export const SHARED_FIXTURE_DIR = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

/** Every folder of fixtures to check: the repo's, and the shared ones when present (each with its subfolders). */
export function fixtureDirs(): string[] {
  const roots = [FIXTURE_DIR, ...(existsSync(SHARED_FIXTURE_DIR) ? [SHARED_FIXTURE_DIR] : [])];
  return roots.flatMap((root) => [
    root,
    ...readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(root, e.name)),
  ]);
}

/** The repo's fixtures whose file name starts with `prefix`, from the fixtures folder and its subfolders. */
export function fixtures(prefix = ''): { file: string; fixture: Fixture }[] {
  const files = readdirSync(FIXTURE_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && basename(f).startsWith(prefix))
    .sort();
  return files.map((file) => ({
    file,
    fixture: parseFixture(JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8'))),
  }));
}

/** One test per fixture and backend: the op there matches the PyTorch oracle within the fixture's tolerance. */
export function fixtureTests(list: readonly { file: string; fixture: Fixture }[]): void {
  for (const { file, fixture } of list) {
    for (const kind of ['webgpu', 'cpu'] as const) {
      it(`${file} on ${kind}`, async () => {
        const res = await runFixture(kind === 'cpu' ? cpu() : await webgpu(), fixture);
        expect(res.mismatches.slice(0, 5)).toEqual([]);
        expect(res.passed).toBe(true);
      });
    }
  }
}

/** Deterministic test data: a small LCG, so failures reproduce. */
export function randn(n: number, seed = 1, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next()) * scale;
  return out;
}

/** Element-wise |got - want| <= atol + rtol |want|; returns the first offending index or -1. */
export function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number): number {
  if (got.length !== want.length) return 0;
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) return i;
  }
  return -1;
}
