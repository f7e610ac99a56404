import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { heldClosuresSuite } from './held-closures-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): closing rejected held quantities' SQL there.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

heldClosuresSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
