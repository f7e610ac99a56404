import { afterAll } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { quantityHoldsSuite } from './quantity-holds-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): quantity holds and their decisions' SQL there.
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

quantityHoldsSuite('PostgreSQL', async () => {
  pg = await freshPostgresUrl();
  return { database: pg.url };
});
