// Metric names come from the registry: tsc refuses a misspelt one (the @ts-expect-error lines fail the type check
// if the typing ever loosens), and names read at run time (device history, CSV, bundles) are checked against it.
import { describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, BUNDLE_VERSION, fromCsv, parseBundle, serializeBundle } from '../../src/app/export';
import { parseConfig } from '../../src/lab/config';
import {
  historyRows,
  isMetricName,
  METRIC_COLUMNS,
  METRICS,
  type MetricDef,
  type MetricName,
  type MetricRow,
  type SampleMetricName,
} from '../../src/lab/metrics';
import { PRESETS } from '../../src/lab/presets';

/** Compiles only when A and B are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typed = <T extends true>(ok: T): T => ok;

describe('metric names', () => {
  it('are a union of the registry names that tsc checks', () => {
    const row: MetricRow = { stage: 'dpo', step: 1, loss: 0.5, 'kl/reference': 0.1, 'hybrid/recall': 1 };
    // @ts-expect-error 'kl/refrence' is not a metric of the registry.
    const typo: MetricRow = { stage: 'dpo', step: 1, 'kl/refrence': 0.1 };
    // @ts-expect-error a metric's value is a number.
    const text: MetricRow = { stage: 'dpo', step: 1, loss: '0.5' };
    // @ts-expect-error only registry names index a row.
    const missing = row['rewards/margin'];
    const def: MetricDef = {
      // @ts-expect-error a chart's metrics are registry names.
      name: 'rewards/accuracy',
      chart: 'Reward accuracy',
      unit: '',
      description: '',
      cadence: 'step',
    };
    // Every prefixed diversity metric is in the registry, and every registry name under a sample prefix is one.
    typed<Same<Extract<MetricName, `${'diversity' | 'teacher' | 'hybrid'}/${string}`>, SampleMetricName>>(true);
    expect([typo, text, missing, def]).toHaveLength(4);
    expect(METRIC_COLUMNS.slice(2)).toEqual(METRICS.map((m) => m.name));
  });

  it('are told apart from other strings at run time', () => {
    expect(METRICS.every((m) => isMetricName(m.name))).toBe(true);
    expect(isMetricName('kl/refrence')).toBe(false);
    expect(isMetricName('stage')).toBe(false);
  });

  it('name the device history columns: a name outside the registry does not type-check', () => {
    // @ts-expect-error: rewards/margin is not a metric (the registry has rewards/margins)
    const rows = historyRows('dpo', ['loss', 'rewards/margin'], [0, 0], 1, 0, 1);
    expect(rows).toHaveLength(1);
  });

  it('keep only registry columns when a CSV is read back', () => {
    expect(fromCsv('stage,step,loss,kl/refrence\ndpo,1,0.5,0.1\n')).toEqual([{ stage: 'dpo', step: 1, loss: 0.5 }]);
  });

  it('keep only registry metrics of an imported bundle, and refuse a metric that is text', () => {
    const bundle = JSON.parse(
      serializeBundle({
        format: BUNDLE_FORMAT,
        version: BUNDLE_VERSION,
        name: 'test',
        savedAt: '2026-01-01T00:00:00.000Z',
        backend: 'CPU',
        config: parseConfig(PRESETS[0].config),
        done: 1,
        total: 400,
        rows: [{ stage: 'dpo', step: 1, loss: 0.5 }],
        final: null,
      }),
    );
    bundle.rows[0]['future/metric'] = 2;
    expect(parseBundle(JSON.stringify(bundle)).rows).toEqual([{ stage: 'dpo', step: 1, loss: 0.5 }]);
    bundle.rows[0].loss = '0.5';
    expect(() => parseBundle(JSON.stringify(bundle))).toThrow("a row's metrics are numbers");
  });
});
