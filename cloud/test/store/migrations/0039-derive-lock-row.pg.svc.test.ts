import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../pg-fresh.js';
import { deriveLockRowMigrationSuite } from './derive-lock-row-suite.js';

describe('migration 0039-derive-lock-row (PostgreSQL)', () => {
  let fresh: FreshPostgres | undefined;
  let db: Kysely<unknown> | undefined;
  afterEach(async () => {
    await db?.destroy();
    await fresh?.drop();
  });
  deriveLockRowMigrationSuite(async () => {
    fresh = await freshPostgresUrl();
    db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.url, max: 2 }) }),
    });
    return { db, dialect: 'postgres' };
  });
});
