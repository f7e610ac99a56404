import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { scansApiSuite } from './scans-api-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the scan reads' SQL on PostgreSQL.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

scansApiSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
