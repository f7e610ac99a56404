import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe } from 'vitest';
import { locationSensorsMigrationSuite } from './location-sensors-suite.js';

describe('migration 0042-location-sensors (SQLite)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  locationSensorsMigrationSuite(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-0042-'));
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'c.db')) }),
    });
    return { db, dialect: 'sqlite' };
  });
});
