// Links list only a config's non-default values: the schema's defaults fill in the rest on opening, so the
// compact form restores every config exactly, and links made under this config version keep their meaning.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VERSION, parseConfig } from '../../src/lab/config';
import { compactConfig } from '../../src/lab/config-compact';
import { PRESETS } from '../../src/lab/presets';
import { decodeConfig, encodeConfig } from '../../src/lab/share';

/** Links made when this file was written, with the full configs they opened to then. */
const PINNED = JSON.parse(readFileSync(new URL('./share-links-v1.json', import.meta.url), 'utf8')) as {
  made: string;
  link: string;
  config: unknown;
}[];

describe('compact links', () => {
  it('hold the version and the non-default values only, and restore every preset exactly, key order included', () => {
    for (const p of PRESETS) {
      const cfg = parseConfig(p.config);
      const compact = compactConfig(cfg) as Record<string, unknown>;
      expect(compact.version).toBe(CONFIG_VERSION);
      expect(compact).not.toHaveProperty('title');
      expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(cfg).length);
      expect(JSON.stringify(parseConfig(compact))).toBe(JSON.stringify(cfg));
      expect(JSON.stringify(decodeConfig(encodeConfig(cfg)))).toBe(JSON.stringify(cfg));
    }
  });

  it('leave out what equals a default and keep what differs from it', () => {
    const cfg = parseConfig({
      seed: 5,
      world: { kind: 'bandit' },
      stages: [{ kind: 'preference', beta: 2 }],
    });
    expect(compactConfig(cfg)).toEqual({
      version: CONFIG_VERSION,
      seed: 5,
      world: { kind: 'bandit' },
      stages: [{ kind: 'preference', beta: 2 }],
    });
  });

  it('made under this config version open to the same configs', () => {
    expect(PINNED.length).toBeGreaterThan(0);
    for (const { made, link, config } of PINNED) {
      // A failure here means a default changed: links list only non-default values, so a link made before would
      // now run another experiment. Give the config a new CONFIG_VERSION instead of changing a default under it.
      expect(decodeConfig(link), `the link made from ${made}`).toEqual(config);
    }
  });
});
