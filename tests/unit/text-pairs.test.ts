// Preference pairs of the text world: TRL's JSONL forms (standard, conversational, implicit prompt), bad lines named
// by number with every good line kept, tokenization as rows of a window, and the config checks on pairs.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type ExperimentInput } from '../../src/lab/config';
import { HARBOR_PAIRS } from '../../src/lab/worlds/text-corpus';
import { makeText, tokenizePairs } from '../../src/lab/worlds/text';
import { parsePairs, renderMessages } from '../../src/lab/worlds/text-pairs';
import { decode, vocabOf } from '../../src/lab/worlds/text-tokens';

const line = (o: unknown) => JSON.stringify(o);
const msg = (role: string, content: string) => ({ role, content });

describe('parsePairs', () => {
  it('reads the standard form', () => {
    const { pairs, errors } = parsePairs(line({ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }));
    expect(errors).toEqual([]);
    expect(pairs).toEqual([{ line: 1, prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }]);
  });

  it('reads the conversational form, messages rendered as role: content lines', () => {
    const { pairs, errors } = parsePairs(
      line({
        prompt: [msg('system', 'Be brief.'), msg('user', 'Colour of the sky?')],
        chosen: [msg('assistant', 'Blue.')],
        rejected: [msg('assistant', 'Green.')],
      }),
    );
    expect(errors).toEqual([]);
    expect(pairs[0]).toEqual({
      line: 1,
      prompt: 'system: Be brief.\nuser: Colour of the sky?\n',
      chosen: 'assistant: Blue.\n',
      rejected: 'assistant: Green.\n',
    });
    expect(renderMessages([msg('user', 'hi')])).toBe('user: hi\n');
  });

  it('takes an implicit prompt: the shared start of chosen and rejected (messages or text)', () => {
    const conv = line({
      chosen: [msg('user', 'Sky?'), msg('assistant', 'Blue.')],
      rejected: [msg('user', 'Sky?'), msg('assistant', 'Green.')],
    });
    const text = line({ chosen: 'The sky is blue.', rejected: 'The sky is green.' });
    const { pairs, errors } = parsePairs(`${conv}\n${text}\n`);
    expect(errors).toEqual([]);
    expect(pairs[0]).toMatchObject({
      prompt: 'user: Sky?\n',
      chosen: 'assistant: Blue.\n',
      rejected: 'assistant: Green.\n',
    });
    expect(pairs[1]).toMatchObject({ line: 2, prompt: 'The sky is ', chosen: 'blue.', rejected: 'green.' });
  });

  it('names each bad line by its number and keeps every good line', () => {
    const good = line({ prompt: 'a', chosen: 'b', rejected: 'c' });
    const text = [
      good,
      '{"prompt": "a", "chosen": ', // cut short
      '',
      line({ prompt: 'a', chosen: 'b' }),
      line([1, 2]),
      line({ prompt: 'a', chosen: 'b', rejected: ['x'] }),
      line({ prompt: 'a', chosen: [msg('assistant', 'x')], rejected: [{ role: 'assistant' }] }),
      line({ prompt: 'a', chosen: 'same', rejected: 'same' }),
      line({ prompt: 3, chosen: 'b', rejected: 'c' }),
      line({ chosen: 'abc', rejected: 'abcd' }),
      good,
    ].join('\r\n');
    const { pairs, errors } = parsePairs(text);
    expect(pairs.map((p) => p.line)).toEqual([1, 11]);
    expect(errors).toEqual([
      'line 2: not valid JSON',
      'line 4: has no "rejected"',
      'line 5: must be a JSON object with "chosen" and "rejected"',
      'line 6: "chosen" and "rejected" must both be strings or both lists of messages',
      'line 7: "rejected" message 1 must be an object with a string "role" and "content"',
      'line 8: "chosen" and "rejected" are the same text',
      'line 9: "prompt" must be a string when the responses are strings',
      'line 10: the chosen response is empty',
    ]);
  });

  it('says when a file holds no pairs', () => {
    expect(parsePairs('\n\n').errors).toEqual(['holds no pairs']);
  });

  it('reads the built-in pairs without a problem', () => {
    const { pairs, errors } = parsePairs(HARBOR_PAIRS);
    expect(errors).toEqual([]);
    expect(pairs.length).toBe(21);
  });
});

describe('pairs as rows of a window', () => {
  it('puts each response after its prompt, the mask on the response only', () => {
    const vocab = vocabOf('abcdefgh ', 'char');
    const t = tokenizePairs([{ line: 1, prompt: 'ab ', chosen: 'cd', rejected: 'efg' }], vocab, 8);
    expect(decode(t.chosen.subarray(0, 5), vocab)).toBe('ab cd');
    expect(Array.from(t.chosenMask)).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    expect(decode(t.rejected.subarray(0, 6), vocab)).toBe('ab efg');
    expect(Array.from(t.rejectedMask)).toEqual([0, 0, 0, 1, 1, 1, 0, 0]);
  });

  it('cuts a long row: the response keeps its start, the prompt its end', () => {
    const vocab = vocabOf('abcdefgh ', 'char');
    const t = tokenizePairs([{ line: 1, prompt: 'abcdef', chosen: 'gh', rejected: 'hhhhhhhhhh' }], vocab, 5);
    expect(decode(t.chosen, vocab)).toBe('defgh');
    expect(Array.from(t.chosenMask)).toEqual([0, 0, 0, 1, 1]);
    expect(decode(t.rejected, vocab)).toBe('hhhhh');
    expect(Array.from(t.rejectedMask)).toEqual([1, 1, 1, 1, 1]);
  });
});

const withPairs = (pairs: string, extra: Record<string, unknown> = {}, stage: Record<string, unknown> = {}) =>
  ({
    world: { kind: 'text', pairs, ...extra },
    models: { lm: { kind: 'token-mlp', context: 3, embed: 4, width: 8 } },
    stages: [{ kind: 'preference', model: 'lm', steps: 5, batch: 4, ...stage }],
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

describe('text preference config', () => {
  it('takes pairs in world.pairs and builds their rows', () => {
    const cfg = parseConfig(withPairs(HARBOR_PAIRS, { window: 64 }));
    const d = makeText(cfg.world as never);
    expect(d.pairs!.N).toBe(21);
  });

  it('names bad lines, characters the corpus lacks, and stages without pairs', () => {
    const text = [
      line({ prompt: 'the', chosen: ' lamp', rejected: ' dark' }),
      'nope',
      line({ prompt: 'Zoe', chosen: '?', rejected: '!' }),
    ].join('\n');
    expect(problems(withPairs(text))).toEqual([
      'world.pairs: line 2: not valid JSON',
      'world.pairs: line 3: "Z", "?", "!" not in the corpus\'s characters: use level byte, or a corpus that has them',
    ]);
    expect(problems(withPairs(text.split('\n')[2], { level: 'byte' }))).toEqual([]);
    expect(problems(withPairs(''))).toEqual([
      'stages.0: a text preference stage trains on world.pairs: give a JSONL file of pairs',
    ]);
    expect(problems(withPairs(HARBOR_PAIRS, {}, { data: 'online', pairs: 10, model: undefined }))).toEqual([
      'stages.0.model: name the policy model of a text preference stage',
      'stages.0.data: a text preference stage trains on the fixed pairs of world.pairs (offline)',
      'stages.0.pairs: the pairs are the lines of world.pairs; leave it out',
    ]);
  });
});
