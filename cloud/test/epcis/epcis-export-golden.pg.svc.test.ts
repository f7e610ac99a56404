import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { epcisExportGoldenSuite } from './epcis-export-golden-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the export's queries there, same golden bytes.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

epcisExportGoldenSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
