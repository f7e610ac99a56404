import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { lotTraceSuite } from './lot-trace-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the lot endpoints' SQL on PostgreSQL.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

lotTraceSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
