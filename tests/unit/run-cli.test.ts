// `lab run` and `lab presets` as a user runs them: real subprocesses, exit codes, JSON lines.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { METRIC_COLUMNS } from '../../src/lab/metrics';
import { PRESETS } from '../../src/lab/presets';

const exec = promisify(execFile);

async function lab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('npx', ['tsx', 'src/cli/main.ts', ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('lab presets / run', () => {
  it('lists every preset as name<TAB>title', async () => {
    const { code, stdout } = await lab('presets');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(PRESETS.map((p) => `${p.name}\t${p.title}`));
  });

  it('runs a preset on the cpu and writes one JSON object per step with OPS.md names', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'preflab-')), 'm.jsonl');
    const { code, stderr } = await lab('run', 'dpo-bandit', '--backend', 'cpu', '--steps', '20', '--out', out);
    expect(code).toBe(0);
    expect(stderr).toMatch(/20\/20/);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(rows[0]).toMatchObject({ stage: 'dpo', step: 1 });
    for (const r of rows) for (const k of Object.keys(r)) expect(METRIC_COLUMNS).toContain(k);
    expect(rows[9]).toHaveProperty('kl/optimal');
    expect(rows[9]).toHaveProperty('rewards/margins');
  });

  it('refuses a bad config with the path and the allowed range, exit 2', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'preflab-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ world: { kind: 'bandit' }, stages: [{ kind: 'preference', beta: 1000 }] }));
    const { code, stderr } = await lab('run', file, '--backend', 'cpu');
    expect(code).toBe(2);
    expect(stderr).toContain('stages.0.beta: must be at most 100 (got 1000)');
  });

  it('refuses an unknown preset, bad flags and broken JSON, exit 2', async () => {
    expect((await lab('run', 'no-such-preset', '--backend', 'cpu')).stderr).toMatch(/neither a preset/);
    expect((await lab('run', 'dpo-bandit', '--backend', 'tpu')).code).toBe(2);
    expect((await lab('run', 'dpo-bandit', '--steps', '0')).code).toBe(2);
    const file = join(mkdtempSync(join(tmpdir(), 'preflab-')), 'broken.json');
    writeFileSync(file, '{ "world": ');
    const broken = await lab('run', file, '--backend', 'cpu');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/not valid JSON/);
  });
});
