import { sql, type Transaction } from 'kysely';
import type { Dialect } from './migrations.js';

// Two-int4 advisory keys per location, apart from the ingest transactions' single-bigint keys and from the
// lanes' space (`lane-lock.ts`).
const LOCATION_SPACE = 0x0c7d_0de8; // fixed and arbitrary: "coldtrace derive, per location"

/**
 * What a derive transaction serialises with on PostgreSQL (docs/domain.md "Guarantees"), until it commits:
 * - `undefined`: every other derive transaction (custody rebuilds, products, dispositions, a location
 *   evaluation whose lock rules read other locations' state): the derive key in exclusive mode.
 * - locations: only derive transactions of the same locations, and the exclusive ones: the derive key in
 *   shared mode, then each location's key in ascending key order (one order for every process, so two
 *   transactions over overlapping groups never wait for each other in a cycle).
 *
 * The derive key is the `derive_locks('derive')` row (seeded by migration 0039), which clouds of earlier
 * versions update in every derive transaction: exclusive mode updates it as they do, shared mode takes it
 * `FOR SHARE`. So a cloud of an earlier version still excludes, and is excluded by, every derive transaction
 * of this one while a database's clouds are upgraded one at a time.
 *
 * A location's evaluation reads and writes only that location's state (its readings, excursions, gaps,
 * alarms, holds, and the locks keyed by those), besides custody, which only exclusive transactions write;
 * what every transaction shares, the audit chain and the outbox's id order, the audit head row serialises
 * (`audit-append.ts`). SQLite serialises write transactions itself: nothing to take.
 */
export async function lockDerivation<DB>(
  trx: Transaction<DB>,
  dialect: Dialect,
  locations: readonly string[] | undefined,
): Promise<void> {
  if (dialect !== 'postgres') return;
  if (locations === undefined) {
    await sql`insert into derive_locks (key, n) values ('derive', 1) on conflict (key) do update set n = derive_locks.n + 1`.execute(
      trx,
    );
    return;
  }
  // Migration 0039 seeds the row; without it this would lock nothing and exclude no exclusive holder.
  const held = await sql`select 1 from derive_locks where key = 'derive' for share`.execute(trx);
  if (held.rows.length === 0)
    throw new Error("derive_locks('derive') is missing: the schema is not migrated");
  if (locations.length === 0) return;
  await sql`select pg_advisory_xact_lock(${LOCATION_SPACE}::int4, k) from (select distinct hashtext(s) as k from unnest(${[...locations]}::text[]) as s order by k) as locks`.execute(
    trx,
  );
}
