import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe } from 'vitest';
import { specVersionsMigrationSuite } from './spec-versions-suite.js';

describe('migration 0015-spec-versions (SQLite)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  specVersionsMigrationSuite(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-0015-'));
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'c.db')) }),
    });
    return { db, dialect: 'sqlite' };
  });
});
