// `lab verify`: run oracle fixtures (../shared/fixtures format, OPS.md) on the chosen backends and report mismatches.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Backend } from '../engine/backend';
import { FIXTURE_OPS, FixtureFormatError, parseFixture, type Fixture } from '../engine/fixture-format';
import { runFixture, type Mismatch } from '../engine/fixtures';

export type BackendKind = 'webgpu' | 'cpu';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
/** Unreadable or malformed fixture, a backend that cannot be created, or a usage error. */
export const EXIT_BAD_INPUT = 2;

/** Mismatch lines printed per fixture and backend before the rest is summarized as "+N more". */
export const MAX_LINES_PER_FIXTURE = 5;

export interface VerifyOptions {
  backends: readonly BackendKind[];
  verbose?: boolean;
  /** Receives every report line as it is produced (the CLI prints them). */
  print?: (line: string) => void;
  /** Creates a backend; the default is the Node entry's (Dawn for webgpu). */
  createBackend?: (kind: BackendKind) => Promise<Backend>;
}

export interface OpStats {
  op: string;
  backend: BackendKind;
  fixtures: number;
  passed: number;
  maxRelError: number;
  maxAbsError: number;
}

export interface VerifyResult {
  passed: number;
  failed: number;
  /** Files that could not be read or are not valid fixtures, with what is wrong. */
  malformed: { file: string; message: string }[];
  /** Every line printed, the summary `N passed, M failed` last. */
  lines: string[];
  stats: OpStats[];
  exitCode: number;
}

interface Loaded {
  file: string;
  fixture: Fixture | null;
}

/** The fixture files a target names: one .json file, or every .json file of a folder (sorted). */
export function fixtureFiles(target: string): string[] {
  const st = statSync(target);
  if (!st.isDirectory()) return [target];
  return readdirSync(target)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(target, f));
}

/** Read and validate one fixture file; throws an Error saying what is wrong. */
export function loadFixture(path: string): Fixture {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseFixture(json);
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return x.toPrecision(7);
}

function fmtErr(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}

/** `name[i,j]` from a flat index and the fixture's shape (scalars print as `name`). */
function element(quantity: string, shape: readonly number[], flat: number): string {
  if (shape.length === 0) return quantity;
  const idx: number[] = [];
  let r = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(r % shape[d]);
    r = Math.floor(r / shape[d]);
  }
  return `${quantity}[${idx.join(',')}]`;
}

function shapeOf(fx: Fixture, quantity: string): readonly number[] {
  const t = quantity.startsWith('grad ') ? fx.grads[quantity.slice(5)] : fx.outputs[quantity];
  return t?.shape ?? [];
}

/** Runs of consecutive failing elements of one quantity: one report line each. */
function groupMismatches(mismatches: readonly Mismatch[]): Mismatch[][] {
  const groups: Mismatch[][] = [];
  for (const m of mismatches) {
    const g = groups[groups.length - 1];
    const last = g?.[g.length - 1];
    if (last && last.quantity === m.quantity && last.index + 1 === m.index) g.push(m);
    else groups.push([m]);
  }
  return groups;
}

/** Report lines for one failing fixture on one backend, capped at MAX_LINES_PER_FIXTURE plus a "+N more" line. */
export function mismatchLines(
  backend: BackendKind,
  file: string,
  fx: Fixture,
  mismatches: readonly Mismatch[],
): string[] {
  const { rtol, atol } = fx.tolerance;
  const groups = groupMismatches(mismatches);
  const lines = groups.slice(0, MAX_LINES_PER_FIXTURE).map((g) => {
    // NaN errors count as the worst: they are what a reader must see first.
    const worst = g.reduce((a, b) => (!(a.error >= b.error) && !Number.isNaN(a.error) ? b : a));
    const shape = shapeOf(fx, worst.quantity);
    const at = element(worst.quantity, shape, worst.index);
    const span =
      g.length === 1
        ? at
        : `${element(worst.quantity, shape, g[0].index)}..${element(worst.quantity, shape, g[g.length - 1].index)} ` +
          `(${g.length} elements), worst ${at}`;
    const allowed = atol + rtol * Math.abs(worst.want);
    return (
      `FAIL ${backend} ${fx.op} ${file} ${span}: got ${fmt(worst.got)} want ${fmt(worst.want)} ` +
      `error ${fmtErr(worst.error)} (allowed ${fmtErr(allowed)})`
    );
  });
  if (groups.length > MAX_LINES_PER_FIXTURE) {
    const rest = groups.slice(MAX_LINES_PER_FIXTURE);
    const elements = rest.reduce((n, g) => n + g.length, 0);
    lines.push(`  +${rest.length} more (${elements} elements) in ${file} on ${backend}`);
  }
  return lines;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
}

/** Per-op table of the largest errors on each backend (`--verbose`). */
export function statsTable(stats: readonly OpStats[]): string[] {
  const order = (op: string) => {
    const i = (FIXTURE_OPS as readonly string[]).indexOf(op);
    return i < 0 ? FIXTURE_OPS.length : i;
  };
  const sorted = [...stats].sort(
    (a, b) => order(a.op) - order(b.op) || a.op.localeCompare(b.op) || a.backend.localeCompare(b.backend),
  );
  return table([
    ['op', 'backend', 'passed', 'max rel err', 'max abs err'],
    ...sorted.map((s) => [s.op, s.backend, `${s.passed}/${s.fixtures}`, fmtErr(s.maxRelError), fmtErr(s.maxAbsError)]),
  ]);
}

async function defaultBackend(kind: BackendKind): Promise<Backend> {
  const { createNodeBackend } = await import('../engine/node');
  return createNodeBackend(kind);
}

/**
 * Check every fixture of `target` (a folder or one file) on each backend. A fixture counts once per backend, so
 * passed + failed = fixtures x backends; a malformed fixture counts as failed on every backend.
 */
export async function verify(target: string, opts: VerifyOptions): Promise<VerifyResult> {
  const lines: string[] = [];
  const out = (line: string) => {
    lines.push(line);
    opts.print?.(line);
  };
  const create = opts.createBackend ?? defaultBackend;
  const result: VerifyResult = { passed: 0, failed: 0, malformed: [], lines, stats: [], exitCode: EXIT_OK };
  let badInput = false;
  const finish = (): VerifyResult => {
    out(`${result.passed} passed, ${result.failed} failed`);
    result.exitCode = badInput ? EXIT_BAD_INPUT : result.failed > 0 ? EXIT_FAILED : EXIT_OK;
    return result;
  };

  let files: string[];
  try {
    files = fixtureFiles(target);
  } catch (e) {
    out(`ERROR ${target}: ${(e as Error).message}`);
    badInput = true;
    return finish();
  }
  if (files.length === 0) {
    out(`ERROR ${target}: no .json fixture files`);
    badInput = true;
    return finish();
  }

  const loaded: Loaded[] = files.map((path) => {
    const file = basename(path);
    try {
      return { file, fixture: loadFixture(path) };
    } catch (e) {
      const message = (e as Error).message;
      result.malformed.push({ file, message });
      out(`MALFORMED ${file}: ${message}`);
      badInput = true;
      return { file, fixture: null };
    }
  });
  const malformedOnce = new Set(result.malformed.map((m) => m.file));

  for (const kind of opts.backends) {
    const stats = new Map<string, OpStats>();
    let lost: Error | null = null;
    const open = async (): Promise<Backend | null> => {
      try {
        const b = await create(kind);
        lost = null;
        b.onDeviceError((err) => (lost ??= err));
        return b;
      } catch (e) {
        out(`ERROR cannot create the ${kind} backend: ${(e as Error).message}`);
        badInput = true;
        return null;
      }
    };
    let be = await open();
    try {
      for (const [i, { file, fixture }] of loaded.entries()) {
        if (!be) {
          result.failed += loaded.length - i;
          break;
        }
        if (!fixture) {
          result.failed++;
          continue;
        }
        let s = stats.get(fixture.op);
        if (!s) {
          s = { op: fixture.op, backend: kind, fixtures: 0, passed: 0, maxRelError: 0, maxAbsError: 0 };
          stats.set(fixture.op, s);
        }
        s.fixtures++;
        try {
          const r = await runFixture(be, fixture);
          s.maxRelError = Math.max(s.maxRelError, r.maxRelError);
          s.maxAbsError = Math.max(s.maxAbsError, r.maxAbsError);
          if (r.passed) {
            result.passed++;
            s.passed++;
          } else {
            result.failed++;
            for (const line of mismatchLines(kind, file, fixture, r.mismatches)) out(line);
          }
        } catch (e) {
          result.failed++;
          const message = (e as Error).message;
          if (e instanceof FixtureFormatError) {
            badInput = true;
            if (!malformedOnce.has(file)) {
              malformedOnce.add(file);
              result.malformed.push({ file, message });
              out(`MALFORMED ${file}: ${message}`);
            }
          } else {
            // GPU errors carry the WGSL source excerpt over several lines: the first says what failed.
            const [first, ...rest] = message.split('\n');
            out(`FAIL ${kind} ${fixture.op} ${file}: error: ${first}`);
            if (opts.verbose) for (const line of rest) if (line.trim()) out(`    ${line}`);
          }
        }
        if (lost) {
          // A lost device fails everything after it: check the remaining fixtures on a fresh one.
          out(`note: the ${kind} backend failed at ${file}; the remaining fixtures run on a new one`);
          be.destroy();
          be = await open();
        }
      }
    } finally {
      be?.destroy();
    }
    result.stats.push(...stats.values());
  }

  if (opts.verbose && result.stats.length > 0) for (const line of statsTable(result.stats)) out(line);
  return finish();
}

export const VERIFY_USAGE = `usage: lab verify <folder|file.json> [--backend webgpu|cpu|both] [--verbose]

Checks oracle fixtures (the format of design/OPS.md) on the chosen backends (default: both) and prints one
line per run of failing elements, then "N passed, M failed" (a fixture counts once per backend).

  --backend, -b   webgpu, cpu or both (default both)
  --verbose, -v   also print a per-op table of the largest relative and absolute errors
  --help, -h      this help

exit status: 0 all passed, 1 some fixture failed, 2 a fixture could not be read or is malformed
(the others are still checked), a backend could not be created, or the command line is wrong`;

/** `lab verify` from command-line arguments: prints through `print` and returns the exit code. */
export async function verifyCommand(
  argv: readonly string[],
  io: { print: (line: string) => void; error: (line: string) => void } = {
    print: (l) => console.log(l),
    error: (l) => console.error(l),
  },
  createBackend?: VerifyOptions['createBackend'],
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        backend: { type: 'string', short: 'b', default: 'both' },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.error(`lab verify: ${(e as Error).message}\n\n${VERIFY_USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.print(VERIFY_USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    io.error(`lab verify: expected one folder or fixture file, got ${positionals.length}\n\n${VERIFY_USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const choice = values.backend;
  if (choice !== 'webgpu' && choice !== 'cpu' && choice !== 'both') {
    io.error(`lab verify: --backend must be webgpu, cpu or both, not "${choice}"`);
    return EXIT_BAD_INPUT;
  }
  const backends: BackendKind[] = choice === 'both' ? ['cpu', 'webgpu'] : [choice];
  const r = await verify(positionals[0], { backends, verbose: values.verbose, print: io.print, createBackend });
  return r.exitCode;
}
