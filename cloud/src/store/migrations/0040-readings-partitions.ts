import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../migrations.js';

/** Migration 0040-readings-partitions. Shipped migrations are never edited; add a new one instead. */
export const migration0040 = (dialect: Dialect): Migration => ({
  // docs/operations.md "Partitions of readings": on PostgreSQL, readings are partitioned by calendar month
  // (UTC) of their time, with a default partition for any month without its own, so an insert never
  // fails for want of a partition. A partitioned table's keys must hold the partition key, so the primary
  // key becomes (gateway_id, seq, ts); ingest keeps (gateway_id, seq) unique itself under its stream lock
  // (store/ingest/pg-unnest-insert.ts). SQLite keeps one table.
  async up(db: Kysely<unknown>) {
    if (dialect !== 'postgres') return;
    await sql`alter table readings rename to readings_unpartitioned`.execute(db);
    await sql`alter table readings_unpartitioned rename constraint readings_pk to readings_unpartitioned_pk`.execute(
      db,
    );
    await sql`alter index readings_location_ts rename to readings_unpartitioned_location_ts`.execute(db);
    await sql`alter index readings_sensor_ts rename to readings_unpartitioned_sensor_ts`.execute(db);
    await sql`create table readings (
      gateway_id text not null,
      seq bigint not null,
      sensor_id text not null,
      location_id text not null,
      ts bigint not null,
      temp_c double precision,
      rh double precision,
      quality text not null,
      received_at bigint not null
    ) partition by range (ts)`.execute(db);
    await sql`create table readings_default partition of readings default`.execute(db);
    const { rows } = await sql<{ m: number }>`
      select distinct (extract(year from t) * 12 + extract(month from t) - 1)::int as m
      from (select to_timestamp(ts / 1000.0) at time zone 'UTC' as t from readings_unpartitioned) r
      order by m`.execute(db);
    for (const { m } of rows) {
      const year = Math.floor(m / 12);
      const month = m - year * 12;
      const name = `readings_y${String(year).padStart(4, '0')}m${String(month + 1).padStart(2, '0')}`;
      await sql`create table ${sql.id(name)} partition of readings for values from (${sql.lit(Date.UTC(year, month, 1))}) to (${sql.lit(Date.UTC(year, month + 1, 1))})`.execute(
        db,
      );
    }
    await sql`insert into readings select * from readings_unpartitioned`.execute(db);
    await sql`drop table readings_unpartitioned`.execute(db);
    // Keys and indexes built after the copy: one sorted build per partition, faster and denser than
    // entries added row by row.
    await sql`alter table readings add constraint readings_pk primary key (gateway_id, seq, ts)`.execute(db);
    await sql`create index readings_location_ts on readings (location_id, ts)`.execute(db);
    await sql`create index readings_sensor_ts on readings (sensor_id, ts)`.execute(db);
    await sql`analyze readings`.execute(db);
  },
});
