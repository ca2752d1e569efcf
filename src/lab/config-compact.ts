// A config without the values the schema would fill in anyway: what a share link writes, so that it lists only what
// differs from the defaults. Each value left out is checked by parsing, so the schema restores the config exactly.

import { parseConfig, type ExperimentConfig } from './config';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const without = (obj: JsonObject, key: string): JsonObject =>
  Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));

/**
 * Leave out of `node` (at its place in the whole config, which `whole` rebuilds) every key whose removal still
 * parses to the same config, then go into the keys that stay. Objects keep their key order: the models of a run
 * are numbered in the order they are listed.
 */
function prune(node: Json, whole: (n: Json) => Json, same: (config: Json) => boolean, keep: string[]): Json {
  if (Array.isArray(node)) {
    let list = node;
    for (let i = 0; i < list.length; i++) {
      const at = (child: Json) => whole(list.map((x, j) => (j === i ? child : x)));
      const child = prune(list[i], at, same, []);
      list = list.map((x, j) => (j === i ? child : x));
    }
    return list;
  }
  if (node === null || typeof node !== 'object') return node;
  let obj = node;
  for (const key of Object.keys(node)) {
    if (keep.includes(key)) continue;
    const less = without(obj, key);
    if (same(whole(less))) {
      obj = less;
      continue;
    }
    const child = prune(obj[key], (c) => whole({ ...obj, [key]: c }), same, []);
    obj = { ...obj, [key]: child };
  }
  return obj;
}

/** The config as its non-default values, with its version: parseConfig of the result gives `cfg` back. */
export function compactConfig(cfg: ExperimentConfig): Json {
  const target = JSON.stringify(cfg);
  const same = (candidate: Json) => {
    try {
      return JSON.stringify(parseConfig(candidate)) === target;
    } catch {
      return false;
    }
  };
  const full = JSON.parse(target) as Json;
  return prune(full, (n) => n, same, ['version']);
}
