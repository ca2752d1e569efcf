// Preference pairs for the text world from JSONL in TRL's preference dataset format: one JSON object per line,
// {"prompt", "chosen", "rejected"} as strings (standard) or as lists of {role, content} messages (conversational),
// the prompt optional (implicit: the common start of chosen and rejected). A bad line is named by its number.

/** A pair as text: the prompt and the two responses that follow it. */
export interface TextPair {
  /** 1-based line of the JSONL text it came from. */
  line: number;
  prompt: string;
  chosen: string;
  rejected: string;
}

/** Most pairs a run takes. */
export const MAX_PAIRS = 8192;

interface Message {
  role: string;
  content: string;
}

/** How a conversation becomes text: one "role: content" line per message. */
export const renderMessages = (messages: readonly Message[]): string =>
  messages.map((m) => `${m.role}: ${m.content}\n`).join('');

function messagesOf(x: unknown, field: string): Message[] | string {
  if (!Array.isArray(x)) return `"${field}" must be a string or a list of messages`;
  for (let i = 0; i < x.length; i++) {
    const m = x[i] as { role?: unknown; content?: unknown } | null;
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string' || typeof m.content !== 'string')
      return `"${field}" message ${i + 1} must be an object with a string "role" and "content"`;
  }
  return x as Message[];
}

const commonPrefix = (a: string, b: string): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/** One line's pair, or what is wrong with it. */
function pairOf(value: unknown, line: number): TextPair | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be a JSON object with "chosen" and "rejected"';
  const o = value as Record<string, unknown>;
  for (const k of ['chosen', 'rejected']) if (!(k in o)) return `has no "${k}"`;
  const { prompt, chosen, rejected } = o;
  if (typeof chosen === 'string' || typeof rejected === 'string') {
    if (typeof chosen !== 'string' || typeof rejected !== 'string')
      return '"chosen" and "rejected" must both be strings or both lists of messages';
    if (prompt === undefined) {
      // Implicit prompt: the common start of the two texts.
      const n = commonPrefix(chosen, rejected);
      if (n === chosen.length && n === rejected.length) return '"chosen" and "rejected" are the same text';
      return { line, prompt: chosen.slice(0, n), chosen: chosen.slice(n), rejected: rejected.slice(n) };
    }
    if (typeof prompt !== 'string') return '"prompt" must be a string when the responses are strings';
    if (chosen === rejected) return '"chosen" and "rejected" are the same text';
    return { line, prompt, chosen, rejected };
  }
  const c = messagesOf(chosen, 'chosen');
  if (typeof c === 'string') return c;
  const r = messagesOf(rejected, 'rejected');
  if (typeof r === 'string') return r;
  let p: Message[];
  let cs = c;
  let rs = r;
  if (prompt === undefined) {
    // Implicit prompt: the messages the two conversations share at their start.
    let n = 0;
    while (n < c.length && n < r.length && c[n].role === r[n].role && c[n].content === r[n].content) n++;
    [p, cs, rs] = [c.slice(0, n), c.slice(n), r.slice(n)];
  } else {
    const pm = messagesOf(prompt, 'prompt');
    if (typeof pm === 'string') return pm;
    p = pm;
  }
  const pair = { line, prompt: renderMessages(p), chosen: renderMessages(cs), rejected: renderMessages(rs) };
  if (pair.chosen === pair.rejected) return 'the chosen and rejected conversations are the same';
  return pair;
}

/** A pair whose responses are both there, or what is missing. */
function checked(p: TextPair | string): TextPair | string {
  if (typeof p === 'string') return p;
  if (p.chosen === '') return 'the chosen response is empty';
  if (p.rejected === '') return 'the rejected response is empty';
  return p;
}

/** The pairs of a JSONL text (blank lines skipped), and each bad line's number and what is wrong with it. */
export function parsePairs(jsonl: string): { pairs: TextPair[]; errors: string[] } {
  const pairs: TextPair[] = [];
  const errors: string[] = [];
  const lines = jsonl.split(/\r?\n/);
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      errors.push(`line ${line}: not valid JSON`);
      return;
    }
    const p = checked(pairOf(value, line));
    if (typeof p === 'string') errors.push(`line ${line}: ${p}`);
    else pairs.push(p);
  });
  if (errors.length === 0 && pairs.length === 0) errors.push('holds no pairs');
  if (pairs.length > MAX_PAIRS) errors.push(`holds ${pairs.length} pairs, over the ${MAX_PAIRS} a run takes`);
  return { pairs, errors };
}
