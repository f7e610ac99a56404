import { afterAll } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { type FreshPostgres, freshPostgresUrl } from '../pg-fresh.js';
import { epcisRecordsSuite } from './epcis-records-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh).
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

epcisRecordsSuite(
  'PostgreSQL',
  async () => {
    pg = await freshPostgresUrl();
    return openDatabase(pg.url);
  },
  40,
);
