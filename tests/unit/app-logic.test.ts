// Pure logic of the app and the trainer loop: formatting, CSV and JSON lines, run bundles, the form generated from
// the schema, chart series, progress, snapshot views, Markdown with math, metric coalescing and the NaN guard.
import { describe, expect, it } from 'vitest';
import { metricLine as cliMetricLine } from '../../src/cli/run';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  decodeWeights,
  encodeWeights,
  fromCsv,
  metricLine,
  parseBundle,
  plainSnapshot,
  serializeBundle,
  toCsv,
  toJsonLines,
  weightBytes,
  type RunBundle,
} from '../../src/app/export';
import { formatEta, formatRate, formatValue } from '../../src/app/format';
import { formSections, readNumber, setIn, sliderOf, type FormField } from '../../src/app/form';
import { renderMarkdown } from '../../src/app/markdown';
import { RateMeter } from '../../src/app/progress';
import { buildCharts, nearest } from '../../src/app/series';
import { scatterExtent, sequenceRows } from '../../src/app/snapshot';
import { newRunKey } from '../../src/app/store';
import { ExperimentSchema, parseConfig } from '../../src/lab/config';
import { historyRows, METRIC_COLUMNS, type MetricRow } from '../../src/lab/metrics';
import { PRESETS } from '../../src/lab/presets';
import { findNonFinite, MetricCoalescer, nonFiniteMessage } from '../../src/worker/guard';

const rows: MetricRow[] = [
  { stage: 'dpo', step: 1, loss: 0.6931471824645996, 'rewards/margins': 0 },
  { stage: 'dpo', step: 2, loss: 0.5, 'rewards/margins': 0.125, 'kl/reference': 1e-9 },
];

describe('formatting', () => {
  it('writes metric values, rates and ETAs', () => {
    expect(formatValue(0.693147)).toBe('0.6931');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(1e-9)).toBe('1.00e-9');
    expect(formatValue(123456)).toBe('1.23e5');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(-Infinity)).toBe('−∞');
    expect(formatRate(0)).toBe('–');
    expect(formatRate(12.34)).toBe('12.3 steps/s');
    expect(formatRate(250.4)).toBe('250 steps/s');
    expect(formatEta(0, 10)).toBe('0 s');
    expect(formatEta(100, 0)).toBe('–');
    expect(formatEta(450, 10)).toBe('45 s');
    expect(formatEta(2000, 10)).toBe('3 min 20 s');
    expect(formatEta(40_000, 10)).toBe('1 h 06 min');
  });
});

describe('CSV and JSON lines', () => {
  it('writes JSON lines exactly as the CLI does', () => {
    for (const r of rows) expect(metricLine(r)).toBe(cliMetricLine(r));
    expect(toJsonLines(rows).split('\n')).toHaveLength(3);
  });

  it('writes the registry columns and reads numbers back exactly', () => {
    const csv = toCsv(rows);
    expect(csv.split('\n')[0]).toBe(METRIC_COLUMNS.join(','));
    expect(fromCsv(csv)).toEqual(rows);
  });

  it('quotes text cells and names non-finite values', () => {
    const csv = toCsv([{ stage: 'a,"b"', step: 3, loss: NaN, entropy: Infinity }]);
    expect(csv).toContain('"a,""b""",3,NaN');
    expect(csv).toContain('Infinity');
  });
});

describe('run bundles', () => {
  const config = parseConfig(PRESETS[0].config);
  const bundle: RunBundle = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    name: 'test',
    savedAt: '2026-01-01T00:00:00.000Z',
    backend: 'CPU',
    config,
    done: 2,
    total: 400,
    rows: [...rows, { stage: 'dpo', step: 3, loss: NaN }],
    final: plainSnapshot({
      kind: 'bandit',
      stage: 'dpo',
      P: 4,
      K: 12,
      ...Object.fromEntries(
        ['policy', 'reference', 'optimal', 'reward'].map((k, j) => [
          k,
          Float32Array.from({ length: 48 }, () => (j + 1) / 12),
        ]),
      ),
    }),
  };

  it('round-trips through JSON, NaN included', () => {
    const back = parseBundle(serializeBundle(bundle));
    expect(back.config).toEqual(config);
    expect(back.rows.slice(0, 2)).toEqual(rows);
    expect(back.rows[2].loss).toBeNaN();
    expect(back.final).toEqual(bundle.final);
    expect((back.final!.policy as number[]).slice(0, 2)).toEqual([1 / 12, 1 / 12].map(Math.fround));
  });

  it('stores nested snapshot arrays as lists', () => {
    const snap = {
      kind: 'points2d',
      modeNames: ['a', 'b'],
      data: new Float32Array([0.5, 1]),
      shares: { data: new Float32Array([0.25, 0.75]) },
      trajectory: { steps: 2, t: new Int32Array([9, 3]) },
    };
    const plain = plainSnapshot(snap)!;
    expect(JSON.parse(JSON.stringify(plain))).toEqual({
      kind: 'points2d',
      modeNames: ['a', 'b'],
      data: [0.5, 1],
      shares: { data: [0.25, 0.75] },
      trajectory: { steps: 2, t: [9, 3] },
    });
  });

  it('refuses what is not a valid bundle, saying why', () => {
    expect(() => parseBundle('not json')).toThrow('the file is not JSON');
    expect(() => parseBundle('{"format":"other"}')).toThrow('not a PrefLab run bundle');
    const badConfig = JSON.parse(serializeBundle(bundle));
    badConfig.config.stages[0].beta = -1;
    expect(() => parseBundle(JSON.stringify(badConfig))).toThrow("the run's config is not valid: stages.0.beta");
    const badRows = JSON.parse(serializeBundle(bundle));
    badRows.rows = [{ loss: 1 }];
    expect(() => parseBundle(JSON.stringify(badRows))).toThrow('each row needs a stage and a step');
    const tooMany = JSON.parse(serializeBundle(bundle));
    tooMany.done = 500;
    expect(() => parseBundle(JSON.stringify(tooMany))).toThrow('claims 500 steps done of 400');
  });

  it('carries the final weights as base64 of little-endian floats, exactly', () => {
    // The preset's policy: the logits of 4 prompts x 12 responses.
    const policy = new Float32Array(48);
    policy.set([0.1, -2.5, 1e-30, 3.4e38, -0, 7]);
    const weights = { policy };
    const text = serializeBundle({ ...bundle, weights });
    const json = JSON.parse(text);
    expect(json.weights).toEqual([{ name: 'policy', length: 48, base64: expect.any(String) }]);
    // Little-endian: 7 = 0x40e00000 ends the sixth float as 00 00 e0 40.
    const bytes = Buffer.from(json.weights[0].base64, 'base64');
    expect([...bytes.subarray(20, 24)]).toEqual([0x00, 0x00, 0xe0, 0x40]);
    const back = parseBundle(text);
    expect(back.weights).toEqual(weights);
    expect(Object.is(back.weights!.policy[4], -0)).toBe(true);
    expect(weightBytes(back.weights)).toBe(192);
    expect(decodeWeights(encodeWeights(weights), new Map([['policy', 48]]))).toEqual(weights);
    expect(encodeWeights({ empty: new Float32Array(0) })).toEqual([{ name: 'empty', length: 0, base64: '' }]);
  });

  it('imports a bundle without weights (saved before they were kept) with none', () => {
    const back = parseBundle(serializeBundle(bundle));
    expect(back.weights).toBeUndefined();
    expect(weightBytes(back.weights)).toBe(0);
  });

  it('refuses malformed weights, saying why', () => {
    const good = JSON.parse(serializeBundle({ ...bundle, weights: { policy: new Float32Array(48).fill(1) } }));
    const withWeights = (w: unknown) => JSON.stringify({ ...good, weights: w });
    expect(() => parseBundle(withWeights([{ ...good.weights[0], base64: 'not base64!' }]))).toThrow(
      'the weights of policy are not valid base64',
    );
    expect(() => parseBundle(withWeights([{ ...good.weights[0], base64: 'AAAA=' }]))).toThrow('not valid base64');
    const short = encodeWeights({ policy: new Float32Array(47) })[0].base64;
    expect(() => parseBundle(withWeights([{ ...good.weights[0], base64: short }]))).toThrow(
      'the weights of policy hold 188 bytes, not 192 for 48 floats',
    );
    expect(() => parseBundle(withWeights([{ ...good.weights[0], length: 1.5 }]))).toThrow('not a PrefLab run bundle');
    expect(() => parseBundle(withWeights([{ name: 'policy', base64: '' }]))).toThrow('not a PrefLab run bundle');
    expect(() => parseBundle(withWeights({ policy: good.weights[0].base64 }))).toThrow('not a PrefLab run bundle');
    expect(() => parseBundle(withWeights([good.weights[0], good.weights[0]]))).toThrow('appear twice');
  });

  it('gives each saved run its own key', () => {
    expect(newRunKey(1000, 0.5)).not.toBe(newRunKey(1000, 0.25));
    expect(newRunKey(1000, 0.5)).toMatch(/^run:/);
  });
});

describe('the form generated from the schema', () => {
  it('has a titled, bounded field for each setting of the config', () => {
    const cfg = parseConfig(PRESETS[0].config);
    const sections = formSections(ExperimentSchema, cfg as unknown as Record<string, unknown>);
    expect(sections.map((s) => s.title)).toEqual(['Run', 'World: bandit', 'Stage 1: dpo']);
    const lr = sections[2].fields.find((f) => f.id === 'stages.0.optimizer.lr')!;
    expect(lr).toMatchObject({ label: 'Learning rate', kind: 'number', min: 1e-6, max: 1, value: 0.05 });
    const loss = sections[2].fields.find((f) => f.id === 'stages.0.lossType')!;
    expect(loss.kind).toBe('choice');
    expect(loss.options).toContainEqual({ value: 'ipo', label: 'ipo — IPO' });
    expect(loss.options).toContainEqual({ value: 'sigmoid', label: 'sigmoid — DPO' });
    const prompts = sections[1].fields.find((f) => f.id === 'world.prompts')!;
    expect(prompts).toMatchObject({ kind: 'integer', min: 1, max: 1024, description: 'Number of prompts x' });
  });

  it('lists models and every stage of a pipeline', () => {
    const cfg = parseConfig(PRESETS.find((p) => p.name === 'teacher-student-dpo')!.config);
    const titles = formSections(ExperimentSchema, cfg as unknown as Record<string, unknown>).map((s) => s.title);
    expect(titles).toContain('Model: teacher');
    expect(titles.filter((t) => t.startsWith('Stage'))).toHaveLength(4);
  });

  it('edits a copy at a path and reads number inputs', () => {
    const cfg = { a: { b: [1, 2] }, c: 1 };
    const next = setIn(cfg, ['a', 'b', 1], 5);
    expect(next).toEqual({ a: { b: [1, 5] }, c: 1 });
    expect(cfg.a.b[1]).toBe(2);
    expect(readNumber('')).toBeNaN();
    expect(readNumber('1e-3')).toBe(0.001);
  });

  it('slides bounded numbers: linear for narrow ranges and integers, log for wide positive ranges', () => {
    const field = (kind: FormField['kind'], min?: number, max?: number): FormField =>
      ({ path: ['x'], id: 'x', label: 'x', description: '', kind, min, max, value: undefined }) as FormField;
    expect(sliderOf(field('choice'))).toBeNull();
    expect(sliderOf(field('number', 0))).toBeNull();
    const lr = sliderOf(field('number', 1e-6, 1))!;
    expect(lr.log).toBe(true);
    // Each decade gets the same travel: 1e-3 is halfway between 1e-6 and 1.
    expect(lr.position(1e-3)).toBe(500);
    expect(lr.value(500)).toBeCloseTo(1e-3, 12);
    expect(lr.value(0)).toBe(1e-6);
    expect(lr.value(lr.steps)).toBe(1);
    expect(lr.position(5)).toBe(lr.steps);
    const spread = sliderOf(field('number', 0, 1))!;
    expect(spread.log).toBe(false);
    expect(spread.value(250)).toBe(0.25);
    expect(spread.position(0.1)).toBe(100);
    const layers = sliderOf(field('integer', 1, 6))!;
    expect(layers.steps).toBe(5);
    expect([0, 1, 5].map((p) => layers.value(p))).toEqual([1, 2, 6]);
    const samples = sliderOf(field('integer', 64, 65536))!;
    expect(samples.log).toBe(true);
    expect(Number.isInteger(samples.value(333))).toBe(true);
    for (let p = 0; p <= samples.steps; p += 37) expect(samples.position(samples.value(p))).toBeCloseTo(p, -1);
  });
});

describe('chart series and progress', () => {
  const stagesOf = (preset: string) => parseConfig(PRESETS.find((p) => p.name === preset)!.config).stages;

  it('groups metrics by chart in registry order, x on the run step axis, broken between stages', () => {
    // dpo-verbosity: sft (300 steps) then dpo, both on the model named policy.
    const charts = buildCharts([
      { label: 'a', stages: stagesOf('dpo-verbosity'), rows: [{ stage: 'sft', step: 10, loss: 2 }, ...rows] },
    ]);
    expect(charts.map((c) => c.chart)).toEqual(['Loss', 'Reward margin', 'KL']);
    const [loss] = charts[0].series;
    expect(loss.label).toBe('loss · policy');
    expect(loss.xs).toEqual([10, 301, 302]);
    expect(loss.pieces.map((p) => [p.from, p.to, p.span.name])).toEqual([
      [0, 1, 'sft'],
      [1, 3, 'dpo'],
    ]);
    expect(charts[0].points).toBe(3);
  });

  it('overlays several runs with labels', () => {
    const stages = stagesOf('dpo-bandit');
    const charts = buildCharts([
      { label: 'this run', stages, rows },
      { label: 'saved', stages, rows },
    ]);
    expect(charts[0].series.map((s) => s.label)).toEqual(['loss · policy · this run', 'loss · policy · saved']);
    expect(charts[0].series.map((s) => s.hue)).toEqual([0, 0]);
  });

  it('finds the nearest point', () => {
    expect(nearest([0, 10, 20], 14)).toBe(1);
    expect(nearest([0, 10, 20], 16)).toBe(2);
    expect(nearest([], 3)).toBe(-1);
  });

  it('measures steps per second', () => {
    const m = new RateMeter(3000);
    m.add(0, 0);
    expect(m.add(1000, 50)).toBe(50);
    expect(m.add(2000, 150)).toBe(75);
    expect(m.add(2500, 0)).toBe(0);
  });
});

describe('snapshot views', () => {
  it('spans at least [-3, 3] and widens in half steps to hold every data point', () => {
    expect(scatterExtent(Float32Array.from([0.5, -2.5, 1, 2]))).toBe(3);
    expect(scatterExtent(Float32Array.from([2.9]))).toBe(3.5);
    expect(scatterExtent(Float32Array.from([0, 4.1, -1, NaN]))).toBe(4.5);
    expect(scatterExtent(Float32Array.from([-3.9, 0]))).toBe(4.5);
    expect(scatterExtent(new Float32Array(0))).toBe(3);
  });

  it('decodes sampled sequences up to EOS', () => {
    const r = sequenceRows({
      T: 3,
      eos: 0,
      samples: Int32Array.from([4, 5, 0, 7, 8, 9]),
      mask: Float32Array.from([1, 1, 1, 1, 1, 1]),
      rewards: Float32Array.from([1, 2]),
    });
    expect(r).toEqual([
      { tokens: '4 5 ⏎', length: 3, reward: 1, score: null },
      { tokens: '7 8 9', length: 3, reward: 2, score: null },
    ]);
  });
});

describe('Markdown with math', () => {
  it('sets $math$ with KaTeX and the rest with marked', () => {
    const html = renderMarkdown('The policy $\\pi_\\theta$ and `kl/optimal` *fall*.');
    expect(html).toContain('class="katex"');
    expect(html).toContain('<code>kl/optimal</code>');
    expect(html).toContain('<em>fall</em>');
    expect(html).not.toContain('MATHPLACEHOLDER');
  });
});

describe('the device metric history', () => {
  it('reads steps (from, to] from the row step % period, columns in logging order', () => {
    // period 3, two metrics: row r holds [loss, entropy] of the last step s with s % 3 = r.
    const history = [30, 31, 10, 11, 20, 21];
    expect(historyRows('dpo', ['loss', 'entropy'], history, 3, 1, 3)).toEqual([
      { stage: 'dpo', step: 2, loss: 20, entropy: 21 },
      { stage: 'dpo', step: 3, loss: 30, entropy: 31 },
    ]);
    expect(historyRows('dpo', ['loss', 'entropy'], history, 3, 3, 3)).toEqual([]);
  });
});

describe('the training loop guard', () => {
  it('names the first non-finite metric with its step', () => {
    expect(findNonFinite(rows)).toBeNull();
    const bad = findNonFinite([...rows, { stage: 'dpo', step: 3, loss: 0.4, 'rewards/margins': NaN }]);
    expect(bad).toEqual({ stage: 'dpo', step: 3, metric: 'rewards/margins', value: NaN });
    expect(nonFiniteMessage(bad!)).toMatch(/^Paused: rewards\/margins became NaN at step 3 of stage dpo\./);
    expect(nonFiniteMessage({ stage: 's', step: 9, metric: 'loss', value: Infinity })).toContain('+Infinity at step 9');
  });

  it('coalesces rows into at most one post per interval', () => {
    const c = new MetricCoalescer(33);
    expect(c.due(0)).toBe(false);
    c.push(rows);
    expect(c.due(0)).toBe(true);
    expect(c.take(0)).toEqual(rows);
    c.push(rows);
    expect(c.due(10)).toBe(false);
    expect(c.pending).toBe(2);
    expect(c.due(33)).toBe(true);
    expect(c.take(33)).toHaveLength(2);
    expect(c.take(40)).toEqual([]);
  });
});
