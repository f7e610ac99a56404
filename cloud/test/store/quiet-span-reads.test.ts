import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { checkDerivedIn, checkQuietSpanReads } from './quiet-span-reads-suite.js';

describe('quiet-span reads on SQLite (docs/architecture.md "Recovery")', () => {
  let dir: string;
  let store: CloudStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-quiet-reads-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raw rows and rollups per bucket and sensor over a range equal a recomputation from the rows', async () => {
    await checkQuietSpanReads(store, 60);
  });

  it('derived rows in a range: an excursion touching it, a gap of the location overlapping it', async () => {
    await checkDerivedIn(store);
  });
});
