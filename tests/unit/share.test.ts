// Share links: round trip of every preset, clear refusals, and a fuzzer of random and mutated links.

import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lab/config';
import { PRESETS } from '../../src/lab/presets';
import { Philox } from '../../src/engine/rng';
import { ShareLinkError, decodeConfig, encodeConfig } from '../../src/lab/share';

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const pack = (text: string) => '#v1.' + b64url(deflateSync(new TextEncoder().encode(text)));

describe('share links', () => {
  it('round-trip every preset exactly', () => {
    for (const p of PRESETS) {
      const cfg = parseConfig(p.config);
      const link = encodeConfig(cfg);
      expect(link).toMatch(/^#v2\.[A-Za-z0-9_-]+$/);
      expect(decodeConfig(link)).toEqual(cfg);
      expect(decodeConfig(link.slice(1))).toEqual(cfg);
    }
  });

  it.each([
    ['', /not a PrefLab share link/],
    ['#hello', /not a PrefLab share link/],
    ['#v9.abc', /newer version/],
    ['#v0.abc', /retired link format/],
    ['#v1.ab$c', /characters/],
    ['#v1.a', /cut short/],
    ['#v1.AAAA', /do not decompress/],
    [pack('not json'), /not a config/],
    [
      pack('{"world":{"kind":"bandit"},"stages":[{"kind":"preference","steps":-5}]}'),
      /stages\.0\.steps: must be at least 1/,
    ],
    [pack('{"version":2,"world":{"kind":"bandit"},"stages":[{"kind":"preference"}]}'), /version 2/],
    [pack('{"world":{"kind":"bandit"},"stages":[{"kind":"preference"}],"__proto__":{"x":1},"extra":"<script>"}'), null],
    ['#v1.' + 'A'.repeat(40000), /too long/],
  ])('refuses or sanitizes %#', (link, message) => {
    if (message === null) {
      // Unknown keys are dropped by the schema: nothing but the config's own fields survives.
      const cfg = decodeConfig(link);
      expect(Object.keys(cfg).sort()).toEqual(['metrics', 'seed', 'stages', 'title', 'version', 'world']);
      return;
    }
    expect(() => decodeConfig(link)).toThrow(ShareLinkError);
    expect(() => decodeConfig(link)).toThrow(message);
  });

  it('refuses a decompression bomb', () => {
    const bomb = pack('{"title":"' + 'x'.repeat(2_000_000) + '"}');
    expect(bomb.length).toBeLessThan(32 * 1024);
    expect(() => decodeConfig(bomb)).toThrow(/more data than any experiment needs/);
  });

  it('survives thousands of random and mutated links: a valid config or a ShareLinkError, nothing else', () => {
    const rng = new Philox(7, 1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_#.v1%$ ';
    const base = PRESETS.map((p) => encodeConfig(parseConfig(p.config)));
    let valid = 0;
    for (let i = 0; i < 4000; i++) {
      let link: string;
      if (i % 2 === 0) {
        const n = rng.int(200);
        link = Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]).join('');
        if (i % 4 === 0) link = '#v1.' + link;
      } else {
        const chars = base[i % base.length].split('');
        const edits = 1 + rng.int(4);
        for (let e = 0; e < edits; e++) {
          const at = 4 + rng.int(chars.length - 4);
          const op = rng.int(3);
          if (op === 0) chars[at] = alphabet[rng.int(64)];
          else if (op === 1) chars.splice(at, 1);
          else chars.splice(at, 0, alphabet[rng.int(64)]);
        }
        link = chars.join('');
      }
      try {
        const cfg = decodeConfig(link);
        expect(() => parseConfig(cfg)).not.toThrow();
        valid++;
      } catch (e) {
        expect(e).toBeInstanceOf(ShareLinkError);
      }
    }
    expect(valid).toBeLessThan(4000);
  });
});
