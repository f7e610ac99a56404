import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/compliance.md names, for each clause, the tests that show it: every file it names must exist, so the
// table cannot silently point at tests that were renamed or removed.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const doc = readFileSync(join(root, 'docs/compliance.md'), 'utf8');

/** `cloud/test/…` names are paths; a bare file name continues the folder of the previous path in its cell. */
function namedFiles(): string[] {
  const out: string[] = [];
  for (const line of doc.split('\n').filter((l) => l.startsWith('|'))) {
    let folder = '';
    for (const m of line.matchAll(/`([^`\s]+\.(?:ts|md|sh|json))`|`(\.ci\/run)`/g)) {
      const name = m[1] ?? m[2]!;
      if (name.includes('/')) {
        folder = dirname(name);
        out.push(name);
      } else if (folder) out.push(join(folder, name));
    }
  }
  return out;
}

describe('docs/compliance.md', () => {
  it('names tests and files that exist', () => {
    const files = namedFiles();
    expect(files.length).toBeGreaterThan(40);
    const missing = files.filter((f) => !existsSync(join(root, f)));
    expect(missing).toEqual([]);
  });

  it('maps every clause the compliance issue lists', () => {
    for (const clause of [
      '§11.10(a)',
      '§11.10(b)',
      '§11.10(c)',
      '§11.10(d)',
      '§11.10(e)',
      '§11.10(f)',
      '§11.10(g)',
      '§11.10(h)',
      '§11.50(a)',
      '§11.50(b)',
      '§11.70',
      '§11.200(a)',
      '§11.300(d)',
      '§10 Change and configuration management',
    ])
      expect(doc, clause).toContain(`| ${clause}`);
  });
});
