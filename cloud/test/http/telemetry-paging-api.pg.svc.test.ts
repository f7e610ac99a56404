import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { telemetryPagingApiSuite } from './telemetry-paging-api-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the row-value cursor condition there.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

telemetryPagingApiSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
