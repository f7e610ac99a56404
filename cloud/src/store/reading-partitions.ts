import { type Kysely, sql } from 'kysely';
import { monthIndexOf, type PartitionMonth, partitionMonth } from './partition-months.js';

// Two-int4 advisory key, apart from ingest's single-bigint keys and the lanes' and derive spaces.
const PARTITION_SPACE = 0x0c7d_0a27; // fixed and arbitrary: "coldtrace partitions"
/** Months a pass moves out of the default partition at most (the rest at the next pass). */
const MAX_MOVES_PER_PASS = 24;

export interface PartitionPass {
  /** Partitions created by this pass, by name, in creation order. */
  created: string[];
  /** Readings moved out of the default partition into the partitions created for them. */
  moved: number;
  /** Month partitions of the readings after the pass (the default one not counted). */
  partitions: number;
  /** Readings still in the default partition after the pass. */
  inDefault: number;
}

/**
 * One maintenance pass over PostgreSQL's readings partitions (docs/operations.md "Partitions of
 * readings"): creates the month partitions of `months` (month indexes, `partition-months.ts`) that do
 * not exist, and gives every month that readings in the default partition fall in its own partition,
 * moving them there. Safe to run from several clouds at once (a transaction-level advisory lock per
 * creation) and to repeat.
 *
 * A partition is created empty, filled from the default partition, then attached: attaching checks the
 * default partition no longer holds its month, which the exclusive lock taken first guarantees (an insert
 * routed there waits for the few statements it takes; see `createPartition` for which lock). `lockTimeoutMs`
 * bounds that wait on a busy database: the creation is then retried at the next pass.
 */
export async function maintainReadingPartitions<DB>(
  db: Kysely<DB>,
  o: { months: readonly number[]; lockTimeoutMs?: number | undefined },
): Promise<PartitionPass> {
  const created: string[] = [];
  let moved = 0;
  const existing = await partitionNames(db);
  for (const index of o.months) {
    const month = partitionMonth(index);
    if (existing.has(month.name)) continue;
    const n = await createPartition(db, month, 'ahead', o.lockTimeoutMs ?? 5000);
    // Taken meanwhile by another cloud, or readings of it wait in the default partition: moved below.
    if (n === undefined) continue;
    existing.add(month.name);
    created.push(month.name);
    moved += n;
  }
  for (let i = 0; i < MAX_MOVES_PER_PASS; i++) {
    const first = await sql<{ ts: string | null }>`select min(ts) as ts from readings_default`.execute(db);
    const ts = first.rows[0]?.ts;
    if (ts == null) break;
    const month = partitionMonth(monthIndexOf(Number(ts)));
    const n = await createPartition(db, month, 'move', o.lockTimeoutMs ?? 5000);
    // Another cloud created it meanwhile: its rows are gone from the default partition; look again.
    if (n === undefined) continue;
    created.push(month.name);
    moved += n;
  }
  const left = await sql<{ n: string }>`select count(*) as n from readings_default`.execute(db);
  return {
    created,
    moved,
    partitions: (await partitionNames(db)).size,
    inDefault: Number(left.rows[0]?.n ?? 0),
  };
}

/** Names of the month partitions of the readings (`reading_rows`; not the default one). */
export async function partitionNames<DB>(db: Kysely<DB>): Promise<Set<string>> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'reading_rows'::regclass and c.relname <> 'readings_default'`.execute(db);
  return new Set(rows.map((r) => r.name));
}

/**
 * Creates `month`'s partition; undefined if it exists or, `ahead`, if readings of the month wait in the
 * default partition. Moving readings takes the whole table exclusively: a query planned before a partition
 * is attached does not read it, so one running while rows moved into it would miss them (a reading missing
 * from an evaluation's window is a false gap). Creating a month ahead of its readings moves nothing and
 * takes only the default partition, whose rows of that month it first proves absent.
 */
async function createPartition<DB>(
  db: Kysely<DB>,
  month: PartitionMonth,
  mode: 'ahead' | 'move',
  lockTimeoutMs: number,
): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${PARTITION_SPACE}::int4, ${month.index}::int4)`.execute(trx);
    if ((await partitionNames(trx)).has(month.name)) return undefined;
    await sql`set local lock_timeout = ${sql.lit(`${Math.max(1, Math.round(lockTimeoutMs))}ms`)}`.execute(
      trx,
    );
    if (mode === 'move') await sql`lock table reading_rows in access exclusive mode`.execute(trx);
    else {
      await sql`lock table readings_default in access exclusive mode`.execute(trx);
      const waiting =
        await sql`select 1 from readings_default where ts >= ${sql.lit(month.from)} and ts < ${sql.lit(month.to)} limit 1`.execute(
          trx,
        );
      if (waiting.rows.length > 0) return undefined;
    }
    const name = sql.id(month.name);
    await sql`create table ${name} (like reading_rows including defaults including constraints)`.execute(trx);
    const moved =
      await sql`with m as (delete from readings_default where ts >= ${sql.lit(month.from)} and ts < ${sql.lit(month.to)} returning *)
      insert into ${name} select * from m`.execute(trx);
    await sql`alter table reading_rows attach partition ${name} for values from (${sql.lit(month.from)}) to (${sql.lit(month.to)})`.execute(
      trx,
    );
    return Number(moved.numAffectedRows ?? 0);
  });
}
