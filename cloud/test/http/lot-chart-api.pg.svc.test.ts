import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { lotChartSuite } from './lot-chart-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the rollups' merge per location there.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

lotChartSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
