// `lab run` refuses bad configs up front with exit status 2 and a plain message, never a raw JavaScript error.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../../src/cli/run';

const dir = mkdtempSync(join(tmpdir(), 'preflab-cli-'));
const file = (name: string, config: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
};

/** Exit status and standard error of `lab run <args>`, run in this process. */
async function labRun(...args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runCommand(args), stderr: lines.join('\n') };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('lab run refuses bad configs', () => {
  it('a model named "constructor": exit 2 before anything runs', async () => {
    const config = JSON.parse(
      '{"world":{"kind":"sequences"},"models":{"teacher":{"kind":"token-mlp"},"constructor":{"kind":"token-mlp"}},' +
        '"stages":[{"kind":"sft","model":"teacher"},{"kind":"distill","model":"constructor","teacher":"teacher"}]}',
    ) as unknown;
    const { code, stderr } = await labRun(file('constructor.json', config), '--backend', 'cpu', '--steps', '1');
    expect(code).toBe(2);
    expect(stderr).toMatch(/models\.constructor: "constructor" cannot name a model/);
  });

  it('a stage that refers to "constructor" without such a model: exit 2', async () => {
    const config = {
      world: { kind: 'sequences' },
      models: { teacher: { kind: 'token-mlp' } },
      stages: [{ kind: 'sft', model: 'constructor' }],
    };
    const { code, stderr } = await labRun(file('ref.json', config), '--backend', 'cpu', '--steps', '1');
    expect(code).toBe(2);
    expect(stderr).toMatch(/no model named "constructor"/);
  });

  it.each([null, 3, 'sft', [1]])('--steps over a stage list holding %j: the schema names the stage', async (stage) => {
    const config = { world: { kind: 'bandit' }, stages: [{ kind: 'preference' }, stage] };
    const { code, stderr } = await labRun(file('null-stage.json', config), '--backend', 'cpu', '--steps', '5');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^lab run: invalid experiment config:\n {2}- stages\.1[.:]/);
    expect(stderr).not.toMatch(/TypeError|Cannot (set|create) propert/);
  });
});
