import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from '../../../src/store/migrations.js';

describe('migration 0014-lock-rule-key', () => {
  let dir: string;
  let db: Kysely<unknown>;
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves every lock to its cause and rule key, the prefix of a rule key dropped, nothing lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-0014-'));
    db = new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'c.db')) }) });
    await migrateTo(db, 'sqlite', '0013-rule-alarms');
    const row = (epc: string, cause: string, key: string, state: string, hold: string | null) => sql`
      INSERT INTO locks (epc, excursion_id, location_id, exposed_from, exposed_to, state, reason, disposition_id,
        cause, hold_reason, created_at, updated_at)
      VALUES (${epc}, ${key}, 'room-a', 1, NULL, ${state}, 'r', NULL, ${cause}, ${hold}, 5, 6)`;
    await row('E1', 'excursion', 'room-a@2026-01-01T00:00:00.000Z', 'active', null).execute(db);
    await row('E1', 'cumulative', 'cumulative:LOT-1:above:8:3600000', 'released', null).execute(db);
    await row('E2', 'rate_of_change', 'rate:room-a@2026-01-01T01:00:00.000Z', 'active', 'held').execute(db);
    await migrateToLatest(db, 'sqlite');
    const rows = await sql<Record<string, unknown>>`
      SELECT epc, cause, rule_key, excursion_id, state, hold_reason, created_at FROM locks ORDER BY epc, cause`.execute(
      db,
    );
    expect(rows.rows).toEqual([
      {
        epc: 'E1',
        cause: 'cumulative',
        rule_key: 'LOT-1:above:8:3600000',
        excursion_id: null,
        state: 'released',
        hold_reason: null,
        created_at: 5,
      },
      {
        epc: 'E1',
        cause: 'excursion',
        rule_key: 'room-a@2026-01-01T00:00:00.000Z',
        excursion_id: 'room-a@2026-01-01T00:00:00.000Z',
        state: 'active',
        hold_reason: null,
        created_at: 5,
      },
      {
        epc: 'E2',
        cause: 'rate_of_change',
        rule_key: 'room-a@2026-01-01T01:00:00.000Z',
        excursion_id: null,
        state: 'active',
        hold_reason: 'held',
        created_at: 5,
      },
    ]);
    // The same unit may now be locked by two rules under one key text: the key is (unit, cause, rule key).
    await sql`INSERT INTO locks (epc, cause, rule_key, excursion_id, location_id, exposed_from, state, reason,
        created_at, updated_at) VALUES ('E1', 'rate_of_change', 'room-a@2026-01-01T00:00:00.000Z', NULL, 'room-a',
        1, 'active', 'r', 7, 7)`.execute(db);
    await expect(
      sql`INSERT INTO locks (epc, cause, rule_key, excursion_id, location_id, exposed_from, state, reason,
        created_at, updated_at) VALUES ('E1', 'rate_of_change', 'room-a@2026-01-01T00:00:00.000Z', NULL, 'room-a',
        1, 'active', 'r', 7, 7)`.execute(db),
    ).rejects.toThrow(/UNIQUE/);
  });
});
