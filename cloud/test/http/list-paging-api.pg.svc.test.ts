import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { listPagingApiSuite } from './list-paging-api-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the list filters and /summary's SQL there.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

listPagingApiSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
