// The user's bandit labels in IndexedDB (idb-keyval, a database of their own): each label is written under its own
// key as it is given, so a reload or a crash loses none, and a failed write (a full disk) loses none written before.
import { createStore, del, delMany, entries, set, type UseStore } from 'idb-keyval';
import type { BanditWorld } from '../lab/config';
import type { Label } from '../lab/labels/label-set';
import { isQuota, StorageFullError } from './store';

let db: UseStore | null = null;
const store = (): UseStore => (db ??= createStore('preflab-labels', 'labels'));

/**
 * The bandit a label set belongs to: what fixes its prompts, responses and hidden reward. Each such world keeps its
 * own labels; the pairs, their source and the share of the labels do not change what a label means.
 */
export function labelWorldKey(seed: number, w: BanditWorld): string {
  return `bandit:${seed}:${w.prompts}x${w.responses}:r${w.rewardScale}:t${w.referenceTemperature}`;
}

export interface StoredLabel {
  key: string;
  label: Label;
}

/** A key no other label has: its world, its time and randomness (sorted by time within a world). */
const newKey = (world: string, time: number) =>
  `${world}|${time.toString(36).padStart(10, '0')}-${Math.floor(Math.random() * 2 ** 32).toString(36)}`;

export async function saveLabel(world: string, label: Label): Promise<string> {
  const key = newKey(world, label.time);
  try {
    await set(key, label, store());
  } catch (e) {
    if (isQuota(e)) throw new StorageFullError('storage quota exceeded');
    throw e;
  }
  return key;
}

/** A world's labels in the order they were given. */
export async function listLabels(world: string): Promise<StoredLabel[]> {
  const all = await entries<string, Label>(store());
  return all
    .filter(([k]) => typeof k === 'string' && k.startsWith(`${world}|`))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, label]) => ({ key, label }));
}

export async function deleteLabel(key: string): Promise<void> {
  await del(key, store());
}

export async function deleteLabels(keys: readonly string[]): Promise<void> {
  await delMany([...keys], store());
}
