import { type Kysely, sql } from 'kysely';
import { deadOwners } from '../domain/node-liveness.js';
import type { Dialect } from './migrations.js';
import type { CloudNodesTable, EvaluationMarksTable } from './schema.js';

/**
 * The cloud processes on a store and the evaluation marks they own (migration 0029, domain/node-liveness.ts).
 * Heartbeats are stamped with the database's clock and compared with it, so clocks of several machines
 * need not agree.
 */
export type NodesDb = Kysely<{ cloud_nodes: CloudNodesTable; evaluation_marks: EvaluationMarksTable }>;

/** Any Kysely handle (or transaction) over a schema with `cloud_nodes` and `evaluation_marks`. */
export const nodesDb = (db: unknown): NodesDb => db as NodesDb;

/** The database's clock now, in epoch milliseconds. */
export function dbNowMs(dialect: Dialect) {
  return dialect === 'postgres'
    ? sql<number>`floor(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
}

/** Inserts the node's row (its start) or refreshes its heartbeat; re-creates a row removed as dead. */
export async function heartbeatNode(
  db: NodesDb,
  dialect: Dialect,
  id: string,
  heartbeatMs: number,
): Promise<void> {
  const now = dbNowMs(dialect);
  await db
    .insertInto('cloud_nodes')
    .values({ id, started_at: now, heartbeat_at: now, heartbeat_ms: heartbeatMs })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        heartbeat_at: eb.ref('excluded.heartbeat_at'),
        heartbeat_ms: eb.ref('excluded.heartbeat_ms'),
      })),
    )
    .execute();
}

/** A clean stop: the others take whatever marks the node leaves at once. */
export async function removeNode(db: NodesDb, id: string): Promise<void> {
  await db.deleteFrom('cloud_nodes').where('id', '=', id).execute();
}

/** A mark taken over, as its window and subject (what the engine marks dirty). */
export interface TakenMark {
  kind: string;
  subject: string;
  from_ts: number | null;
  to_ts: number | null;
}

export interface DeadNodeClaim {
  /**
   * Per dead node, how many of its marks this call took over, and whether it had a row (it stopped
   * heartbeating) or not (it stopped cleanly, or never ran as a cloud: a CLI command).
   */
  nodes: Array<{ id: string; marks: number; heartbeating: boolean }>;
  marks: TakenMark[];
}

/**
 * Takes over the marks of dead nodes (`deadOwners`): each is given `self` as owner and returned. A mark is
 * taken by one caller only: the UPDATE matches on the dead owner, so of several clouds sweeping at once
 * the ones that find the row already re-owned (PostgreSQL re-checks the condition after the row lock)
 * skip it. A node judged dead that beats again meanwhile loses nothing but is evaluated twice (harmless:
 * derived state is a function of the stored events). The rows of dead nodes are removed, with or without
 * marks, unless they beat meanwhile.
 */
export async function claimDeadNodeMarks(
  db: NodesDb,
  dialect: Dialect,
  self: string,
): Promise<DeadNodeClaim> {
  const out: DeadNodeClaim = { nodes: [], marks: [] };
  const owners = await db
    .selectFrom('evaluation_marks')
    .select('owner')
    .distinct()
    .where('owner', 'is not', null)
    .where('owner', '!=', self)
    .execute();
  const nodes = await db.selectFrom('cloud_nodes').select(['id', 'heartbeat_at', 'heartbeat_ms']).execute();
  if (owners.length === 0 && nodes.every((n) => n.id === self)) return out;
  const clock = await db.selectNoFrom(dbNowMs(dialect).as('now')).executeTakeFirstOrThrow();
  const owning = new Set(owners.map((o) => o.owner!));
  const dead = deadOwners({
    owners: [...owning, ...nodes.map((n) => n.id)],
    nodes: nodes.map((n) => ({
      id: n.id,
      heartbeatAt: Number(n.heartbeat_at),
      heartbeatMs: Number(n.heartbeat_ms),
    })),
    self,
    now: Number(clock.now),
  });
  for (const owner of dead) {
    const taken = owning.has(owner)
      ? await db
          .updateTable('evaluation_marks')
          .set({ owner: self })
          .where('owner', '=', owner)
          .returning(['kind', 'subject', 'from_ts', 'to_ts'])
          .execute()
      : [];
    const row = nodes.find((n) => n.id === owner);
    if (row) {
      // After its marks: a cloud sweeping meanwhile finds them re-owned or the row still there.
      await db
        .deleteFrom('cloud_nodes')
        .where('id', '=', owner)
        .where('heartbeat_at', '=', row.heartbeat_at)
        .execute();
    }
    if (taken.length === 0) continue;
    out.nodes.push({ id: owner, marks: taken.length, heartbeating: row !== undefined });
    for (const t of taken)
      out.marks.push({
        kind: t.kind,
        subject: t.subject,
        from_ts: t.from_ts === null ? null : Number(t.from_ts),
        to_ts: t.to_ts === null ? null : Number(t.to_ts),
      });
  }
  return out;
}
