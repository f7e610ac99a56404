import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { withFreshPgStore } from './pg-fresh.js';
import { archiveRoundTrip } from './reading-archives-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/operations.md "Archives of raw readings": the same round trip as on SQLite (bigints come back as
// strings from PostgreSQL: the file holds numbers, and the restored rows digest as before).

describe('archives of raw readings on PostgreSQL', () => {
  const store = withFreshPgStore();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-archives-pg-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports a month, verifies it, finds a changed file or record, restores without duplicates', async () => {
    await archiveRoundTrip(store(), join(dir, 'archives'));
  });
});
