// The address bar holds the loaded experiment: its config as a share link's fragment, rewritten in place
// (history.replaceState, no entry per change). The history entry's state records that this page wrote it, and the
// link it came from, so a reload or Back tells the page's own address from a link opened from elsewhere.

const KEY = 'preflab';

interface AddressState {
  /** The fragment this page wrote. */
  address: string;
  /** The shared link the experiment was opened from (with any results it expects), or null for one made here. */
  link: string | null;
  /** The preset picked, '' for none. */
  preset: string;
}

/** Put the experiment's fragment in the address bar, with what put it there. */
export function writeAddress(fragment: string, link: string | null, preset: string): void {
  const state: AddressState = { address: fragment, link, preset };
  const others = typeof history.state === 'object' && history.state !== null ? history.state : {};
  history.replaceState({ ...others, [KEY]: state }, '', location.pathname + location.search + fragment);
}

/** The address without a fragment, and without what this page recorded about it. */
export function clearAddress(): void {
  history.replaceState(null, '', location.pathname + location.search);
}

/** What a fragment the page arrives at is: none, an address this page wrote (on a reload, Back or Forward), or a link. */
export type Arrival =
  { kind: 'none' } | { kind: 'own'; link: string | null; preset: string } | { kind: 'link'; hash: string };

export function arrival(hash: string): Arrival {
  if (hash === '' || hash === '#') return { kind: 'none' };
  const raw: unknown = (history.state as Record<string, unknown> | null)?.[KEY];
  const s = raw as Partial<AddressState> | undefined;
  if (s && s.address === hash && typeof s.preset === 'string') {
    return { kind: 'own', link: typeof s.link === 'string' ? s.link : null, preset: s.preset };
  }
  return { kind: 'link', hash };
}
