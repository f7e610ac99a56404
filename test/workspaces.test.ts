import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../shared/test/vectors-dir.js';

// The workspaces depend on each other in one direction only, and only through the entry points each
// one names in its package.json `exports` (docs/architecture.md, "Workspaces").
interface Pkg {
  name: string;
  exports?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] };
const workspaces = new Map(
  root.workspaces.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as Pkg;
    return [pkg.name, { dir, pkg }] as const;
  }),
);
const byDir = new Map([...workspaces.values()].map((w) => [w.dir, w]));
const internal = (deps: Record<string, string> | undefined) =>
  Object.keys(deps ?? {}).filter((d) => workspaces.has(d));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules') return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** Every module specifier a file imports (static, dynamic, re-export). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'([^']+)'/g;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

describe('workspaces', () => {
  it('are found', () => {
    expect([...workspaces.keys()]).toEqual(
      expect.arrayContaining(['@coldtrace/shared', '@coldtrace/edge', '@coldtrace/cloud']),
    );
  });

  it('depend on each other without a cycle (dependencies and devDependencies alike)', () => {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]) => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') throw new Error(`dependency cycle: ${[...path, name].join(' → ')}`);
      state.set(name, 'visiting');
      const { pkg } = workspaces.get(name)!;
      for (const d of [...internal(pkg.dependencies), ...internal(pkg.devDependencies)])
        visit(d, [...path, name]);
      state.set(name, 'done');
      order.push(name);
    };
    for (const name of workspaces.keys()) visit(name, []);
    expect(order.indexOf('@coldtrace/shared')).toBe(0);
  });

  it('name their entry points (no wildcard export exposing every file)', () => {
    for (const { pkg } of workspaces.values())
      for (const key of Object.keys(pkg.exports ?? {}))
        expect(key, `${pkg.name} exports ${key}`).not.toContain('*');
  });

  it('import another workspace only through a declared dependency and a named entry point', () => {
    const problems: string[] = [];
    for (const { dir, pkg } of workspaces.values()) {
      for (const file of sources(join(repoRoot, dir))) {
        const rel = relative(repoRoot, file);
        const isTest = rel.startsWith(`${dir}/test/`);
        const allowed = new Set([
          ...internal(pkg.dependencies),
          ...(isTest ? internal(pkg.devDependencies) : []),
        ]);
        for (const spec of specifiers(file)) {
          if (spec.startsWith('.')) {
            const target = relative(repoRoot, resolve(dirname(file), spec)).split('/')[0]!;
            if (target !== dir && byDir.has(target))
              problems.push(`${rel}: relative import into ${target} (${spec}); use its package entry point`);
            continue;
          }
          const m = /^(@coldtrace\/[^/]+)(\/.+)?$/.exec(spec);
          if (!m) continue;
          const [, name, sub] = m;
          const target = workspaces.get(name!);
          if (!target) problems.push(`${rel}: unknown workspace ${name}`);
          else if (name === pkg.name) problems.push(`${rel}: imports its own workspace by name (${spec})`);
          else if (!allowed.has(name!))
            problems.push(
              `${rel}: imports ${name}, not a${isTest ? '' : ' runtime'} dependency of ${pkg.name}`,
            );
          else if (!Object.hasOwn(target.pkg.exports ?? {}, `.${sub ?? ''}`))
            problems.push(`${rel}: ${spec} is not an entry point of ${name}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
