import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from '../../../src/store/migrations.js';
import { verifyReadingDigests } from '../../../src/store/reading-digest-reads.js';
import type { Database } from '../../../src/store/schema.js';

describe('migration 0018-reading-digests', () => {
  let dir: string;
  let db: Kysely<unknown>;
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('digests the readings stored before it in baseline batches, which then verify and catch an edit', async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-0018-'));
    db = new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'c.db')) }) });
    await migrateTo(db, 'sqlite', '0014-lock-rule-key');
    // 10,003 readings of gw-a with a hole (a gap in the data), 2 of gw-b.
    const seqs = [...Array.from({ length: 10_000 }, (_, i) => i + 1), 10_050, 10_051, 10_052];
    for (let i = 0; i < seqs.length; i += 500) {
      const values = seqs
        .slice(i, i + 500)
        .map(
          (s) =>
            sql`('gw-a', ${s}, 's1', 'room-1', ${1000 + s}, ${s % 7 === 0 ? null : s / 10}, NULL, ${s % 7 === 0 ? 'timeout' : 'ok'}, ${2000 + s})`,
        );
      await sql`INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
        VALUES ${sql.join(values)}`.execute(db);
    }
    await sql`INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
      VALUES ('gw-b', 1, 's2', 'room-2', 5, 4.5, 40, 'ok', 6), ('gw-b', 2, 's2', 'room-2', 6, 4.5, 40.5, 'ok', 7)`.execute(
      db,
    );
    await migrateToLatest(db, 'sqlite');
    const typed = db as Kysely<Database>;
    const rows = await typed
      .selectFrom('reading_digests')
      .select(['gateway_id', 'batch_index', 'seqs', 'count'])
      .orderBy('gateway_id')
      .orderBy('batch_index')
      .execute();
    expect(rows).toEqual([
      { gateway_id: 'gw-a', batch_index: 1, seqs: '1-10000', count: 10_000 },
      { gateway_id: 'gw-a', batch_index: 2, seqs: '10050-10052', count: 3 },
      { gateway_id: 'gw-b', batch_index: 1, seqs: '1-2', count: 2 },
    ]);
    expect(await verifyReadingDigests(typed)).toMatchObject({ ok: true, batches: 3, readings: 10_005 });
    await typed
      .updateTable('readings')
      .set({ rh: 41 })
      .where('gateway_id', '=', 'gw-b')
      .where('seq', '=', 2)
      .execute();
    const r = await verifyReadingDigests(typed);
    expect(r.findings.map((f) => [f.gateway, f.batchIndex, f.problem])).toEqual([
      ['gw-b', 1, 'reading_edited'],
    ]);
  });
});
