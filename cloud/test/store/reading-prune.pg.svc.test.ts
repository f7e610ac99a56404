import { join } from 'node:path';
import { describe, it } from 'vitest';
import { openHarness } from '../domain/harness.js';
import { withFreshPg } from './pg-fresh.js';
import { pruneRoundTrip } from './reading-prune-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/operations.md "Deleting archived readings": the same run as on SQLite (bigints come back as strings).

describe('deleting archived readings on PostgreSQL', () => {
  const h = withFreshPg((url) => openHarness({ url }));

  it('deletes only batches nothing needs, verify passes, a limit change keeps results, restore undoes it', async () => {
    await pruneRoundTrip(h(), join(h().dir, 'archives'));
  });
});
