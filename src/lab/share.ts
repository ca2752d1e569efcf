// Share links: the config's non-default values, deflated and base64url-encoded in the URL fragment, versioned and
// checksummed. Decoding never executes anything: it checks the checksum, inflates with a size cap, parses JSON and
// validates against the config schema, which fills in the defaults.

import { Inflate, deflateSync } from 'fflate';
import { CONFIG_VERSION, ConfigError, parseConfig, type ExperimentConfig } from './config';
import { compactConfig } from './config-compact';

/**
 * Codec version: the first field of the fragment. v2 puts a CRC-32 of the deflated bytes before them, so a
 * changed, lost or added character is caught; v1 links (no checksum) still decode.
 */
export const LINK_VERSION = 2;
const LEGACY_VERSION = 1;
const PREFIX = `#v${LINK_VERSION}.`;
const MAX_FRAGMENT = 32 * 1024;
const MAX_JSON = 256 * 1024;
const CHECKSUM_BYTES = 4;

export class ShareLinkError extends Error {}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 (the zlib and PNG polynomial): every burst of up to 32 flipped bits changes it. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s))
    throw new ShareLinkError('the link is damaged: it has characters a share link never has');
  if (s.length % 4 === 1) throw new ShareLinkError('the link is damaged: it was cut short');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A JSON text as a link carries it: its checksum and its deflated bytes, base64url-encoded. */
export function packJson(json: string): string {
  const packed = deflateSync(new TextEncoder().encode(json), { level: 9 });
  const bytes = new Uint8Array(CHECKSUM_BYTES + packed.length);
  new DataView(bytes.buffer).setUint32(0, crc32(packed));
  bytes.set(packed, CHECKSUM_BYTES);
  return toBase64Url(bytes);
}

/** The fragment that carries a JSON text: its checksum and its deflated bytes. */
export function encodeJson(json: string): string {
  return PREFIX + packJson(json);
}

/**
 * The fragment (with its leading '#') that reproduces a run: the config's version and its non-default values (the
 * schema fills in the rest on opening; a changed default therefore needs a new CONFIG_VERSION). A ShareLinkError when
 * it would be longer than a link may be: a text world's own corpus travels in the link only while it compresses
 * into one.
 */
export function encodeConfig(cfg: ExperimentConfig): string {
  const fragment = encodeJson(JSON.stringify(compactConfig(cfg)));
  if (fragment.length > MAX_FRAGMENT) {
    const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;
    const what = cfg.world.kind === 'text' && cfg.world.text !== '' ? 'its text' : 'it';
    throw new ShareLinkError(
      `this experiment is too large for a share link: compressed, ${what} would take ${kib(fragment.length)} of the ${kib(MAX_FRAGMENT)} a link holds; save the run or export it as a bundle instead`,
    );
  }
  return fragment;
}

/** The deflated bytes of a link's payload, once its checksum (v2) matches. */
function unpack(version: number, payload: string): Uint8Array {
  const empty = () => new ShareLinkError(`this link is empty: it holds no experiment after "#v${version}."`);
  if (payload === '') throw empty();
  const bytes = fromBase64Url(payload);
  if (version === LEGACY_VERSION) return bytes;
  if (bytes.length < CHECKSUM_BYTES) throw new ShareLinkError('this link is damaged: it was cut short');
  const packed = bytes.subarray(CHECKSUM_BYTES);
  if (new DataView(bytes.buffer, bytes.byteOffset).getUint32(0) !== crc32(packed))
    throw new ShareLinkError('this link is damaged: a character was changed, lost or added since it was made');
  if (packed.length === 0) throw empty();
  return packed;
}

/**
 * Compressed bytes fed to the inflater at a time: one push expands to at most ~1,032 times its size (about 512 KiB
 * here, what a bomb costs before it is stopped); much smaller pushes make the streaming inflater several times
 * slower on a long link.
 */
const INFLATE_CHUNK = 512;

/** The inflated bytes, stopping as soon as they pass MAX_JSON (a decompression bomb costs little). */
function inflateCapped(packed: Uint8Array): Uint8Array {
  const out = new Uint8Array(MAX_JSON);
  let length = 0;
  let over = false;
  const inflater = new Inflate((chunk) => {
    if (length + chunk.length >= MAX_JSON) over = true;
    else out.set(chunk, length);
    length += chunk.length;
  });
  try {
    for (let at = 0; at < packed.length && !over; at += INFLATE_CHUNK)
      inflater.push(packed.subarray(at, at + INFLATE_CHUNK), at + INFLATE_CHUNK >= packed.length);
  } catch {
    throw new ShareLinkError('the link is damaged: its contents do not decompress');
  }
  if (over) throw new ShareLinkError('the link holds more data than any experiment needs');
  return out.subarray(0, length);
}

/** Deepest nesting of arrays and objects a config has, with room to spare; deeper JSON is never a config. */
const MAX_NESTING = 16;

/** How deep the JSON text's arrays and objects nest (brackets inside strings do not count). */
function nestingDepth(text: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * A link's two parts: the config ("#v2.…") and, after it, the results it expects ("r1.…", see fingerprint.ts), or
 * null. The config's base64url never holds a dot, so the first dot after its version starts the results.
 */
export function splitLink(fragment: string): { config: string; results: string | null } {
  const frag = fragment.startsWith('#') ? fragment : `#${fragment}`;
  const m = /^(#v\d+\.[^.]*)\.(r\d+\..*)$/s.exec(frag);
  return m ? { config: m[1], results: m[2] } : { config: frag, results: null };
}

/** The JSON value of deflated bytes; `what` the value should be names it in the errors ("a config"). */
function readJson(packed: Uint8Array, what: string): unknown {
  const raw = inflateCapped(packed);
  if (nestingDepth(raw) > MAX_NESTING)
    throw new ShareLinkError(`the link is not ${what}: its contents nest deeper than ${what} ever does`);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw new ShareLinkError(`the link is damaged: its contents are not ${what}`);
  }
}

/** The JSON value a checksummed payload of packJson holds, or a ShareLinkError saying what is wrong with it. */
export function unpackJson(payload: string, what: string): unknown {
  return readJson(unpack(LINK_VERSION, payload), what);
}

/** The config a fragment holds (ignoring any expected results), or a ShareLinkError saying what is wrong. */
export function decodeConfig(fragment: string): ExperimentConfig {
  if (fragment.length > MAX_FRAGMENT) throw new ShareLinkError('the link is too long to be a PrefLab share link');
  const frag = splitLink(fragment).config;
  const m = /^#v(\d+)\.(.*)$/s.exec(frag);
  if (!m) throw new ShareLinkError(`this is not a PrefLab share link (it should start with ${PREFIX})`);
  const version = Number(m[1]);
  if (version !== LINK_VERSION && version !== LEGACY_VERSION) {
    throw new ShareLinkError(
      version > LINK_VERSION
        ? `this link was made by a newer version of PrefLab (link format v${version}); reload to update`
        : `this link uses the retired link format v${version}, which cannot be read any more`,
    );
  }
  const input = readJson(unpack(version, m[2]), 'a config');
  const v = (input as { version?: unknown } | null)?.version;
  if (typeof v === 'number' && v !== CONFIG_VERSION) {
    throw new ShareLinkError(`the link holds a config of version ${v}; this PrefLab reads version ${CONFIG_VERSION}`);
  }
  try {
    return parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ShareLinkError(`the link's experiment is not valid: ${e.problems.join('; ')}`);
    throw e;
  }
}
