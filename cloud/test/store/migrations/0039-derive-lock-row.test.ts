import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe } from 'vitest';
import { deriveLockRowMigrationSuite } from './derive-lock-row-suite.js';

describe('migration 0039-derive-lock-row (SQLite)', () => {
  let db: Kysely<unknown> | undefined;
  afterEach(async () => {
    await db?.destroy();
  });
  deriveLockRowMigrationSuite(async () => {
    db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    return { db, dialect: 'sqlite' };
  });
});
