// The bandit's snapshot view at table sizes a valid config allows (up to 1024 x 4096): the page of prompts and the
// responses it draws, their scale without spreading arrays into arguments, and the rendered SVG (server-side, no
// DOM) staying within a readable number of bars.
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import {
  banditNote,
  banditView,
  barTitle,
  MAX_PROMPTS,
  MAX_RESPONSES,
  pageStart,
  promptSummary,
} from '../../src/app/bandit-view';
import { formatValue } from '../../src/app/format';
import { largest } from '../../src/app/snapshot';
import SnapshotView from '../../src/app/SnapshotView.svelte';
import { Philox } from '../../src/engine/rng';
import type { BanditSnapshot } from '../../src/lab/stage';

/** A [P, K] bandit snapshot: softmax rows of random logits, a sharper optimum, rewards by response id. */
function tables(P: number, K: number, seed = 1): BanditSnapshot {
  const rng = new Philox(seed, 3);
  const rows = (sharp: number) => {
    const out = new Float32Array(P * K);
    for (let p = 0; p < P; p++) {
      let z = 0;
      for (let k = 0; k < K; k++) z += out[p * K + k] = Math.exp(sharp * rng.normal());
      for (let k = 0; k < K; k++) out[p * K + k] /= z;
    }
    return out;
  };
  const reward = Float32Array.from({ length: P * K }, (_, i) => (i % K) / K);
  return { kind: 'bandit', stage: 'dpo', P, K, policy: rows(1), reference: rows(1), optimal: rows(3), reward };
}

const rects = (html: string) => (html.match(/<rect\b/g) ?? []).length;

describe('the bandit snapshot view', () => {
  it('renders a 256 x 512 table without overflowing the stack, within a readable number of bars', () => {
    const { body } = render(SnapshotView, { props: { snapshot: tables(256, 512) } });
    expect(rects(body)).toBe(MAX_PROMPTS * MAX_RESPONSES * 3);
    expect(body).toContain('Showing prompts 0–11 of 256.');
    expect(body).toContain('Each prompt shows its 23 likeliest of 512 responses; the last bar sums the other 489.');
  });

  it('draws at most a page of prompts of a 64 x 256 table, not 49,152 bars', () => {
    const { body } = render(SnapshotView, { props: { snapshot: tables(64, 256) } });
    expect(rects(body)).toBeLessThanOrEqual(MAX_PROMPTS * MAX_RESPONSES * 3);
    expect(body).toContain('Showing prompts 0–11 of 64.');
  });

  it('draws a small table whole, with no note', () => {
    const { body } = render(SnapshotView, { props: { snapshot: tables(4, 12) } });
    expect(rects(body)).toBe(4 * 12 * 3);
    expect(body).not.toContain('Showing prompts');
    expect(body).not.toContain('likeliest of');
  });
});

describe('the bandit view logic', () => {
  it('pages prompts: the page holding the chosen prompt, clamped to the table', () => {
    expect(pageStart(256, 0)).toBe(0);
    expect(pageStart(256, 13)).toBe(12);
    expect(pageStart(256, 255)).toBe(252);
    expect(pageStart(256, 9999)).toBe(252);
    expect(pageStart(256, -5)).toBe(0);
    expect(pageStart(256, NaN)).toBe(0);
    expect(pageStart(5, 3)).toBe(0);
    const view = banditView(tables(256, 8), 253);
    expect(view.first).toBe(252);
    expect(view.groups.map((g) => g.prompt)).toEqual([252, 253, 254, 255]);
    expect(banditNote(view)).toBe('Showing prompts 252–255 of 256.');
  });

  it('keeps every response of a narrow table, in order, with the table values', () => {
    const s = tables(3, 5);
    const view = banditView(s);
    expect(view.shown).toBe(5);
    expect(banditNote(view)).toBeNull();
    const b = view.groups[2].bars[4];
    expect(b).toEqual({
      response: 4,
      reference: s.reference[14],
      policy: s.policy[14],
      optimal: s.optimal[14],
      reward: s.reward[14],
    });
  });

  it('draws the likeliest responses of a wide table by id and sums the rest, so each series keeps its mass', () => {
    const s = tables(2, 512);
    const view = banditView(s);
    const bars = view.groups[1].bars;
    expect(bars).toHaveLength(MAX_RESPONSES);
    const ids = bars.slice(0, -1).map((b) => b.response);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const rest = bars[bars.length - 1];
    expect(rest.response).toBe(-1);
    expect(rest.reward).toBeNaN();
    for (const key of ['reference', 'policy', 'optimal'] as const) {
      const total = bars.reduce((a, b) => a + b[key], 0);
      expect(total).toBeCloseTo(1, 4);
    }
    // Each drawn response is at least as likely (under its best policy) as any summed one.
    const row = (k: number) => Math.max(s.reference[512 + k], s.policy[512 + k], s.optimal[512 + k]);
    const drawn = new Set(ids);
    const weakestDrawn = Math.min(...ids.map(row));
    for (let k = 0; k < 512; k++) if (!drawn.has(k)) expect(row(k)).toBeLessThanOrEqual(weakestDrawn);
    expect(barTitle('π_θ', rest, 'policy')).toMatch(/^π_θ\(the other responses\) = 0\.\d{4}$/);
    expect(barTitle('π_ref', bars[0], 'reference')).toMatch(new RegExp(`^π_ref\\(y${ids[0]}\\) = .+, r = .+$`));
  });

  it('scales to the largest drawn probability, ignoring a diverged (NaN) policy', () => {
    const s = tables(2, 3);
    s.policy.fill(NaN);
    s.optimal.set([0.9, 0.05, 0.05], 3);
    expect(banditView(s).yMax).toBeCloseTo(0.9, 6);
    expect(banditView({ ...s, optimal: new Float32Array(6), reference: new Float32Array(6) }).yMax).toBe(0.05);
  });

  it('finds the largest of millions of values (a spread into Math.max overflows the stack)', () => {
    const big = new Float32Array(4_194_304).fill(0.25);
    big[4_000_000] = 0.5;
    big[10] = NaN;
    expect(largest([big, Float32Array.from([0.3])], 0.05)).toBe(0.5);
    expect(largest([], 1e-9)).toBe(1e-9);
    const { P, K } = { P: 1024, K: 4096 };
    const view = banditView({ ...tables(1, 1), P, K, policy: big, reference: big, optimal: big, reward: big });
    expect(view.groups).toHaveLength(MAX_PROMPTS);
    expect(view.groups.every((g) => g.bars.length === MAX_RESPONSES)).toBe(true);
  });
});

describe('a prompt in words', () => {
  it('names the likeliest response under the policy and under the optimum, with both probabilities', () => {
    const s = tables(1, 6, 2);
    const [g] = banditView(s).groups;
    const argmax = (t: ArrayLike<number>) => Array.from(t).reduce((b, x, i, a) => (x > a[b] ? i : b), 0);
    const p = argmax(s.policy);
    const o = argmax(s.optimal);
    expect(p).not.toBe(o);
    expect(promptSummary(g)).toBe(
      `π_θ likeliest: y${p} (${formatValue(s.policy[p])}; π* ${formatValue(s.optimal[p])}); ` +
        `π* likeliest: y${o} (${formatValue(s.optimal[o])}; π_θ ${formatValue(s.policy[o])})`,
    );
  });

  it('says it once when the policy and the optimum agree', () => {
    const s = tables(1, 5, 3);
    s.policy.set(s.optimal);
    const [g] = banditView(s).groups;
    expect(promptSummary(g)).toMatch(/^π_θ and π\* likeliest: y\d \(π_θ [\d.]+, π\* [\d.]+\)$/);
  });

  it('never names the bar that sums the rest, and survives a diverged policy', () => {
    const s = tables(1, 400, 5);
    s.policy.fill(NaN);
    const [g] = banditView(s).groups;
    expect(promptSummary(g)).not.toContain('other responses');
    expect(promptSummary(g)).toContain('NaN');
  });
});
