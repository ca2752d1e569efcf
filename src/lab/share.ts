// Share links: the whole config, deflated and base64url-encoded in the URL fragment, versioned. Decoding never
// executes anything: it inflates with a size cap, parses JSON and validates against the config schema.

import { deflateSync, inflateSync } from 'fflate';
import { CONFIG_VERSION, ConfigError, parseConfig, type ExperimentConfig } from './config';

/** Codec version: the first field of the fragment. */
export const LINK_VERSION = 1;
const PREFIX = `#v${LINK_VERSION}.`;
const MAX_FRAGMENT = 32 * 1024;
const MAX_JSON = 256 * 1024;

export class ShareLinkError extends Error {}

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

/** The fragment (with its leading '#') that reproduces a run. */
export function encodeConfig(cfg: ExperimentConfig): string {
  const json = new TextEncoder().encode(JSON.stringify(cfg));
  return PREFIX + toBase64Url(deflateSync(json, { level: 9 }));
}

/** The config a fragment holds, or a ShareLinkError saying plainly what is wrong with the link. */
export function decodeConfig(fragment: string): ExperimentConfig {
  const frag = fragment.startsWith('#') ? fragment : `#${fragment}`;
  if (frag.length > MAX_FRAGMENT) throw new ShareLinkError('the link is too long to be a PrefLab share link');
  const m = /^#v(\d+)\.(.*)$/s.exec(frag);
  if (!m) throw new ShareLinkError('this is not a PrefLab share link (it should start with #v1.)');
  const version = Number(m[1]);
  if (version !== LINK_VERSION) {
    throw new ShareLinkError(
      version > LINK_VERSION
        ? `this link was made by a newer version of PrefLab (link format v${version}); reload to update`
        : `this link uses the retired link format v${version}, which cannot be read any more`,
    );
  }
  const packed = fromBase64Url(m[2]);
  let raw: Uint8Array;
  try {
    raw = inflateSync(packed, { out: new Uint8Array(MAX_JSON) });
  } catch {
    throw new ShareLinkError('the link is damaged: its contents do not decompress');
  }
  // fflate returns a view no longer than what was inflated; a full buffer means the cap was hit.
  if (raw.length >= MAX_JSON) throw new ShareLinkError('the link holds more data than any experiment needs');
  let input: unknown;
  try {
    input = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw new ShareLinkError('the link is damaged: its contents are not a config');
  }
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
