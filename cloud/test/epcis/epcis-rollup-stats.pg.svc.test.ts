import { afterAll, beforeAll, describe, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { checkRollupStatsProperty } from './epcis-rollup-stats-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): rollups merged and summed by PostgreSQL.
describe('EPCIS sensor events from reading rollups (PostgreSQL)', () => {
  let pg: FreshPostgres;
  let store: CloudStore;
  beforeAll(async () => {
    pg = await freshPostgresUrl();
    store = new CloudStore(await openDatabase(pg.url));
  });
  afterAll(async () => {
    await store?.close();
    await pg?.drop();
  });

  it('equal, byte for byte, the export from every reading for any readings and stays', async () => {
    await checkRollupStatsProperty(store, 40);
  });
});
