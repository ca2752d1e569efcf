// Tokens of the text world: a character-level vocabulary (the corpus's distinct characters) or a byte-level one
// (the 256 values of UTF-8 bytes), encoding and decoding, the held-out split at the end of the text, and reading a
// file as UTF-8 with an error that names the byte that is wrong.

export type TextLevel = 'char' | 'byte';

/** Largest corpus, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 1 << 20;
/** Most distinct characters a character-level vocabulary holds (beyond it, byte level keeps V at 256). */
export const MAX_CHAR_VOCAB = 1024;

export interface Vocab {
  level: TextLevel;
  /** Output tokens; the BOS id is V. */
  V: number;
  /** Character level: the character of each id, in code point order. */
  chars: readonly string[];
}

/** A text's problems as the text world reports them (empty when it is fine). */
export class TextError extends Error {
  override name = 'TextError';
}

const utf8 = new TextEncoder();

export const utf8Length = (text: string): number => utf8.encode(text).length;

/** The index of the first lone surrogate (text no UTF-8 encoder can write as it is), or -1. */
export function loneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

/** Size in binary units, for messages. */
export const sizeText = (bytes: number): string =>
  bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${bytes} bytes`;

/** The offset of the first byte that breaks UTF-8 (a bad lead, a missing continuation, an overlong or surrogate form), or -1. */
export function invalidUtf8At(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let n: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [n, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [n, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i + k;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/** A file's bytes as text: UTF-8 (a leading byte-order mark dropped) of at most MAX_TEXT_BYTES, or a TextError. */
export function readUtf8(bytes: Uint8Array, what = 'the file'): string {
  if (bytes.length > MAX_TEXT_BYTES)
    throw new TextError(`${what} is ${sizeText(bytes.length)}; a corpus holds at most ${sizeText(MAX_TEXT_BYTES)}`);
  const bad = invalidUtf8At(bytes);
  if (bad >= 0) {
    const hex = bad < bytes.length ? `0x${bytes[bad].toString(16).padStart(2, '0')}` : 'the end of the file';
    throw new TextError(`${what} is not UTF-8 text: byte ${bad.toLocaleString('en-US')} (${hex}) breaks a character`);
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

/** The characters of a character-level vocabulary: the text's distinct code points, in code point order. */
export function distinctChars(text: string): string[] {
  return [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

export function vocabOf(text: string, level: TextLevel): Vocab {
  if (level === 'byte') return { level, V: 256, chars: [] };
  const chars = distinctChars(text);
  return { level, V: chars.length, chars };
}

/** The token ids of a text: one per character (its place in the vocabulary) or one per UTF-8 byte. */
export function encode(text: string, vocab: Vocab): Int32Array {
  if (vocab.level === 'byte') return Int32Array.from(utf8.encode(text));
  const index = new Map(vocab.chars.map((c, i) => [c, i]));
  const out: number[] = [];
  for (const c of text) {
    const id = index.get(c);
    if (id === undefined) throw new TextError(`the character ${JSON.stringify(c)} is not in the vocabulary`);
    out.push(id);
  }
  return Int32Array.from(out);
}

/** The text of token ids (bytes that do not form a character decode as U+FFFD). */
export function decode(ids: ArrayLike<number>, vocab: Vocab): string {
  if (vocab.level === 'byte') return new TextDecoder('utf-8').decode(Uint8Array.from(ids as ArrayLike<number>));
  let out = '';
  for (let i = 0; i < ids.length; i++) out += vocab.chars[ids[i]] ?? '\ufffd';
  return out;
}

/** Characters that token ids span: one per id at character level, one per byte that starts a character otherwise. */
export function charCount(ids: ArrayLike<number>, level: TextLevel): number {
  if (level === 'char') return ids.length;
  let n = 0;
  for (let i = 0; i < ids.length; i++) if ((ids[i] & 0xc0) !== 0x80) n++;
  return n;
}

/**
 * Split the tokens at the end of the text: the last `share` of them are held out. At byte level the cut moves
 * forward to the start of a character, so no character is split between the two parts.
 */
export function splitTokens(
  ids: Int32Array,
  share: number,
  level: TextLevel,
): { train: Int32Array; heldout: Int32Array } {
  let cut = Math.round(ids.length * (1 - share));
  if (level === 'byte') while (cut < ids.length && (ids[cut] & 0xc0) === 0x80) cut++;
  return { train: ids.subarray(0, cut), heldout: ids.subarray(cut) };
}

/** What the corpus box says of a text: its characters, UTF-8 size and distinct characters. */
export function textSummary(text: string): { chars: number; bytes: number; distinct: number } {
  return { chars: [...text].length, bytes: utf8Length(text), distinct: distinctChars(text).length };
}

/**
 * The text of token ids with a value per token spread over its characters: one character per token at character
 * level; at byte level a character's bytes (a lead byte and its continuations) give it the product of their values,
 * and a byte that starts no whole character stands alone (its U+FFFD gets its own value).
 */
export function decodeWith(
  ids: ArrayLike<number>,
  values: ArrayLike<number>,
  vocab: Vocab,
): { text: string; perChar: number[] } {
  let text = '';
  const perChar: number[] = [];
  for (let i = 0; i < ids.length;) {
    let n = 1;
    if (vocab.level === 'byte') {
      const b = ids[i];
      const want = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
      let ok = i + want <= ids.length;
      for (let k = 1; ok && k < want; k++) ok = (ids[i + k] & 0xc0) === 0x80;
      if (ok) n = want;
    }
    const piece = decode(
      Array.from({ length: n }, (_, k) => ids[i + k]),
      vocab,
    );
    let value = 1;
    for (let k = 0; k < n; k++) value *= values[i + k];
    for (const c of piece) {
      text += c;
      perChar.push(value);
    }
    i += n;
  }
  return { text, perChar };
}
