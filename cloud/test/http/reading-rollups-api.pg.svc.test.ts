import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { readingRollupsApiSuite } from './reading-rollups-api-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the rollup upserts and the read's merge there.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

readingRollupsApiSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
