import { sql, type Transaction } from 'kysely';
import type { Dialect } from './migrations.js';

// Two-int4 advisory keys, apart from the ingest transactions' single-bigint keys and from the lanes' space
// (`lane-lock.ts`): one key for all derived state, and one space of keys per location.
const DERIVE_SPACE = 0x0c7d_0de7; // fixed and arbitrary: "coldtrace derive"
const LOCATION_SPACE = 0x0c7d_0de8; // "coldtrace derive, per location"

/**
 * What a derive transaction serialises with on PostgreSQL (docs/domain.md "Guarantees"), until it commits:
 * - `undefined`: every other derive transaction (custody rebuilds, products, dispositions, a location
 *   evaluation whose lock rules read other locations' state): the derive key in exclusive mode.
 * - locations: only derive transactions of the same locations, and the exclusive ones: the derive key in
 *   shared mode, then each location's key in ascending key order (one order for every process, so two
 *   transactions over overlapping groups never wait for each other in a cycle).
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
    await sql`select pg_advisory_xact_lock(${DERIVE_SPACE}::int4, 0)`.execute(trx);
    return;
  }
  await sql`select pg_advisory_xact_lock_shared(${DERIVE_SPACE}::int4, 0)`.execute(trx);
  if (locations.length === 0) return;
  await sql`select pg_advisory_xact_lock(${LOCATION_SPACE}::int4, k) from (select distinct hashtext(s) as k from unnest(${[...locations]}::text[]) as s order by k) as locks`.execute(
    trx,
  );
}
