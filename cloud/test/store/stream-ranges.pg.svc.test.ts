import { describe, it } from 'vitest';
import { perTestPg } from './pg-fresh.js';
import { checkStreamRangesProperty } from './stream-ranges-property.js';

// The coverage and span rows of PostgreSQL's ingest (store/ingest/kysely-span-rows.ts, under the stream's
// advisory lock); the SQLite backends run the same property in sqlite-ingest-backend.test.ts.
describe('stream ranges on PostgreSQL', () => {
  const pgs = perTestPg();

  it('coverage and span rows match the union of the ingested ranges, whatever the arrival order', async () => {
    const { store } = await pgs.store();
    await checkStreamRangesProperty(store, 25);
  });
});
