import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../pg-fresh.js';
import { readingRollupsMigrationSuite } from './reading-rollups-suite.js';

describe('migration 0031-reading-rollups (PostgreSQL)', () => {
  let fresh: FreshPostgres | undefined;
  afterEach(async () => {
    await fresh?.drop();
  });
  readingRollupsMigrationSuite(async () => {
    fresh = await freshPostgresUrl();
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.url, max: 2 }) }),
    });
    return { db, dialect: 'postgres' };
  });
});
