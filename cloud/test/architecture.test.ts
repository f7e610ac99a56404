import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/architecture.md "Cloud": the folders of cloud/src depend on each other in one direction
// (composition → http, ingest, broker, engine, … → domain ← store), and domain/ is pure: rules over plain
// data and the ports they read and write through, with no storage or HTTP library and no other folder; and
// http/ holds no queries: they live in store/ (store/queries/), so http/ imports no kysely.

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

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

/** Files of `folder` that import `kysely` (or a path of it): queries belong in store/ (store/queries/). */
function kyselyImporters(
  list: ReadonlyArray<{ file: string; folder: string; specs: string[] }>,
  folder: string,
) {
  return list
    .filter((i) => i.folder === folder && i.specs.some((s) => s === 'kysely' || s.startsWith('kysely/')))
    .map((i) => i.file);
}

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

  it('has no storage or HTTP library in domain/', () => {
    const impure = imports
      .filter((i) => i.folder === 'domain' && i.specs.some((s) => FORBIDDEN_IN_DOMAIN.includes(s)))
      .map((i) => i.file);
    expect(impure).toEqual([]);
  });

  it('keeps domain/ on its own: it imports no other folder of cloud/src', () => {
    const out = imports
      .filter((i) => i.folder === 'domain')
      .flatMap((i) => i.targets.filter((t) => t !== 'domain').map((t) => `${i.file} -> ${t}`));
    expect(out).toEqual([]);
  });

  it('keeps queries out of http/: no file there imports kysely', () => {
    expect(imports.filter((i) => i.folder === 'http').length).toBeGreaterThan(10);
    expect(kyselyImporters(imports, 'store').length).toBeGreaterThan(0); // the check sees real imports
    expect(kyselyImporters(imports, 'http')).toEqual([]);
  });

  it('detects a kysely import in http/ (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arch-'));
    const route = join(dir, 'route.ts');
    writeFileSync(route, "import type { Selectable } from 'kysely';\nimport { z } from 'zod';\n");
    const helper = join(dir, 'helper.ts');
    writeFileSync(helper, "import { jsonArrayFrom } from 'kysely/helpers/postgres';\n");
    const list = [
      { file: 'http/routes/x.ts', folder: 'http', specs: specifiers(route) },
      { file: 'http/y.ts', folder: 'http', specs: specifiers(helper) },
      { file: 'store/z.ts', folder: 'store', specs: specifiers(route) },
    ];
    rmSync(dir, { recursive: true });
    expect(kyselyImporters(list, 'http')).toEqual(['http/routes/x.ts', 'http/y.ts']);
  });

  it('has no import cycle between folders', () => {
    expect(cycleEdges(folderGraph())).toEqual([]);
  });

  it('detects a cycle (the check can fail)', () => {
    const g = new Map([
      ['domain', new Map([['store', 'domain/x.ts']])],
      ['store', new Map([['domain', 'store/y.ts']])],
      ['http', new Map([['domain', 'http/z.ts']])],
    ]);
    expect(cycleEdges(g)).toEqual(['domain -> store', 'store -> domain']);
  });
});
