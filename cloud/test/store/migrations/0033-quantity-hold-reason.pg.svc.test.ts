import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../pg-fresh.js';
import { quantityHoldReasonMigrationSuite } from './quantity-hold-reason-suite.js';

describe('migration 0033-quantity-hold-reason (PostgreSQL)', () => {
  let fresh: FreshPostgres | undefined;
  afterEach(async () => {
    await fresh?.drop();
  });
  quantityHoldReasonMigrationSuite(async () => {
    fresh = await freshPostgresUrl();
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.url, max: 2 }) }),
    });
    return { db, dialect: 'postgres' };
  });
});
