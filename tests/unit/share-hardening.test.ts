// Share links under attack and damage: bounded messages, honest refusals, and no single flipped bit that turns a
// preset's link into another valid experiment.

import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lab/config';
import { PRESETS } from '../../src/lab/presets';
import { ShareLinkError, decodeConfig, encodeConfig, encodeJson } from '../../src/lab/share';
import { adversarialLinks } from '../helpers/links';

const legacy = (text: string) =>
  '#v1.' + Buffer.from(deflateSync(new TextEncoder().encode(text))).toString('base64url');

function refusal(link: string): string {
  try {
    decodeConfig(link);
  } catch (e) {
    if (e instanceof ShareLinkError) return e.message;
    throw e;
  }
  throw new Error('the link decoded');
}

describe('share link refusals', () => {
  it('a 419-character link of 130,001 zeros says the stage list is too long, in one short line', () => {
    const link = legacy(`{"world":{"kind":"bandit"},"stages":[${Array(130_001).fill(0).join(',')}]}`);
    expect(link.length).toBeLessThan(500);
    expect(refusal(link)).toBe("the link's experiment is not valid: stages: at most 8 stages (got 130001)");
  });

  it.each(adversarialLinks().map((c) => [c.name, c.link]))('%s: refused in under 2,000 characters', (_, link) => {
    expect(link.length).toBeLessThan(64 * 1024);
    expect(refusal(link).length).toBeLessThan(2000);
  });

  it.each(['#v1.', '#v2.', 'v2.'])('%s: says the link is empty', (link) => {
    expect(refusal(link)).toMatch(/^this link is empty/);
  });

  it('keeps reading links made before the checksum', () => {
    for (const p of PRESETS) {
      const cfg = parseConfig(p.config);
      expect(decodeConfig(legacy(JSON.stringify(cfg)))).toEqual(cfg);
    }
  });

  it('says a link whose characters changed is damaged', () => {
    const link = encodeConfig(parseConfig(PRESETS[0].config));
    const at = Math.floor(link.length / 2);
    const changed = link.slice(0, at) + (link[at] === 'A' ? 'B' : 'A') + link.slice(at + 1);
    expect(refusal(changed)).toMatch(/^this link is damaged/);
    expect(refusal(link.slice(0, -3))).toMatch(/damaged/);
    expect(refusal(encodeJson('{}').slice(0, 7))).toMatch(/damaged/);
  });

  it('no single flipped bit of a preset link decodes to another experiment', () => {
    let refused = 0;
    let flips = 0;
    for (const p of PRESETS.slice(0, 4)) {
      const cfg = parseConfig(p.config);
      const link = encodeConfig(cfg);
      for (let i = 0; i < link.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const flipped = link.slice(0, i) + String.fromCharCode(link.charCodeAt(i) ^ (1 << bit)) + link.slice(i + 1);
          flips++;
          try {
            // A flip in the unused low bits of the last character leaves the bytes, and the experiment, as they were.
            expect(decodeConfig(flipped)).toEqual(cfg);
          } catch (e) {
            if (!(e instanceof ShareLinkError)) throw e;
            refused++;
          }
        }
      }
    }
    expect(flips).toBeGreaterThan(4000);
    expect(refused).toBeGreaterThan(flips * 0.99);
  });
});
