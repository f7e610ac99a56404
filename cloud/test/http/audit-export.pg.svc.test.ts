import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { auditExportSuite } from './audit-export-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): the audit filters' and exports' SQL there.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

auditExportSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
