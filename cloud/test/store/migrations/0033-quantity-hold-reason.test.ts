import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe } from 'vitest';
import { quantityHoldReasonMigrationSuite } from './quantity-hold-reason-suite.js';

describe('migration 0033-quantity-hold-reason (SQLite)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  quantityHoldReasonMigrationSuite(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-0033-'));
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'c.db')) }),
    });
    return { db, dialect: 'sqlite' };
  });
});
