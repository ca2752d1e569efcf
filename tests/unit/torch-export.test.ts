// `lab export --torch`: the exported PyTorch project replays PrefLab's first steps metric for metric (for the preset
// and for every DPO-family loss on configs that are not presets), and --check fails when a number or a gradient is
// wrong. These tests need a python3 with torch (CI installs Debian's python3-torch) and fail without one.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUNDLE_FORMAT, BUNDLE_VERSION, fromCsv, serializeBundle } from '../../src/app/export';
import { exportCommand } from '../../src/cli/export';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { PREFERENCE_LOSS_TYPES } from '../../src/engine/preference_losses';
import { parseConfig, type ExperimentInput } from '../../src/lab/config';
import { METRIC_COLUMNS } from '../../src/lab/metrics';
import { findPreset } from '../../src/lab/presets';
import { expectedRows, torchExportFiles } from '../../src/lab/torch-export';
import { writeSafetensors } from '../../src/lab/torch-export/safetensors';
import { torchExportZip } from '../../src/lab/torch-export/zip';
import { torchPython } from '../helpers/python';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'preflab-torch-'));

/** Exit status and standard error of `lab export <args>`, run in this process. */
async function labExport(...args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await exportCommand(args), stderr: lines.join('\n') };
  } finally {
    err.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

function file(name: string, content: unknown): string {
  const path = join(root, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Several runs of exported train.py files in one python (torch's import dominates a short replay). */
async function pythonJobs(
  jobs: { dir: string; args: string[]; code?: string }[],
): Promise<{ code: unknown; out: string }[]> {
  const driver = file(
    'driver.py',
    `import contextlib, io, json, os, runpy, sys
for job in json.loads(sys.argv[1]):
    sys.argv = [os.path.join(job["dir"], "train.py")] + job["args"]
    sys.path.insert(0, job["dir"])
    sys.modules.pop("preflab", None)
    out, code = io.StringIO(), 0
    try:
        with contextlib.redirect_stdout(out):
            if "code" in job:
                exec(job["code"], {})
            else:
                runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as e:
        code = e.code
    sys.path.pop(0)
    print(json.dumps({"code": code, "out": out.getvalue()}))
`,
  );
  const { stdout } = await run(torchPython(), [driver, JSON.stringify(jobs)], { maxBuffer: 1 << 24 });
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { code: unknown; out: string });
}

type StageInput = Extract<ExperimentInput['stages'][number], { kind: 'preference' }>;

/** A preference stage with every DPO-family knob away from its default. */
const stage = (lossType: StageInput['lossType'], extra: Partial<StageInput> = {}): StageInput => ({
  kind: 'preference',
  name: lossType?.replace('_', '-'),
  steps: 40,
  batch: 24,
  lossType,
  beta: 0.3,
  labelSmoothing: 0.1,
  gamma: 0.4,
  optimizer: { lr: 0.03, weightDecay: 0.01 },
  ...extra,
});

/** A bandit config that is not a preset: uneven coverage, uniform pairs, noisy labels, a period of 7 steps. */
const banditConfig = (seed: number, stages: StageInput[]): ExperimentInput => ({
  seed,
  world: {
    kind: 'bandit',
    prompts: 3,
    responses: 9,
    rewardScale: 2,
    pairs: 300,
    coverage: 0.6,
    flipRate: 0.1,
    pairSource: 'uniform',
  },
  stages,
  metrics: { every: 7 },
});

describe('safetensors writer', () => {
  it('writes a JSON header padded to 8 bytes and the tensors little-endian, widest first, without gaps', () => {
    const bytes = writeSafetensors(
      {
        b: { dtype: 'I32', shape: [3], data: Int32Array.of(1, -2, 3) },
        a: { dtype: 'F64', shape: [1, 2], data: Float64Array.of(0.5, -1) },
        c: { dtype: 'U8', shape: [2], data: Uint8Array.of(7, 255) },
      },
      { note: 'té' },
    );
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
    expect(header).toEqual({
      __metadata__: { note: 'té' },
      a: { dtype: 'F64', shape: [1, 2], data_offsets: [0, 16] },
      b: { dtype: 'I32', shape: [3], data_offsets: [16, 28] },
      c: { dtype: 'U8', shape: [2], data_offsets: [28, 30] },
    });
    expect(bytes.length).toBe(8 + n + 30);
    expect(view.getFloat64(8 + n + 8, true)).toBe(-1);
    expect(view.getInt32(8 + n + 20, true)).toBe(-2);
    expect(bytes[8 + n + 29]).toBe(255);
  });

  it('refuses a tensor whose data does not fill its shape', () => {
    expect(() => writeSafetensors({ x: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      'x has shape [2, 2] but 3 elements',
    );
  });
});

describe('lab export --torch: bad input', () => {
  it('refuses a world it cannot map yet, naming the field, and writes nothing', async () => {
    const dir = join(root, 'not-written');
    const { code, stderr } = await labExport('distill-forward-kl', '--torch', dir);
    expect(code).toBe(2);
    expect(stderr).toContain('world.kind: the PyTorch export covers the bandit world so far (got sequences)');
    const backend = await labExport('dpo-bandit', '--torch', dir, '--backend', 'tpu');
    expect(backend.code).toBe(2);
    expect(backend.stderr).toContain('--backend must be cpu or webgpu (got "tpu")');
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a config or a bundle of another version, naming the field', async () => {
    const dir = join(root, 'not-written-either');
    const preset = findPreset('dpo-bandit')!.config;
    const config = await labExport(file('v2.json', { ...preset, version: 2 }), '--torch', dir);
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/version: /);
    const bundle = await labExport(
      file('b9.json', { format: BUNDLE_FORMAT, version: 9, config: preset }),
      '--torch',
      dir,
    );
    expect(bundle.code).toBe(2);
    expect(bundle.stderr).toContain(`version: a run bundle of version 9; this export reads version ${BUNDLE_VERSION}`);
    expect(existsSync(dir)).toBe(false);
  });

  it('leaves a folder that is not empty alone unless --force is given', async () => {
    const dir = join(root, 'occupied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const refused = await labExport('dpo-bandit', '--torch', dir, '--steps', '3');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('exists and is not empty: pass --force');
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect((await labExport('dpo-bandit', '--torch', dir, '--steps', '3', '--force')).code).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(dir)).toContain('train.py');
  });
});

describe("the app's zip", () => {
  it('holds, under one folder, the files lab export writes for the same config, byte for byte', async () => {
    const dir = join(root, 'as-folder');
    expect((await labExport('dpo-label-noise', '--torch', dir, '--steps', '12')).code).toBe(0);
    const cfg = parseConfig(findPreset('dpo-label-noise')!.config);
    const files = torchExportFiles(cfg, await expectedRows(new CpuBackend(), cfg, 12), 12);
    const zipped = unzipSync(torchExportZip(files, 'run-pytorch'));
    expect(Object.keys(zipped).sort()).toEqual(
      readdirSync(dir)
        .map((f) => `run-pytorch/${f}`)
        .sort(),
    );
    for (const f of readdirSync(dir))
      expect(zipped[`run-pytorch/${f}`]).toEqual(new Uint8Array(readFileSync(join(dir, f))));
  });
});

describe('lab export --torch: train.py --check', () => {
  it('reproduces dpo-bandit, exported from a run bundle, step for step over 50 steps', async () => {
    const dir = join(root, 'dpo-bandit');
    const config = parseConfig(findPreset('dpo-bandit')!.config);
    const bundle = serializeBundle({
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      name: 'saved',
      savedAt: '2026-01-01T00:00:00.000Z',
      backend: 'cpu',
      config,
      done: 0,
      total: 400,
      rows: [],
      final: null,
    });
    const { code } = await labExport(file('bundle.json', bundle), '--torch', dir);
    expect(code).toBe(0);
    const exported = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { experiment: unknown };
    expect(exported.experiment).toEqual(config);
    expect(readFileSync(join(dir, 'expected.jsonl'), 'utf8').trim().split('\n')).toHaveLength(50);
    const { stdout } = await run(torchPython(), [join(dir, 'train.py'), '--check']);
    expect(stdout).toMatch(/^reproduced: 50 rows, worst relative difference \S+ \(\S+, dpo step \d+\)/);
  });

  it('reproduces every loss type on configs that are not presets and a two-stage run; draws the worlds again; runs whole and scaled experiments', async () => {
    const dirs: string[] = [];
    for (const [i, lossType] of PREFERENCE_LOSS_TYPES.entries()) {
      const dir = join(root, `loss-${lossType}`);
      expect(
        (
          await labExport(
            file(`${lossType}.json`, banditConfig(100 + i, [stage(lossType)])),
            '--torch',
            dir,
            '--steps',
            '30',
          )
        ).code,
      ).toBe(0);
      dirs.push(dir);
    }
    const twoStage = banditConfig(9, [
      stage('sigmoid', { name: 'dpo', steps: 12 }),
      stage('ipo', { steps: 30, batch: 10, beta: 0.8, optimizer: { lr: 0.01 } }),
    ]);
    const staged = join(root, 'two-stage');
    expect((await labExport(file('two-stage.json', twoStage), '--torch', staged, '--steps', '25')).code).toBe(0);
    const out = join(root, 'full-run');
    // train.py's own world generator draws the exported worlds again: pairs and reference bit for bit, the pairs
    // drawn uniformly over part of the responses (above) or from the reference, with flipped labels (a preset).
    const preset = join(root, 'generated-preset');
    expect((await labExport('dpo-label-noise', '--torch', preset, '--steps', '1')).code).toBe(0);
    const generator = `import json, runpy, torch, preflab
for d in ${JSON.stringify([...dirs, staged, preset])}:
    cfg = json.load(open(d + "/config.json"))
    gen = runpy.run_path(d + "/train.py", run_name="generator")["generate_bandit"]
    tensors, reference = gen(cfg["experiment"]["world"], cfg["seed"], cfg["world_streams"])
    want = preflab.read_safetensors(d + "/world.safetensors")
    same = [torch.allclose(tensors[k], v, rtol=1e-13, atol=0) if v.is_floating_point() else torch.equal(tensors[k], v)
            for k, v in want.items()]
    init = preflab.read_safetensors(d + "/init.safetensors")["reference.logits"]
    print(sorted(want) == sorted(tensors) and all(same) and torch.equal(reference, init))`;
    const scaledOut = join(root, 'scaled-run');
    const results = await pythonJobs([
      ...[...dirs, staged].map((dir) => ({ dir, args: ['--check'] })),
      { dir: staged, args: [], code: generator },
      {
        dir: dirs[0],
        args: [
          '--prompts',
          '5',
          '--responses',
          '20',
          '--pairs',
          '700',
          '--batch',
          '50',
          '--steps',
          '9',
          '--out',
          scaledOut,
        ],
      },
      { dir: staged, args: ['--out', out] },
    ]);
    expect(results[dirs.length + 1].out.trim().split('\n')).toEqual(Array(dirs.length + 2).fill('True'));
    // A scaled run: the world drawn again at its new sizes, every stage with the new batch and steps.
    expect(results[dirs.length + 2].code).toBe(0);
    const scaled = readFileSync(join(scaledOut, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(scaled).toHaveLength(9);
    expect(JSON.parse(scaled[6])).toHaveProperty('kl/optimal');
    for (const [i, r] of results.slice(0, dirs.length + 1).entries()) {
      const rows = i < dirs.length ? 30 : 25;
      expect(r.out, `${[...dirs, staged][i]}`).toMatch(
        new RegExp(`^reproduced: ${rows} rows, worst relative difference`),
      );
      expect(r.code).toBe(0);
    }
    // The whole run: every step of both stages, in PrefLab's CSV columns.
    expect(results.at(-1)!.code).toBe(0);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe(METRIC_COLUMNS.join(','));
    const rows = fromCsv(csv);
    expect(rows.map((r) => `${r.stage} ${r.step}`)).toEqual([
      ...Array.from({ length: 12 }, (_, i) => `dpo ${i + 1}`),
      ...Array.from({ length: 30 }, (_, i) => `ipo ${i + 1}`),
    ]);
    // Period metrics every 7 steps and at each stage's end, as PrefLab reads them back.
    expect(rows.filter((r) => r['kl/optimal'] !== undefined).map((r) => `${r.stage} ${r.step}`)).toEqual([
      'dpo 7',
      'dpo 12',
      ...[7, 14, 21, 28, 30].map((s) => `ipo ${s}`),
    ]);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(42);
  });

  it('reproduces the run on 2 processes of torchrun (gloo on the CPU), the global batch of 25 pairs kept', async () => {
    const dir = join(root, 'torchrun');
    const config = banditConfig(5, [stage('sigmoid', { steps: 30, batch: 25 })]);
    expect((await labExport(file('torchrun.json', config), '--torch', dir, '--steps', '30')).code).toBe(0);
    // --redirects/--tee 2: Debian's torch 1.13 on Python 3.11 cannot parse their default, 0.
    const launch = [
      '-m',
      'torch.distributed.run',
      '--standalone',
      '--nproc_per_node',
      '2',
      '--redirects',
      '2',
      '--tee',
      '2',
    ];
    const { stdout } = await run(torchPython(), [...launch, join(dir, 'train.py'), '--check']);
    expect(stdout).toMatch(/^reproduced: 30 rows, worst relative difference/);
  });

  it('reports drift and exits non-zero when a number or a gradient is wrong, names a step rounding decided, and refuses another export version', async () => {
    const base = join(root, 'to-break');
    expect((await labExport('dpo-bandit', '--torch', base, '--steps', '20')).code).toBe(0);
    const copy = (name: string, edit: (files: Record<string, string>) => void) => {
      const dir = join(root, name);
      mkdirSync(dir);
      const files: Record<string, string> = {};
      for (const f of readdirSync(base)) files[f] = readFileSync(join(base, f), 'latin1');
      edit(files);
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text, 'latin1');
      return dir;
    };
    // One logged value 1% off: the margin at step 7.
    const expected = copy('wrong-number', (f) => {
      const lines = f['expected.jsonl'].trim().split('\n');
      const row = JSON.parse(lines[6]) as Record<string, number>;
      row['rewards/margins'] *= 1.01;
      lines[6] = JSON.stringify(row);
      f['expected.jsonl'] = lines.join('\n') + '\n';
    });
    // The gradient of the rejected responses' log-probs cut: only the chosen ones are trained.
    const gradient = copy('wrong-gradient', (f) => {
      const line = 'pc, pr = policy_logp.gather(1, yw[:, None])[:, 0], policy_logp.gather(1, yl[:, None])[:, 0]';
      expect(f['train.py']).toContain(line);
      f['train.py'] = f['train.py'].replace(line, `${line}\n    pr = pr.detach()`);
    });
    const version = copy('other-version', (f) => {
      f['config.json'] = f['config.json'].replace('"version": 1,', '"version": 2,');
    });
    // AdamW's first step on a gradient at rounding level is counted, and a drift after it names it.
    const rounding = `import json, torch, preflab
p = torch.nn.Parameter(torch.zeros(3))
opt = torch.optim.AdamW([p], lr=0.1, eps=1e-8)
p.grad = torch.tensor([1e-9, 0.0, 1.0])
assert preflab.rounding_level_first_steps(opt) == 1
opt.step()
p.grad = torch.tensor([1e-9, 1e-9, 1.0])
assert preflab.rounding_level_first_steps(opt) == 1  # the middle one: its first gradient
rows = [json.loads(l) for l in open("${join(base, 'expected.jsonl')}")]
preflab.check(rows, [{}] * len(rows), "${join(expected, 'expected.jsonl')}", fragile=[(3, 2)])`;
    const [number, grad, other, named] = await pythonJobs([
      ...[expected, gradient, version].map((dir) => ({ dir, args: ['--check'] })),
      { dir: base, args: [], code: rounding },
    ]);
    expect(named.code).toBe(0);
    expect(named.out).toMatch(
      /^drifted: .*first at dpo step 7: rewards\/margins .* \(at dpo step 4, AdamW first moved 2 entries on a gradient at rounding level/,
    );
    expect(number.code).toBe(1);
    expect(number.out).toMatch(
      /^drifted: 20 rows, worst relative difference 9\.9\de-03 \(rewards\/margins, dpo step 7\)/,
    );
    expect(grad.code).toBe(1);
    expect(grad.out).toMatch(/^drifted: .*first at dpo step 2: /);
    expect(other.code).toEqual(expect.stringContaining('export format version 2, but this train.py reads version 1'));
  });
});
