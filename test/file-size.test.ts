import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../shared/test/vectors-dir.js';

// Small files (README "Layout": split past 400 lines): every source, test and helper file of the
// repository, so a file is split when it grows past the bound, not later.
const MAX_LINES = 400;
const SKIP = new Set(['node_modules', '.git', 'dist', 'coverage', 'test-output', '.data']);

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? codeFiles(p) : /\.(ts|tsx|mts|mjs|cjs|js)$/.test(e.name) ? [p] : [];
  });
}

describe('file size', () => {
  const files = codeFiles(repoRoot);

  it(`keeps every code file at ${MAX_LINES} lines or fewer`, () => {
    // Precondition: the walk sees the workspaces' sources and tests.
    expect(files.map((f) => relative(repoRoot, f))).toEqual(
      expect.arrayContaining(['cloud/src/store/cloud-store.ts', 'cloud/test/store/store-contract.ts']),
    );
    const long = files
      .map((f) => ({ file: relative(repoRoot, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
