import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/architecture.md "Cloud": the folders of cloud/src depend on each other in one direction
// (composition → http, ingest, broker, … → domain ← store), and domain/ is pure: rules over plain data,
// with no storage or HTTP library. What does not hold yet is listed below as debt: the test fails on any
// new violation, and on a listed one that is gone (so the lists only shrink).

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Files of domain/ that still import a storage or HTTP library (to be moved behind the store port). */
const IMPURE_DOMAIN_DEBT: readonly string[] = [
  'domain/cumulative-evaluator.ts',
  'domain/dispositions.ts',
  'domain/domain-engine.ts',
];

/** Folder edges that close a cycle today (the direction to remove is the one listed). */
const CYCLE_DEBT: readonly string[] = ['domain -> store'];

const FORBIDDEN_IN_DOMAIN = ['kysely', 'better-sqlite3', 'pg', 'fastify'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'([^']+)'/g;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

/** A file's folder under cloud/src (`domain`, `store`, …); a top-level file is a node of its own. */
const folderOf = (file: string) => {
  const rel = relative(src, file).split('/');
  return rel.length === 1 ? rel[0]!.replace(/\.ts$/, '') : rel[0]!;
};

const files = sources(src);
const imports = files.map((f) => ({
  file: relative(src, f),
  folder: folderOf(f),
  specs: specifiers(f),
  targets: specifiers(f)
    .filter((s) => s.startsWith('.'))
    .map((s) => folderOf(resolve(dirname(f), s.replace(/\.js$/, '.ts')))),
}));

/** Folder → folders it imports, with one example file per edge. */
function folderGraph(): Map<string, Map<string, string>> {
  const g = new Map<string, Map<string, string>>();
  for (const i of imports) {
    for (const t of i.targets) {
      if (t === i.folder) continue;
      const out = g.get(i.folder) ?? new Map<string, string>();
      if (!out.has(t)) out.set(t, i.file);
      g.set(i.folder, out);
    }
  }
  return g;
}

/** Edges inside strongly connected components (Tarjan): exactly the edges that are part of a cycle. */
function cycleEdges(g: Map<string, Map<string, string>>): string[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const comp = new Map<string, number>();
  let comps = 0;
  const nodes = new Set([...g.keys(), ...[...g.values()].flatMap((m) => [...m.keys()])]);
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        on.delete(w);
        comp.set(w, comps);
        if (w === v) break;
      }
      comps++;
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  const out: string[] = [];
  for (const [a, m] of g) for (const b of m.keys()) if (comp.get(a) === comp.get(b)) out.push(`${a} -> ${b}`);
  return out.sort();
}

describe('cloud/src architecture', () => {
  it('finds the folders and their imports', () => {
    const g = folderGraph();
    expect(g.get('http')?.has('domain')).toBe(true);
    expect(g.get('store')?.has('domain')).toBe(true);
  });

  it('has no storage or HTTP library in domain/ beyond the listed debt', () => {
    const impure = imports
      .filter((i) => i.folder === 'domain' && i.specs.some((s) => FORBIDDEN_IN_DOMAIN.includes(s)))
      .map((i) => i.file)
      .sort();
    expect(impure).toEqual([...IMPURE_DOMAIN_DEBT].sort());
  });

  it('has no import cycle between folders beyond the listed debt', () => {
    const g = folderGraph();
    const inCycles = cycleEdges(g);
    // Without the listed edges, no cycle is left.
    const pruned = new Map([...g].map(([a, m]) => [a, new Map(m)]));
    for (const e of CYCLE_DEBT) {
      const [a, b] = e.split(' -> ') as [string, string];
      expect(pruned.get(a)?.has(b), `listed debt ${e} no longer exists: remove it from the list`).toBe(true);
      pruned.get(a)!.delete(b);
    }
    expect(cycleEdges(pruned), `cycles: ${inCycles.join(', ')}`).toEqual([]);
  });

  it('detects a cycle and an impure domain file (the checks can fail)', () => {
    const g = new Map([
      ['domain', new Map([['store', 'domain/x.ts']])],
      ['store', new Map([['domain', 'store/y.ts']])],
      ['http', new Map([['domain', 'http/z.ts']])],
    ]);
    expect(cycleEdges(g)).toEqual(['domain -> store', 'store -> domain']);
  });
});
