// `lab verify`: exit codes, failure lines and the summary, in-process on the CPU backend and once as a subprocess.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXIT_BAD_INPUT,
  EXIT_FAILED,
  EXIT_OK,
  MAX_LINES_PER_FIXTURE,
  verify,
  verifyCommand,
} from '../../src/cli/verify';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { FIXTURE_DIR } from '../helpers/backends';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Small real fixtures: a loss with a gradient, a preference loss with four outputs, exact integer/uniform outputs. */
const GOOD = ['mse_32x2.json', 'preference_loss_sigmoid_b0.1.json', 'philox_64.json'];

interface FixtureJson {
  op: string;
  inputs: Record<string, { shape: number[]; data: number[] }>;
  outputs: Record<string, { shape: number[]; data: number[] }>;
  grads: Record<string, { shape: number[]; data: number[] }>;
}
type Json = FixtureJson;

const real = (file: string): Json => JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as Json;

let tmp: string;
/** A folder of fixtures: name -> JSON value, or a string written verbatim. */
function folder(name: string, files: Record<string, Json | string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const goodFiles = () => Object.fromEntries(GOOD.map((f) => [f, real(f)]));

/** `lab verify <dir> --backend cpu` in this process: exit code and every printed line. */
async function cli(dir: string, ...extra: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifyCommand([dir, '--backend', 'cpu', ...extra], {
    print: (l) => out.push(l),
    error: (l) => err.push(l),
  });
  return { code, out, err };
}

function subprocess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'preflab-verify-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lab verify (in process, cpu)', () => {
  it('passes a folder of good fixtures with exit 0 and ends with the summary', async () => {
    const dir = folder('good', goodFiles());
    const { code, out } = await cli(dir);
    expect(out.filter((l) => l.startsWith('FAIL') || l.startsWith('MALFORMED'))).toEqual([]);
    expect(code).toBe(EXIT_OK);
    expect(out[out.length - 1]).toBe(`${GOOD.length} passed, 0 failed`);
  });

  it('checks a single file', async () => {
    const dir = folder('single', { 'mse_32x2.json': real('mse_32x2.json') });
    const r = await verify(join(dir, 'mse_32x2.json'), { backends: ['cpu'] });
    expect(r.exitCode).toBe(EXIT_OK);
    expect(r.lines[r.lines.length - 1]).toBe('1 passed, 0 failed');
  });

  it('counts a fixture once per backend', async () => {
    const dir = folder('twice', goodFiles());
    // The same CPU backend under both names: the count doubles, nothing else changes.
    const r = await verify(dir, { backends: ['cpu', 'webgpu'], createBackend: async () => new CpuBackend('test') });
    expect(r.exitCode).toBe(EXIT_OK);
    expect(r.lines[r.lines.length - 1]).toBe(`${2 * GOOD.length} passed, 0 failed`);
  });

  it('exits 1 and names the element when an expected value is wrong', async () => {
    const fx = real('mse_32x2.json');
    const shape = fx.grads.pred.shape as number[];
    expect(shape).toEqual([32, 2]);
    fx.grads.pred.data[5] += 1; // element [2,1]
    const dir = folder('wrong', { ...goodFiles(), 'mse_wrong.json': fx });
    const { code, out } = await cli(dir);
    expect(code).toBe(EXIT_FAILED);
    const fails = out.filter((l) => l.startsWith('FAIL'));
    expect(fails).toHaveLength(1);
    expect(fails[0]).toContain('mse');
    expect(fails[0]).toContain('mse_wrong.json');
    expect(fails[0]).toContain('grad pred[2,1]');
    expect(fails[0]).toMatch(/got \S+ want \S+ error \S+/);
    expect(out[out.length - 1]).toBe(`${GOOD.length} passed, 1 failed`);
  });

  it(`caps the lines of one fixture at ${MAX_LINES_PER_FIXTURE} with a "+N more" line`, async () => {
    const fx = real('mse_32x2.json');
    // Every other element wrong: 32 separate runs; then a run of 4 consecutive ones is one line.
    for (let i = 0; i < 64; i += 2) fx.grads.pred.data[i] += 1;
    const run = real('mse_32x2.json');
    for (let i = 10; i < 14; i++) run.grads.pred.data[i] -= 1;
    const dir = folder('many', { 'many.json': fx, 'run.json': run });
    const { code, out } = await cli(dir);
    expect(code).toBe(EXIT_FAILED);
    const many = out.filter((l) => l.includes('many.json'));
    expect(many).toHaveLength(MAX_LINES_PER_FIXTURE + 1);
    expect(many[MAX_LINES_PER_FIXTURE]).toMatch(/\+27 more \(27 elements\)/);
    const runLines = out.filter((l) => l.includes('run.json'));
    expect(runLines).toHaveLength(1);
    expect(runLines[0]).toContain('grad pred[5,0]..grad pred[6,1] (4 elements)');
    expect(out[out.length - 1]).toBe('0 passed, 2 failed');
  });

  it('prints a per-op error table with --verbose', async () => {
    const dir = folder('verbose', goodFiles());
    const { code, out } = await cli(dir, '--verbose');
    expect(code).toBe(EXIT_OK);
    const header = out.findIndex((l) => /^op\s+backend\s+passed\s+max rel err\s+max abs err$/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    const rows = out.slice(header + 1, -1);
    expect(rows.map((r) => r.split(/\s+/)[0]).sort()).toEqual(['mse', 'philox', 'preference_loss']);
    for (const r of rows) expect(r).toMatch(/\scpu\s+1\/1\s/);
  });

  describe('malformed fixtures exit 2, name the file and still check the others', () => {
    const cases: [string, () => Json | string, RegExp][] = [
      ['bad JSON', () => '{"op": "mse", "inputs": {', /invalid JSON/],
      [
        'wrong data length',
        () => {
          const fx = real('mse_32x2.json');
          fx.inputs.target.data.pop();
          return fx;
        },
        /inputs\.target has 63 values for shape \[32, 2\]/,
      ],
      ['unknown op', () => ({ ...real('mse_32x2.json'), op: 'convolution' }), /unknown op "convolution"/],
      [
        'an input the op needs is missing',
        () => {
          const fx = real('mse_32x2.json');
          delete fx.inputs.target;
          return fx;
        },
        /missing input "target"/,
      ],
    ];
    it.each(cases)('%s', async (_name, make, what) => {
      const dir = folder(`bad-${_name.replace(/\W+/g, '-')}`, { ...goodFiles(), 'broken.json': make() });
      const { code, out } = await cli(dir);
      expect(code).toBe(EXIT_BAD_INPUT);
      const bad = out.filter((l) => l.includes('broken.json'));
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatch(what);
      expect(out[out.length - 1]).toBe(`${GOOD.length} passed, 1 failed`);
    });
  });

  it('names a fixture found malformed while running once, and counts it failed on each backend', async () => {
    const fx = real('mse_32x2.json');
    delete fx.inputs.pred;
    const dir = folder('twice-bad', { 'a.json': real('mse_32x2.json'), 'b.json': fx });
    const r = await verify(dir, { backends: ['cpu', 'webgpu'], createBackend: async () => new CpuBackend('test') });
    expect(r.exitCode).toBe(EXIT_BAD_INPUT);
    expect(r.lines.filter((l) => l.includes('b.json'))).toEqual(['MALFORMED b.json: mse: missing input "pred"']);
    expect(r.malformed).toEqual([{ file: 'b.json', message: 'mse: missing input "pred"' }]);
    expect(r.lines[r.lines.length - 1]).toBe('2 passed, 2 failed');
  });

  it('exits 2 on a missing path, an empty folder and a wrong --backend', async () => {
    expect((await cli(join(tmp, 'does-not-exist'))).code).toBe(EXIT_BAD_INPUT);
    const empty = (await cli(folder('empty', {}))).out;
    expect(empty[0]).toMatch(/no \.json fixture files/);
    expect(empty[empty.length - 1]).toBe('0 passed, 0 failed');
    const err: string[] = [];
    const code = await verifyCommand([tmp, '--backend', 'gpu'], { print: () => {}, error: (l) => err.push(l) });
    expect(code).toBe(EXIT_BAD_INPUT);
    expect(err.join('\n')).toMatch(/--backend must be webgpu, cpu or both/);
  });

  it('continues on a fresh backend after one reports a device error', async () => {
    let created = 0;
    class BreaksOnMse extends CpuBackend {
      private listener: ((e: Error) => void) | null = null;
      override onDeviceError(listener?: (e: Error) => void): void {
        this.listener = listener ?? null;
      }
      override mse(...args: Parameters<CpuBackend['mse']>): void {
        if (created === 1) {
          this.listener?.(new Error('GPU device lost (unknown): test'));
          throw new Error('GPU device lost (unknown): test\nsecond line');
        }
        super.mse(...args);
      }
    }
    const dir = folder('lost', { ...goodFiles(), 'mse_again.json': real('mse_32x2.json') });
    const r = await verify(dir, {
      backends: ['webgpu'],
      createBackend: async () => {
        created++;
        return new BreaksOnMse('test');
      },
    });
    expect(created).toBe(2);
    expect(r.exitCode).toBe(EXIT_FAILED);
    expect(r.lines.filter((l) => l.startsWith('FAIL'))).toEqual([
      'FAIL webgpu mse mse_32x2.json: error: GPU device lost (unknown): test',
    ]);
    expect(r.lines.some((l) => /backend failed at mse_32x2\.json/.test(l))).toBe(true);
    expect(r.lines[r.lines.length - 1]).toBe(`${GOOD.length} passed, 1 failed`);
  });

  it('exits 2 when a backend cannot be created, counting its fixtures as failed', async () => {
    const dir = folder('nobackend', goodFiles());
    const r = await verify(dir, {
      backends: ['webgpu'],
      createBackend: () => Promise.reject(new Error('no adapter here')),
    });
    expect(r.exitCode).toBe(EXIT_BAD_INPUT);
    expect(r.lines[0]).toMatch(/cannot create the webgpu backend: no adapter here/);
    expect(r.lines[r.lines.length - 1]).toBe(`0 passed, ${GOOD.length} failed`);
  });
});

describe('npx tsx src/cli/main.ts verify (subprocess)', () => {
  it('exits 0, 1 and 2 and prints the summary last', async () => {
    const good = folder('sp-good', goodFiles());
    const wrongFx = real('mse_32x2.json');
    wrongFx.outputs.loss.data[0] *= 2;
    const wrong = folder('sp-wrong', { ...goodFiles(), 'wrong.json': wrongFx });
    const broken = folder('sp-broken', { ...goodFiles(), 'broken.json': '[1, 2' });

    const runs = await Promise.all([good, wrong, broken].map((d) => subprocess(['verify', d, '--backend', 'cpu'])));
    const last = (s: string) => s.trimEnd().split('\n').pop();

    expect(runs[0].code, runs[0].stdout + runs[0].stderr).toBe(0);
    expect(last(runs[0].stdout)).toBe(`${GOOD.length} passed, 0 failed`);

    expect(runs[1].code, runs[1].stdout + runs[1].stderr).toBe(1);
    expect(runs[1].stdout).toMatch(/FAIL cpu mse wrong\.json loss: got \S+ want \S+/);
    expect(last(runs[1].stdout)).toBe(`${GOOD.length} passed, 1 failed`);

    expect(runs[2].code, runs[2].stdout + runs[2].stderr).toBe(2);
    expect(runs[2].stdout).toMatch(/MALFORMED broken\.json: invalid JSON/);
    expect(last(runs[2].stdout)).toBe(`${GOOD.length} passed, 1 failed`);

    const help = await subprocess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/verify/);
  });
});
