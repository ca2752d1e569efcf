// Labels as JSON lines in TRL's preference format: {"prompt": "prompt 2", "chosen": "response 7", "rejected":
// "response 3"} per line (the bandit has no text, so a prompt or response is its id in words). The reader takes the
// same lines back, also in TRL's conversational form (lists of messages, the last one's content counts), names each
// bad line by its number and keeps every good one.

import type { Label } from './label-set';

/** Largest file of labels read: far more lines than anyone labels by hand. */
export const MAX_JSONL_CHARS = 16 * 1024 * 1024;

export const promptText = (x: number): string => `prompt ${x}`;
export const responseText = (y: number): string => `response ${y}`;

/** The labels with a winner, one TRL preference record per line (ties have no place in the format). */
export function labelsToJsonl(labels: readonly Label[]): string {
  return labels
    .filter((l) => !l.tie)
    .map((l) =>
      JSON.stringify({
        prompt: promptText(l.prompt),
        chosen: responseText(l.chosen),
        rejected: responseText(l.rejected),
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export interface JsonlRead {
  labels: Label[];
  /** One message per bad line, naming it ("line 3: ..."). */
  errors: string[];
}

/** A field's text: a string, or the content of the last message of a conversation. */
function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0) {
    const last = v[v.length - 1] as { content?: unknown } | null;
    if (last && typeof last === 'object' && typeof last.content === 'string') return last.content;
  }
  return null;
}

function idOf(record: Record<string, unknown>, key: string, word: string, count: number): number {
  const text = textOf(record[key]);
  if (text === null) throw new Error(`"${key}" is missing or not text`);
  const m = new RegExp(`^\\s*${word} (\\d+)\\s*$`).exec(text);
  if (!m) throw new Error(`"${key}" should read "${word} N" (got ${JSON.stringify(text.slice(0, 40))})`);
  const id = Number(m[1]);
  if (id >= count) throw new Error(`${word} ${id} is not one of the ${count} ${word}s of this bandit`);
  return id;
}

/** Read labels for a bandit of `prompts` x `responses`; `time` stamps them (in order, a ms apart). */
export function parseLabelsJsonl(text: string, world: { prompts: number; responses: number }, time: number): JsonlRead {
  if (text.length > MAX_JSONL_CHARS)
    return { labels: [], errors: [`the file is over ${MAX_JSONL_CHARS / 2 ** 20} MiB: not a file of labels`] };
  const labels: Label[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        throw new Error('not a JSON object');
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new Error('not a JSON object');
      const r = record as Record<string, unknown>;
      const prompt = idOf(r, 'prompt', 'prompt', world.prompts);
      const chosen = idOf(r, 'chosen', 'response', world.responses);
      const rejected = idOf(r, 'rejected', 'response', world.responses);
      if (chosen === rejected) throw new Error(`"chosen" and "rejected" are the same response (${chosen})`);
      labels.push({ prompt, chosen, rejected, tie: false, source: 'import', time: time + labels.length });
    } catch (e) {
      errors.push(`line ${i + 1}: ${(e as Error).message}`);
    }
  });
  return { labels, errors };
}
