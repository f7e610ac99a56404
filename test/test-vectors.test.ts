import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_VECTORS } from '../shared/test/vectors-dir.js';

// The copies must stay byte-identical to their sources: a changed, missing or unlisted file fails here.
const MANIFEST = 'MANIFEST.sha256';
/** Files of our own beside the copies: the provenance README and the manifest itself. */
const OWN = new Set([MANIFEST, 'README.md']);

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [relative(TEST_VECTORS, join(dir, e.name))],
  );
}

const manifest = new Map(
  readFileSync(join(TEST_VECTORS, MANIFEST), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (!m) throw new Error(`${MANIFEST}: not a sha256sum line: ${line}`);
      return [m[2]!, m[1]!] as const;
    }),
);

describe('test-vectors/ (independent vectors, copied unchanged)', () => {
  it('lists the vectors every suite reads', () => {
    expect([...manifest.keys()]).toEqual(
      expect.arrayContaining([
        'epc-tds.json',
        'epcis/EPCIS-JSON-Schema.json',
        'epcis/LICENSE',
        'llrp-edgex/LICENSE',
        'llrp-edgex/ROAccessReport-001.bytes',
      ]),
    );
  });

  it('every file is listed in the manifest', () => {
    const unlisted = listFiles(TEST_VECTORS).filter((f) => !OWN.has(f) && !manifest.has(f));
    expect(unlisted).toEqual([]);
  });

  it.each([...manifest])('%s matches its SHA-256', (file, sha) => {
    const actual = createHash('sha256')
      .update(readFileSync(join(TEST_VECTORS, file)))
      .digest('hex');
    expect(actual).toBe(sha);
  });
});
