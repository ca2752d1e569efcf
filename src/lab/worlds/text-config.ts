// The text world's config: its schema (a built-in corpus by name or the user's own text, the vocabulary level, the
// held-out split, the window and how samples are drawn), the checks on the text and on the models its stages use (a
// transformer's context covers the window, and it fits the memory budget), its memory estimate and each model's size.

import * as v from 'valibot';
import {
  choice,
  int,
  MEMORY_BUDGET_FLOATS,
  metricFloats,
  mib,
  num,
  stageOf,
  type PreferenceStage,
  type RunOf,
  type WorldConfig,
} from './common-config';
import { modelSizes, type ModelConfig } from './models-config';
import type { SftStage } from './sequences-config';
import { BUILTIN_CORPORA, BUILTIN_CORPUS_NAMES, type BuiltinCorpus } from './text-corpus';
import { parsePairs } from './text-pairs';
import {
  charCount,
  distinctChars,
  loneSurrogate,
  MAX_CHAR_VOCAB,
  MAX_TEXT_BYTES,
  sizeText,
  splitTokens,
  utf8Length,
  vocabOf,
  encode,
} from './text-tokens';

export const TEXT_CORPORA = [...BUILTIN_CORPUS_NAMES, 'custom'] as const;

/**
 * A corpus of text, split at its end into training and held-out parts, tokenized per character or per UTF-8 byte.
 * Language models train on windows of it; samples are drawn from the start of a text (BOS) with a temperature and
 * an optional top-k cut.
 */
export const TextWorldSchema = v.object({
  kind: v.literal('text'),
  corpus: choice(TEXT_CORPORA, 'harbor-tales', 'Corpus', 'A built-in corpus, or custom: your own text'),
  // No title: the app edits it in its own box (paste or open a file), not as a form field.
  text: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(MAX_TEXT_BYTES, `must be at most ${sizeText(MAX_TEXT_BYTES)} of text`),
      v.description('Your own text (UTF-8, up to 1 MiB): read when the corpus is custom'),
    ),
    '',
  ),
  level: choice(
    ['char', 'byte'] as const,
    'char',
    'Vocabulary',
    'char: one token per distinct character of the corpus; byte: one token per UTF-8 byte (256 tokens)',
  ),
  heldout: num(0.01, 0.5, 0.1, 'Held-out share', 'The share of the text, at its end, kept out of training'),
  window: int(8, 256, 64, 'Window', 'Tokens per training window (the model sees its own context of them)'),
  evalWindows: int(1, 256, 32, 'Held-out windows', 'Windows of the held-out text scored at each evaluation'),
  samples: int(1, 8, 3, 'Samples', 'Texts sampled from the model for the Model state panel'),
  sampleLength: int(8, 400, 160, 'Sample length', 'Tokens per sample'),
  temperature: num(0.05, 5, 0.8, 'Temperature', 'Divides the logits before sampling: below 1 sharper, above 1 flatter'),
  topK: int(0, 1024, 0, 'Top-k', 'Sample among the k most likely tokens only; 0: all tokens'),
  // No title: the app reads it from a file, not a form field.
  pairs: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(MAX_TEXT_BYTES, `must be at most ${sizeText(MAX_TEXT_BYTES)} of JSONL`),
      v.description(
        'Preference pairs as JSONL in TRL format ({"prompt", "chosen", "rejected"} per line, strings or message lists) for preference stages',
      ),
    ),
    '',
  ),
});

export type TextWorld = v.InferOutput<typeof TextWorldSchema>;
type TextStage = SftStage | PreferenceStage;
type TextRun = RunOf<TextWorld, ModelConfig>;

const STAGE_KINDS: readonly TextStage['kind'][] = ['sft', 'preference'];
const isTextStage = stageOf<TextStage>(STAGE_KINDS);

/** The text a world trains on: its built-in corpus, or the user's own. */
export const corpusText = (w: TextWorld): string =>
  w.corpus === 'custom' ? w.text : BUILTIN_CORPORA[w.corpus as BuiltinCorpus];

/** Output tokens of the world's vocabulary (distinct characters are counted, not tokenized). */
function vocabSize(w: TextWorld): number {
  return w.level === 'byte' ? 256 : distinctChars(corpusText(w)).length;
}

/** Training windows of a split of `n` tokens: one per `stride` tokens, so that the table stays near MAX_WINDOW_CELLS. */
export const MAX_WINDOW_CELLS = 1 << 22;
export function windowStride(n: number, T: number): number {
  const starts = Math.max(0, n - T + 1);
  return Math.max(1, Math.ceil((starts * T) / MAX_WINDOW_CELLS));
}

function textWeights(run: TextRun): Map<string, number> {
  const V = vocabSize(run.world);
  return new Map(Object.entries(run.models ?? {}).map(([name, m]) => [name, modelSizes(m).params(m, V + 1, V)]));
}

/** The pairs of the world's JSONL (0 without it). */
const pairCount = (w: TextWorld): number => (w.pairs === '' ? 0 : parsePairs(w.pairs).pairs.length);

/**
 * Floats each model's passes need at the peak of the stage that needs most of them (0 for per-row models): its
 * training passes (two for preference: chosen and rejected), the held-out windows, the sampler's pass over a window,
 * and a preference stage's one pass over every pair that scores the reference.
 */
function passFloats(run: TextRun): Map<string, number> {
  const w = run.world;
  const V = vocabSize(w);
  const T = w.window;
  const models = run.models ?? {};
  const pairs = pairCount(w);
  const peak = new Map<string, number>();
  for (const s of run.stages) {
    if (!isTextStage(s) || s.model === undefined || !Object.hasOwn(models, s.model)) continue;
    const m = models[s.model];
    const size = modelSizes(m);
    const pref = s.kind === 'preference';
    const floats =
      size.pass(m, pref ? 2 * s.batch : s.batch, T, V, true) +
      size.pass(m, w.evalWindows + w.samples + (pref ? pairs : 0), T, V, false);
    peak.set(s.model, Math.max(peak.get(s.model) ?? 0, floats));
  }
  return peak;
}

/** Models with grads and moments, the window tables, and the largest pass's activations. */
function textFloats(run: TextRun): number {
  const w = run.world;
  const V = vocabSize(w);
  const T = w.window;
  let params = 0;
  for (const n of textWeights(run).values()) params += n;
  let widest = V;
  for (const m of Object.values(run.models ?? {})) widest = Math.max(widest, modelSizes(m).widest(m));
  const bytes = utf8Length(corpusText(w));
  const pairs = pairCount(w);
  const data = Math.min(bytes * T, MAX_WINDOW_CELLS + T) + w.evalWindows * T * 2 + pairs * (4 * T + 2);
  let peak = 0;
  for (const s of run.stages) {
    // A preference step holds two passes (chosen and rejected); its start scores every pair once.
    const rows = Math.max(s.kind === 'preference' ? 2 * s.batch : s.batch, w.evalWindows, pairs) * T;
    peak = Math.max(peak, rows * (4 * widest + 4 * V + 8));
  }
  let passes = 0;
  for (const f of passFloats(run).values()) passes += f;
  return params * 5 + data + peak + passes + metricFloats(run);
}

/** A transformer's fields that do not fit together, a context shorter than the window, a model over the budget. */
function transformerProblems(run: TextRun): string[] {
  const problems: string[] = [];
  const weights = textWeights(run);
  const passes = passFloats(run);
  const T = run.world.window;
  for (const [name, m] of Object.entries(run.models ?? {})) {
    const own = modelSizes(m).problems(m);
    for (const p of own) problems.push(`models.${name}.${p}`);
    if (m.kind !== 'transformer') continue;
    // Position t reads the token before it (BOS at position 0): a window of T tokens is T positions.
    if (m.context < T) {
      problems.push(`models.${name}.context: must be at least the world's window of ${T} (got ${m.context})`);
      continue;
    }
    if (own.length > 0) continue;
    const params = weights.get(name) ?? 0;
    const floats = 5 * params + (passes.get(name) ?? 0);
    if (floats > MEMORY_BUDGET_FLOATS)
      problems.push(
        `models.${name}: this transformer would need ${mib(floats)} MiB (${params.toLocaleString('en-US')} parameters with gradients, Adam moments and a copy, activations over windows of ${T} tokens), over the ${mib(MEMORY_BUDGET_FLOATS)} MiB budget of a browser tab: lower its width or layers, or the batch, window or held-out windows`,
      );
  }
  return problems;
}

/** What is wrong with the corpus: empty, too large, not Unicode, too many characters, too short for the window. */
function textProblems(w: TextWorld): string[] {
  if (w.corpus !== 'custom') {
    return w.text === ''
      ? []
      : ['world.text: set world.corpus to custom to train on your own text (or leave text out)'];
  }
  const text = w.text;
  if (text === '') return ['world.text: the corpus is custom but holds no text: paste or open your own'];
  const bad = loneSurrogate(text);
  if (bad >= 0) return [`world.text: not valid Unicode: character ${bad.toLocaleString('en-US')} is half of a pair`];
  const bytes = utf8Length(text);
  if (bytes > MAX_TEXT_BYTES)
    return [`world.text: ${sizeText(bytes)} of UTF-8, over the ${sizeText(MAX_TEXT_BYTES)} a corpus holds`];
  if (w.level === 'char') {
    const n = distinctChars(text).length;
    if (n > MAX_CHAR_VOCAB)
      return [
        `world.text: ${n.toLocaleString('en-US')} distinct characters, over the ${MAX_CHAR_VOCAB.toLocaleString('en-US')} of a character-level vocabulary: use level byte`,
      ];
  }
  return [];
}

/** Whether both parts of the split hold a window (checked for built-in corpora too: the window may be large). */
function splitProblems(w: TextWorld): string[] {
  const text = corpusText(w);
  const ids = encode(text, vocabOf(text, w.level));
  const { train, heldout } = splitTokens(ids, w.heldout, w.level);
  const unit = w.level === 'char' ? 'characters' : 'bytes';
  const need = (part: string, n: number, min: number) =>
    `world.window: the ${part} part holds ${n.toLocaleString('en-US')} ${unit} (of ${charCount(ids, w.level).toLocaleString('en-US')} characters), fewer than the ${min} a window of ${w.window} needs: give more text, change the held-out share or use a smaller window`;
  const problems: string[] = [];
  if (train.length < w.window + 1) problems.push(need('training', train.length, w.window + 1));
  if (heldout.length < w.window) problems.push(need('held-out', heldout.length, w.window));
  return problems;
}

/** The pairs' bad lines, and characters of a character-level vocabulary's pairs that the corpus lacks. */
function pairProblems(w: TextWorld): string[] {
  if (w.pairs === '') return [];
  const bytes = utf8Length(w.pairs);
  if (bytes > MAX_TEXT_BYTES)
    return [`world.pairs: ${sizeText(bytes)} of UTF-8, over the ${sizeText(MAX_TEXT_BYTES)} a pair file holds`];
  const { pairs, errors } = parsePairs(w.pairs);
  const problems = errors.map((e) => `world.pairs: ${e}`);
  if (w.level === 'char') {
    const known = new Set(distinctChars(corpusText(w)));
    for (const p of pairs) {
      const missing = [...new Set(p.prompt + p.chosen + p.rejected)].filter((c) => !known.has(c));
      if (missing.length > 0)
        problems.push(
          `world.pairs: line ${p.line}: ${missing
            .slice(0, 5)
            .map((c) => JSON.stringify(c))
            .join(', ')} not in the corpus's characters: use level byte, or a corpus that has them`,
        );
    }
  }
  return problems;
}

/** A text preference stage trains a named policy on the world's pairs, offline. */
function preferenceProblems(run: TextRun): string[] {
  const problems: string[] = [];
  run.stages.forEach((s, i) => {
    if (s.kind !== 'preference') return;
    const st = s as PreferenceStage;
    if (run.world.pairs === '')
      problems.push(`stages.${i}: a text preference stage trains on world.pairs: give a JSONL file of pairs`);
    if (st.model === undefined) problems.push(`stages.${i}.model: name the policy model of a text preference stage`);
    if (st.data === 'online')
      problems.push(`stages.${i}.data: a text preference stage trains on the fixed pairs of world.pairs (offline)`);
    if (st.pairs !== undefined)
      problems.push(`stages.${i}.pairs: the pairs are the lines of world.pairs; leave it out`);
  });
  return problems;
}

function textRunProblems(run: TextRun, worldOf: (stageKind: string) => string): string[] {
  const problems: string[] = [];
  run.stages.forEach((s, i) => {
    if (!isTextStage(s)) problems.push(`stages.${i}.kind: ${s.kind} stages need a ${worldOf(s.kind)} world`);
  });
  const text = textProblems(run.world);
  problems.push(...text);
  if (text.length === 0) problems.push(...splitProblems(run.world), ...pairProblems(run.world));
  problems.push(...preferenceProblems(run));
  const models = run.models ?? {};
  const names = Object.keys(models);
  problems.push(...transformerProblems(run));
  run.stages.forEach((s, i) => {
    if (isTextStage(s) && s.model !== undefined && !Object.hasOwn(models, s.model))
      problems.push(`stages.${i}.model: no model named "${s.model}" in models (have: ${names.join(', ') || 'none'})`);
  });
  return problems;
}

export const TEXT: WorldConfig<TextWorld, ModelConfig> = {
  stageKinds: STAGE_KINDS,
  problems: textRunProblems,
  floats: textFloats,
  weights: textWeights,
};
