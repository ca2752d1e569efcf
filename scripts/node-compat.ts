// Node 20 lacks Map.groupBy, Object.groupBy and Promise.withResolvers (Node 21/22), which Vitest 5 calls in its
// main process (the failure summary, snapshots, watch mode): defined here, where missing, before Vitest needs them.

function groupInto<K, T>(items: Iterable<T>, key: (item: T, index: number) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  let i = 0;
  for (const item of items) {
    const k = key(item, i++);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

const MapCtor = Map as unknown as { groupBy?: typeof groupInto };
MapCtor.groupBy ??= groupInto;

const ObjectCtor = Object as unknown as {
  groupBy?: <T>(items: Iterable<T>, key: (item: T, index: number) => PropertyKey) => Record<PropertyKey, T[]>;
};
ObjectCtor.groupBy ??= (items, key) => Object.assign(Object.create(null), Object.fromEntries(groupInto(items, key)));

const PromiseCtor = Promise as unknown as { withResolvers?: () => unknown };
PromiseCtor.withResolvers ??= () => {
  let resolve!: (value: unknown) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export {};
