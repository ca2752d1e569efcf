// `lab run --text` and `--pairs`: a text world trains on a UTF-8 file and on JSONL preference pairs from the command
// line; a bad file or a bad line of pairs is named, exit 2.

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

  it('trains DPO on a JSONL file of pairs, and names a bad line by its number', async () => {
    const msgs = (content: string) => [{ role: 'assistant', content }];
    const pairs = join(dir, 'pairs.jsonl');
    writeFileSync(
      pairs,
      [
        JSON.stringify({ prompt: 'The lamp', chosen: ' was lit.', rejected: ' went out.' }),
        JSON.stringify({
          prompt: [{ role: 'user', content: 'The boats' }],
          chosen: msgs('came home.'),
          rejected: msgs('were lost.'),
        }),
      ].join('\n'),
    );
    const out = join(dir, 'dpo.jsonl');
    const ok = await lab('run', 'text-dpo-pairs', '--backend', 'cpu', '--steps', '3', '--pairs', pairs, '--out', out);
    expect(ok.stderr).toMatch(/6\/6/);
    expect(ok.code).toBe(0);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number | string>);
    const dpo = rows.filter((r) => r.stage === 'dpo');
    expect(dpo).toHaveLength(3);
    expect(dpo[0].loss).toBeCloseTo(Math.LN2, 5);
    expect(dpo[0]).toHaveProperty('rewards/margins');

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ prompt: 'a', chosen: 'b', rejected: 'c' })}\n{"prompt": "a",\n`);
    const refused = await lab('run', 'text-dpo-pairs', '--backend', 'cpu', '--pairs', bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('world.pairs: line 2: not valid JSON');
  }, 180_000);
});
