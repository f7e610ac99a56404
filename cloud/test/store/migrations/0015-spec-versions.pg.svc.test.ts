import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe } from 'vitest';
import { type FreshPostgres, freshPostgresUrl } from '../pg-fresh.js';
import { specVersionsMigrationSuite } from './spec-versions-suite.js';

describe('migration 0015-spec-versions (PostgreSQL)', () => {
  let fresh: FreshPostgres | undefined;
  afterEach(async () => {
    await fresh?.drop();
  });
  specVersionsMigrationSuite(async () => {
    fresh = await freshPostgresUrl();
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.url, max: 2 }) }),
    });
    return { db, dialect: 'postgres' };
  });
});
