import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { epcisHoldsApiSuite } from './epcis-holds-api-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the holds' EPCIS query (bigint columns) there.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

epcisHoldsApiSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
