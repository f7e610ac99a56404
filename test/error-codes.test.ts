import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CODES, type ErrorCodeSpec, httpStatusOf, isErrorCode } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../shared/test/vectors-dir.js';

// One registry of error codes (shared/src/error-codes.ts): every code the sources use is declared there,
// in one naming style, with its meaning; the HTTP API answers with the status it declares.

const SOURCE_DIRS = ['shared', 'edge', 'cloud', 'firmware-sim', 'scenario', 'journeys', 'bench', 'bin'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules') return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|mjs|js)$/.test(e.name) ? [p] : [];
  });
}

/** Codes a source text uses: `ColdtraceError('code', …)` (any layout) and API bodies `{ error: 'code', message }`. */
function usedCodes(text: string): string[] {
  const thrown = [...text.matchAll(/\bColdtraceError\(\s*'([^']+)'/g)].map((m) => m[1]!);
  const answered = [...text.matchAll(/\berror:\s*'([^']+)',\s*message\b/g)].map((m) => m[1]!);
  return [...thrown, ...answered];
}

const files = SOURCE_DIRS.flatMap((d) => sources(join(repoRoot, d)));
const uses = files.flatMap((f) => {
  const text = readFileSync(f, 'utf8');
  return usedCodes(text).map((code) => ({ file: relative(repoRoot, f), code }));
});

describe('error-code registry', () => {
  it('the scan finds codes, including a call split over lines and an undeclared one', () => {
    const sample =
      "throw new ColdtraceError(\n  'no_such_code',\n  'x');\nreply.send({ error: 'not_found', message });";
    expect(usedCodes(sample)).toEqual(['no_such_code', 'not_found']);
    expect(isErrorCode('no_such_code')).toBe(false);
    expect(uses.length).toBeGreaterThan(100);
  });

  it('declares every code the sources use', () => {
    const undeclared = uses.filter((u) => !isErrorCode(u.code)).map((u) => `${u.file}: ${u.code}`);
    expect(undeclared).toEqual([]);
  });

  it('declares no code nobody uses', () => {
    const used = new Set(uses.map((u) => u.code));
    const all = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    // A code may also be produced by a helper (e.g. `malformed()` in the LLRP field codec): any quoted use counts.
    const unused = Object.keys(ERROR_CODES).filter((c) => !used.has(c) && !all.includes(`'${c}'`));
    expect(unused).toEqual([]);
  });

  it.each(Object.entries(ERROR_CODES))('%s is lower_snake_case with a meaning', (code, spec) => {
    expect(code).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    expect((spec as ErrorCodeSpec).meaning).toMatch(/^[A-Z].{10,}\.$/);
  });

  it('maps codes to HTTP statuses, a code no request should cause to 500', () => {
    expect(httpStatusOf('not_found')).toBe(404);
    expect(httpStatusOf('invalid')).toBe(400);
    expect(httpStatusOf('too_many_requests')).toBe(429);
    expect(httpStatusOf('buffer_full')).toBe(500);
    expect(httpStatusOf('no_such_code')).toBe(500);
  });
});
