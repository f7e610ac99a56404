import { afterAll } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { lotAssessmentCacheSuite } from './lot-assessment-cache-suite.js';
import { type FreshPostgres, freshPostgresUrl } from './pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh).
const dbs: FreshPostgres[] = [];
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

lotAssessmentCacheSuite('PostgreSQL', async () => {
  const pg = await freshPostgresUrl();
  dbs.push(pg);
  return openDatabase(pg.url);
});
