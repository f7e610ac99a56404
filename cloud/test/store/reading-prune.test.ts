import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { type Harness, openHarness } from '../domain/harness.js';
import { pruneRoundTrip } from './reading-prune-suite.js';

// docs/operations.md "Deleting archived readings" on SQLite (PostgreSQL: reading-prune.pg.svc.test.ts).

describe('deleting archived readings on SQLite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('deletes only batches nothing needs, verify passes, a limit change keeps results, restore undoes it', async () => {
    await pruneRoundTrip(h, join(h.dir, 'archives'));
  });
});
