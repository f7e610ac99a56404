import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Harness, openHarness } from '../domain/harness.js';
import { type FreshPostgres, freshPostgresUrl } from './pg-fresh.js';
import { pruneRoundTrip } from './reading-prune-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/operations.md "Deleting archived readings": the same run as on SQLite (bigints come back as strings).

describe('deleting archived readings on PostgreSQL', () => {
  let pg: FreshPostgres;
  let h: Harness;
  beforeAll(async () => {
    pg = await freshPostgresUrl();
    h = await openHarness({ url: pg.url });
  });
  afterAll(async () => {
    await h?.close();
    await pg?.drop();
  });

  it('deletes only batches nothing needs, verify passes, a limit change keeps results, restore undoes it', async () => {
    await pruneRoundTrip(h, join(h.dir, 'archives'));
  });
});
