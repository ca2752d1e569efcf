// The text world's host side: vocabularies, encoding, the held-out split, reading files as UTF-8, drawing a token
// with temperature and top-k, the data a run trains on, and the config checks that name what is wrong with a text.
import { describe, expect, it } from 'vitest';
import { Philox } from '../../src/engine/rng';
import { ConfigError, parseConfig, type ExperimentInput } from '../../src/lab/config';
import { decodeConfig, encodeConfig, ShareLinkError } from '../../src/lab/share';
import { parseSnapshot } from '../../src/lab/snapshot-schema';
import { drawToken, makeText, tokenProbability } from '../../src/lab/worlds/text';
import { corpusText, MAX_WINDOW_CELLS, windowStride } from '../../src/lab/worlds/text-config';
import {
  charCount,
  decode,
  decodeWith,
  encode,
  invalidUtf8At,
  loneSurrogate,
  readUtf8,
  splitTokens,
  TextError,
  vocabOf,
} from '../../src/lab/worlds/text-tokens';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('vocabulary and tokens', () => {
  it('a character-level vocabulary holds the distinct characters in code point order', () => {
    const v = vocabOf('banana é🙂', 'char');
    expect(v.chars).toEqual([' ', 'a', 'b', 'n', 'é', '🙂']);
    expect(v.V).toBe(6);
    const ids = encode('nab 🙂', v);
    expect(Array.from(ids)).toEqual([3, 1, 2, 0, 5]);
    expect(decode(ids, v)).toBe('nab 🙂');
    expect(charCount(ids, 'char')).toBe(5);
  });

  it('a byte-level vocabulary is the 256 byte values, characters counted by their lead bytes', () => {
    const v = vocabOf('ignored', 'byte');
    expect(v.V).toBe(256);
    const ids = encode('aé日🙂', v);
    expect(ids.length).toBe(1 + 2 + 3 + 4);
    expect(decode(ids, v)).toBe('aé日🙂');
    expect(charCount(ids, 'byte')).toBe(4);
    // A cut character decodes as one replacement character, never as an exception.
    expect(decode(ids.subarray(0, 2), v)).toBe('a\ufffd');
  });

  it('spreads per-token values over characters: a byte-level character takes the product of its bytes', () => {
    const bytes = vocabOf('', 'byte');
    const ids = encode('aé', bytes); // 0x61, 0xc3, 0xa9
    expect(decodeWith(ids, [0.5, 0.5, 0.4], bytes)).toEqual({ text: 'aé', perChar: [0.5, 0.2] });
    // A lead byte without its continuation stands alone as U+FFFD.
    expect(decodeWith([0xc3, 0x61], [0.1, 0.9], bytes)).toEqual({ text: '\ufffda', perChar: [0.1, 0.9] });
    const chars = vocabOf('ab', 'char');
    expect(decodeWith([1, 0], [0.3, 0.7], chars)).toEqual({ text: 'ba', perChar: [0.3, 0.7] });
    expect(tokenProbability([0, Math.log(3)], 1)).toBeCloseTo(0.75, 12);
  });

  it('a character outside the vocabulary is named', () => {
    expect(() => encode('abz', vocabOf('ab', 'char'))).toThrow(/"z" is not in the vocabulary/);
  });
});

describe('held-out split', () => {
  it('holds out the last share of the tokens', () => {
    const ids = Int32Array.from({ length: 100 }, (_, i) => i);
    const { train, heldout } = splitTokens(ids, 0.1, 'char');
    expect(train.length).toBe(90);
    expect(Array.from(heldout)).toEqual(Array.from(ids.subarray(90)));
  });

  it('at byte level never splits a character between the parts', () => {
    const v = vocabOf('', 'byte');
    const ids = encode('ab日日日', v); // 2 + 9 bytes; 35% held out puts the cut at byte 7, inside the second 日
    const { train, heldout } = splitTokens(ids, 0.35, 'byte');
    expect(decode(train, v)).toBe('ab日日');
    expect(decode(heldout, v)).toBe('日');
  });
});

describe('reading a file as UTF-8', () => {
  it('reads UTF-8 and drops a byte-order mark', () => {
    expect(readUtf8(new TextEncoder().encode('\ufeffhé'))).toBe('hé');
  });

  it('names the first byte that breaks UTF-8', () => {
    expect(invalidUtf8At(bytes(0x61, 0xff, 0x62))).toBe(1);
    expect(invalidUtf8At(bytes(0x61, 0xc3))).toBe(2); // cut short
    expect(invalidUtf8At(bytes(0xc0, 0xaf))).toBe(0); // overlong
    expect(invalidUtf8At(bytes(0xed, 0xa0, 0x80))).toBe(0); // a surrogate
    expect(invalidUtf8At(new TextEncoder().encode('ok é 🙂'))).toBe(-1);
    expect(() => readUtf8(bytes(0x61, 0x62, 0xe9, 0x20), '"latin1.txt"')).toThrow(
      /"latin1.txt" is not UTF-8 text: byte 3 \(0x20\) breaks a character/,
    );
    expect(() => readUtf8(bytes(0x61, 0xff))).toThrow(TextError);
  });

  it('refuses a file over 1 MiB, saying its size', () => {
    expect(() => readUtf8(new Uint8Array((1 << 20) + 1).fill(0x61))).toThrow(
      /is 1\.0 MiB; a corpus holds at most 1\.0 MiB/,
    );
    expect(readUtf8(new Uint8Array(1 << 20).fill(0x61)).length).toBe(1 << 20);
  });

  it('finds a lone surrogate in text', () => {
    expect(loneSurrogate('ok 🙂')).toBe(-1);
    expect(loneSurrogate('ab\ud83d')).toBe(2);
    expect(loneSurrogate('\ude42x')).toBe(0);
  });
});

describe('drawing a token', () => {
  const logits = [2, 1, 0, -1];
  it('inverts the CDF of softmax(logits / temperature)', () => {
    const p = logits.map((l) => Math.exp(l));
    const z = p.reduce((a, b) => a + b);
    expect(drawToken(logits, 1, 0, 0)).toBe(0);
    expect(drawToken(logits, 1, 0, p[0] / z - 1e-9)).toBe(0);
    expect(drawToken(logits, 1, 0, p[0] / z + 1e-9)).toBe(1);
    expect(drawToken(logits, 1, 0, 0.999999)).toBe(3);
  });

  it('with top-k draws only among the k most likely tokens', () => {
    for (let i = 0; i < 100; i++) expect(drawToken(logits, 1, 2, i / 100)).toBeLessThan(2);
    expect(drawToken([0, 5, 1], 1, 1, 0.99)).toBe(1);
    // Renormalized over the top 2: p(0) = e^2 / (e^2 + e^1).
    const p0 = Math.exp(2) / (Math.exp(2) + Math.exp(1));
    expect(drawToken(logits, 1, 2, p0 - 1e-9)).toBe(0);
    expect(drawToken(logits, 1, 2, p0 + 1e-9)).toBe(1);
  });

  it('a low temperature sharpens toward the argmax, a high one flattens', () => {
    expect(drawToken(logits, 0.05, 0, 0.999)).toBe(0);
    expect(drawToken(logits, 100, 0, 0.6)).toBe(2);
  });
});

const text = (world: Record<string, unknown>, extra: Partial<Record<string, unknown>> = {}): ExperimentInput =>
  ({
    world: { kind: 'text', ...world },
    models: { lm: { kind: 'token-mlp', context: 3, embed: 4, width: 8 } },
    stages: [{ kind: 'sft', model: 'lm', steps: 10, batch: 4 }],
    ...extra,
  }) as ExperimentInput;

const problems = (input: ExperimentInput): string[] => {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('text world config', () => {
  it('defaults to the built-in corpus at character level', () => {
    const cfg = parseConfig(text({}));
    expect(cfg.world).toMatchObject({ kind: 'text', corpus: 'harbor-tales', level: 'char', text: '', topK: 0 });
    expect(corpusText(cfg.world as never).length).toBeGreaterThan(3000);
  });

  it('takes your own text when the corpus is custom', () => {
    const own = 'the cat sat on the mat. '.repeat(20);
    const cfg = parseConfig(text({ corpus: 'custom', text: own, window: 16 }));
    expect(corpusText(cfg.world as never)).toBe(own);
  });

  it('names what is wrong with a text', () => {
    expect(problems(text({ corpus: 'custom' }))).toEqual([
      'world.text: the corpus is custom but holds no text: paste or open your own',
    ]);
    expect(problems(text({ text: 'abc' }))[0]).toMatch(/world.text: set world.corpus to custom/);
    expect(problems(text({ corpus: 'custom', text: 'ab\ud800cd'.repeat(100) }))[0]).toMatch(
      /world.text: not valid Unicode: character 2 is half of a pair/,
    );
    // 700 Ki characters of 2 bytes each: under the schema's bound on characters, over 1 MiB of UTF-8.
    expect(problems(text({ corpus: 'custom', text: 'é'.repeat(700 * 1024) }))[0]).toMatch(
      /world.text: 1.4 MiB of UTF-8, over the 1.0 MiB a corpus holds/,
    );
    expect(problems(text({ corpus: 'custom', text: 'x'.repeat((1 << 20) + 1) }))[0]).toMatch(
      /world.text: must be at most 1.0 MiB/,
    );
    const many = Array.from({ length: 1100 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
    expect(problems(text({ corpus: 'custom', text: many }))[0]).toMatch(
      /1,100 distinct characters, over the 1,024 .* use level byte/,
    );
    expect(problems(text({ corpus: 'custom', text: many, level: 'byte' }))).toEqual([]);
  });

  it('says when a part of the split is too short for the window', () => {
    const short = 'a short text of some fifty characters, not more.';
    expect(problems(text({ corpus: 'custom', text: short, window: 32 }))).toEqual([
      'world.window: the held-out part holds 5 characters (of 48 characters), fewer than the 32 a window of 32 needs: give more text, change the held-out share or use a smaller window',
    ]);
    const p = problems(text({ corpus: 'custom', text: short, window: 64 }));
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(
      /^world.window: the training part holds 43 characters \(of 48 characters\), fewer than the 65/,
    );
  });

  it('refuses a run too large for the memory budget before anything is allocated', () => {
    const big = text(
      { level: 'byte', window: 256, evalWindows: 256 },
      {
        models: { lm: { kind: 'token-mlp', context: 8, embed: 128, width: 512, depth: 4 } },
        stages: [{ kind: 'sft', model: 'lm', steps: 10, batch: 4096 }],
      },
    );
    expect(problems(big)[0]).toMatch(/the run would need \d+ MiB of GPU memory, over the 256 MiB budget/);
  });

  it('refuses stages of other worlds and unknown models', () => {
    const p = problems(
      text(
        {},
        {
          stages: [
            { kind: 'distill', model: 'lm', teacher: 'lm' },
            { kind: 'sft', model: 'nope' },
          ],
        },
      ),
    );
    expect(p).toContain('stages.0.kind: distill stages need a sequences world');
    expect(p).toContain('stages.1.model: no model named "nope" in models (have: lm)');
  });
});

describe('text data', () => {
  it('cuts the training part into windows and spreads held-out windows over the rest', () => {
    const own = Array.from({ length: 400 }, (_, i) => 'abcdefghij'[i % 10]).join('');
    const cfg = parseConfig(text({ corpus: 'custom', text: own, window: 16, heldout: 0.25, evalWindows: 4 }));
    const d = makeText(cfg.world as never);
    expect(d.V).toBe(10);
    expect(d.bos).toBe(10);
    expect(d.train.length).toBe(300);
    expect(d.stride).toBe(1);
    expect(d.S).toBe(300 - 16 + 1);
    expect(Array.from(d.windows.subarray(5 * 16, 6 * 16))).toEqual(Array.from(d.train.subarray(5, 21)));
    expect(d.H).toBe(4);
    // 100 held-out tokens hold 6 windows of 16; four of them, evenly spread: windows 0, 1, 3 and 4.
    expect(Array.from(d.held.subarray(2 * 16, 3 * 16))).toEqual(Array.from(d.heldout.subarray(48, 64)));
    expect(d.heldChars).toBe(64);
  });

  it('keeps the window table bounded on a large corpus by striding', () => {
    expect(windowStride(1000, 64)).toBe(1);
    const stride = windowStride(1 << 20, 64);
    expect(stride).toBeGreaterThan(1);
    expect(Math.floor(((1 << 20) - 64) / stride + 1) * 64).toBeLessThanOrEqual(MAX_WINDOW_CELLS + 64);
  });
});

describe('share links of a text world', () => {
  it('carry a small text of your own', () => {
    const cfg = parseConfig(text({ corpus: 'custom', text: 'the cat sat on the mat. '.repeat(20), window: 16 }));
    expect(decodeConfig(encodeConfig(cfg))).toEqual(cfg);
  });

  it('say so when a text is too large for a link', () => {
    // Text that hardly compresses: random letters.
    const rng = new Philox(1, 1);
    const letters = Array.from({ length: 60_000 }, () => String.fromCharCode(0x61 + rng.int(26))).join('');
    const cfg = parseConfig(text({ corpus: 'custom', text: letters }));
    expect(() => encodeConfig(cfg)).toThrow(ShareLinkError);
    expect(() => encodeConfig(cfg)).toThrow(
      /too large for a share link: compressed, its text would take \d+ KiB of the 32 KiB/,
    );
  });
});

describe('a stored text snapshot', () => {
  const cfg = parseConfig(text({ samples: 2, sampleLength: 10 }));
  const snap = {
    kind: 'text',
    stage: 'sft',
    model: 'lm',
    samples: ['the lamp', 'a gull'],
    probs: [new Float32Array(8).fill(0.5), new Float32Array(6).fill(0.25)],
    temperature: 0.8,
    topK: 0,
  };
  const stored = JSON.parse(JSON.stringify({ ...snap, probs: snap.probs.map((p) => Array.from(p)) })) as unknown;

  it('is read back as it was stored', () => {
    expect(parseSnapshot(stored, cfg)).toEqual(snap);
  });

  it('needs one probability per character of each sample', () => {
    const bad = { ...(stored as object), probs: [[0.5], [0.25]] };
    expect(() => parseSnapshot(bad, cfg)).toThrow(/one probability per character of each sample/);
  });

  it('is refused beyond the config: more samples, longer samples, another temperature', () => {
    const base = stored as object;
    expect(() => parseSnapshot({ ...base, samples: ['a', 'b', 'c'] }, cfg)).toThrow(/at most the 2 samples/);
    expect(() => parseSnapshot({ ...base, samples: ['x'.repeat(11)] }, cfg)).toThrow(/at most 10 characters/);
    expect(() => parseSnapshot({ ...base, temperature: 1 }, cfg)).toThrow(/temperature/);
  });
});
