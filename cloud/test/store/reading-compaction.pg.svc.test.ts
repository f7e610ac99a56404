import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { monthIndexOf, monthsAround } from '../../src/store/partition-months.js';
import { COMPACT_LOCK_SPACE, compactClosedMonth } from '../../src/store/reading-compaction.js';
import { maintainReadingPartitions } from '../../src/store/reading-partitions.js';
import { perTestPg } from './pg-fresh.js';

// docs/operations.md "Partitions of readings", its compaction. Needs PostgreSQL (deploy/dev-services.sh).
const DAY = 86_400_000;
const OCT = Date.UTC(2026, 9, 1);
const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);
const OCT_PART = 'readings_y2026m10';

const pgs = perTestPg();

/**
 * A store with partitions from October to December and readings in October and November written as
 * ingest writes them: minute after minute, every sensor's reading of that minute, so each sensor's key
 * range in the (sensor_key, ts) index grows at its own end, out of the index's order.
 */
async function filled() {
  const { store, url } = await pgs.store();
  await maintainReadingPartitions(store.db, { months: monthsAround(OCT, 2) });
  for (const [from, first] of [
    [OCT, 0],
    [NOV, 1_000_000],
  ] as const)
    await sql`
      insert into readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
      select 'gw-1', ${first}::bigint + m * 40 + s + 1, 's' || lpad(s::text, 3, '0'), 'room-' || (s % 4),
        ${from}::bigint + m * 60000, 4 + (m % 7) * 0.25, null, 'ok', ${from}::bigint + m * 60000 + 5
      from generate_series(0, 499) m, generate_series(0, 39) s order by m, s`.execute(store.db);
  return { store, db: store.db as Kysely<unknown>, url };
}

/** The partition's indexes: name -> [file node, bytes]; a rebuild gives an index a new file node. */
async function indexes(db: Kysely<unknown>, table: string): Promise<Record<string, [number, number]>> {
  const { rows } = await sql<{ name: string; node: number; bytes: string; valid: boolean }>`
    select c.relname as name, c.relfilenode as node, pg_relation_size(c.oid) as bytes, i.indisvalid as valid
    from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = ${table}::regclass`.execute(
    db,
  );
  return Object.fromEntries(
    rows.map((r) => [`${r.name}${r.valid ? '' : ' (invalid)'}`, [r.node, Number(r.bytes)]]),
  );
}

const nodes = async (db: Kysely<unknown>, table: string) =>
  Object.fromEntries(Object.entries(await indexes(db, table)).map(([k, [node]]) => [k, node]));

/** What the reads return: a month's rows in key order, and one sensor's through its index. */
async function reads(db: Kysely<unknown>) {
  const month =
    await sql`select * from readings where ts >= ${OCT} and ts < ${NOV} order by gateway_id, seq`.execute(db);
  const sensor = await sql`
    select seq, ts from readings where sensor_id = 's007' and ts >= ${OCT + DAY / 8} and ts < ${OCT + DAY / 4}
    order by ts`.execute(db);
  return { month: month.rows, sensor: sensor.rows };
}

describe('compacting closed months of readings (PostgreSQL)', () => {
  it('rebuilds a closed month once, after its grace period, and leaves the current month alone', async () => {
    const { db } = await filled();
    const before = await indexes(db, OCT_PART);
    const novNodes = await nodes(db, 'readings_y2026m11');
    const read = await reads(db);
    expect(read.month).toHaveLength(20_000);
    expect(read.sensor).toHaveLength(180);

    // October closed a day and a half ago: within the grace period; November is the current month.
    expect(await compactClosedMonth(db, { now: NOV + 1.5 * DAY })).toEqual({ outcome: 'none', dropped: [] });
    expect(await indexes(db, OCT_PART)).toEqual(before);

    const pass = await compactClosedMonth(db, { now: NOV + 2 * DAY });
    expect(pass).toMatchObject({ outcome: 'compacted', month: OCT_PART, dropped: [] });
    const after = await indexes(db, OCT_PART);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    const bytes = (x: Record<string, [number, number]>) => Object.values(x).reduce((n, [, b]) => n + b, 0);
    expect(pass.indexBytes).toEqual({ before: bytes(before), after: bytes(after) });
    const sensorIdx = 'readings_y2026m10_sensor_key_ts_idx';
    // Integer keys (0044) split their pages well as written (about 78 % full here, 89 % rebuilt), where text
    // ids left them near half full.
    expect(after[sensorIdx]?.[1]).toBeLessThan(before[sensorIdx]?.[1] ?? 0);
    expect(bytes(after)).toBeLessThan(bytes(before));
    expect(await reads(db)).toEqual(read);
    expect(await nodes(db, 'readings_y2026m11')).toEqual(novNodes);

    // Once: later passes find nothing due while November is current.
    const rebuilt = await nodes(db, OCT_PART);
    expect(await compactClosedMonth(db, { now: NOV + 20 * DAY })).toEqual({ outcome: 'none', dropped: [] });
    expect(await nodes(db, OCT_PART)).toEqual(rebuilt);
    expect(await nodes(db, 'readings_y2026m11')).toEqual(novNodes);
  });

  it('drops the invalid copies a failed rebuild left, then rebuilds the month', async () => {
    const { db } = await filled();
    // What an interrupted REINDEX CONCURRENTLY leaves: an invalid index named like its copy.
    const leftover = 'readings_y2026m10_sensor_key_ts_idx_ccnew';
    await expect(
      sql`create unique index concurrently ${sql.id(leftover)} on ${sql.id(OCT_PART)} (sensor_key)`.execute(
        db,
      ),
    ).rejects.toThrow(/could not create unique index/);
    expect(Object.keys(await indexes(db, OCT_PART))).toContain(`${leftover} (invalid)`);
    const read = await reads(db);

    const pass = await compactClosedMonth(db, { now: DEC });
    expect(pass).toMatchObject({ outcome: 'compacted', month: OCT_PART, dropped: [leftover] });
    expect(Object.keys(await indexes(db, OCT_PART)).sort()).toEqual([
      'readings_y2026m10_location_key_ts_idx',
      'readings_y2026m10_pkey',
      'readings_y2026m10_sensor_key_ts_idx',
    ]);
    expect(await reads(db)).toEqual(read);
  });

  it('a rebuild that cannot get its lock fails unrecorded, and the next pass does it', async () => {
    const { db, url } = await filled();
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    pgs.defer(() => blocker.end());
    await blocker.query('begin');
    await blocker.query(`lock table ${OCT_PART} in share update exclusive mode`);
    const before = await nodes(db, OCT_PART);
    await expect(compactClosedMonth(db, { now: DEC, lockTimeoutMs: 200 })).rejects.toThrow(/lock timeout/);
    expect(await nodes(db, OCT_PART)).toEqual(before);
    await blocker.query('commit');
    expect(await compactClosedMonth(db, { now: DEC })).toMatchObject({
      outcome: 'compacted',
      month: OCT_PART,
    });
  });

  it('two clouds passing at once rebuild the month once; a pass finding its lock held skips', async () => {
    const { db, url } = await filled();
    const other = await openDatabase(url);
    pgs.defer(() => other.db.destroy());
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    pgs.defer(() => holder.end());
    await holder.query('select pg_advisory_lock($1::int4, $2::int4)', [
      COMPACT_LOCK_SPACE,
      monthIndexOf(OCT),
    ]);
    const before = await nodes(db, OCT_PART);
    expect(await compactClosedMonth(db, { now: DEC })).toEqual({
      outcome: 'busy',
      month: OCT_PART,
      dropped: [],
    });
    expect(await nodes(db, OCT_PART)).toEqual(before);
    await holder.query('select pg_advisory_unlock_all()');

    const passes = await Promise.all([
      compactClosedMonth(db, { now: DEC }),
      compactClosedMonth(other.db as Kysely<unknown>, { now: DEC }),
    ]);
    expect(passes.filter((p) => p.outcome === 'compacted')).toHaveLength(1);
    expect(passes.filter((p) => p.outcome === 'compacted')[0]?.month).toBe(OCT_PART);
  });

  it('a server before PostgreSQL 12 is left alone', async () => {
    const { db } = await filled();
    const before = await nodes(db, OCT_PART);
    expect(await compactClosedMonth(db, { now: DEC, serverVersionNum: 110_022 })).toEqual({
      outcome: 'unsupported',
      dropped: [],
    });
    expect(await nodes(db, OCT_PART)).toEqual(before);
    expect(await compactClosedMonth(db, { now: DEC, serverVersionNum: 120_000 })).toMatchObject({
      outcome: 'compacted',
    });
  });
});
