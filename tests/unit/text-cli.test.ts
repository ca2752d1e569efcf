// `lab run --text`: a text world trains on a UTF-8 file from the command line, and a bad file is named, exit 2.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

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

const dir = mkdtempSync(join(tmpdir(), 'preflab-text-'));

describe('lab run --text', () => {
  it('trains the char-level preset on your own file and logs held-out NLL and bits per character', async () => {
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, 'Über den Fluss fährt eine Fähre, und die Möwen schreien. '.repeat(20));
    const out = join(dir, 'm.jsonl');
    const args = ['run', 'text-sft-charlevel', '--backend', 'cpu', '--steps', '25', '--text', corpus, '--out', out];
    const { code, stderr } = await lab(...args);
    expect(stderr).toMatch(/25\/25/);
    expect(code).toBe(0);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(rows).toHaveLength(25);
    const last = rows.at(-1)!;
    expect(last['nll/model']).toBeGreaterThan(0);
    expect(last.bits_per_char).toBeCloseTo(last['nll/model'] / Math.LN2, 4);
  }, 120_000);

  it('names a file that is not UTF-8, and a world that takes no text, exit 2', async () => {
    const latin1 = join(dir, 'latin1.txt');
    writeFileSync(latin1, Buffer.from([0x66, 0xe4, 0x68, 0x72, 0x65]));
    const bad = await lab('run', 'text-sft-charlevel', '--backend', 'cpu', '--text', latin1);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not UTF-8 text: byte 2 (0x68) breaks a character');
    const other = await lab('run', 'dpo-bandit', '--backend', 'cpu', '--text', latin1);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("--text needs a text world (the config's world is bandit)");
    const short = join(dir, 'short.txt');
    writeFileSync(short, 'too short');
    const tiny = await lab('run', 'text-sft-charlevel', '--backend', 'cpu', '--text', short);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toMatch(/world.window: the training part holds 8 characters/);
  }, 120_000);
});
