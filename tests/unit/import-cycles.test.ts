// No import cycle among the TypeScript modules of src/, type-only imports and re-exports included: each layer, and
// each file within it, imports only what lies below it (the stages import the run contracts, never the runner).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The .ts file a relative specifier names (`./x`, `./x.ts`, `./x/index.ts`), or null for packages and assets. */
function resolveImport(from: string, spec: string, files: Set<string>): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  for (const p of [base, `${base}.ts`, join(base, 'index.ts')]) if (files.has(p)) return p;
  return null;
}

/** Every module's imports: `import`, `import type`, `export ... from` and dynamic `import()`. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const set = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const info = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    const deps = info.importedFiles.map((x) => resolveImport(f, x.fileName, set)).filter((x) => x !== null);
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

/** The strongly connected components with a cycle (Tarjan), each as one cycle through its files. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(c);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components.map((c) => cycleThrough(graph, new Set(c)));
}

/** One closed path inside a component, from its first file back to it (breadth first, so the shortest). */
function cycleThrough(graph: Map<string, string[]>, members: Set<string>): string[] {
  const start = [...members].sort()[0];
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0])!);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

describe('import graph of src/', () => {
  it('finds a cycle through a type-only import and a re-export', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
    const info = ts.preProcessFile("import type { X } from './x';\nexport { y } from './y';\n", true, true);
    expect(info.importedFiles.map((f) => f.fileName)).toEqual(['./x', './y']);
  });

  it('has no cycle', () => {
    const graph = importGraph(tsFiles(src));
    expect(graph.size).toBeGreaterThan(50);
    const named = cycles(graph).map((c) => c.map((f) => relative(root, f)).join(' -> '));
    expect(named, `import cycles:\n${named.join('\n')}`).toEqual([]);
  });
});
