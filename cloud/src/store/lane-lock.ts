import { type Kysely, sql } from 'kysely';
import type { Dialect } from './migrations.js';

/**
 * What one lane delivers: the outbox dispatcher's webhook targets or MQTT target, or a time-series sink's
 * queue. Every target belongs to exactly one lane, so one holder per lane is enough for exactly one sender
 * per target, however many cloud processes share the database.
 */
export type OutboxLane = 'webhooks' | 'mqtt' | 'sink:influx';

/** A lane, or other periodic work only one process at a time may do: the retention pass (archive, prune). */
export type Lane = OutboxLane | 'retention';

// Two-int4 advisory keys: PostgreSQL keeps that key space apart from single-bigint keys, which the ingest
// transactions use (`pg_advisory_xact_lock(hashtext(gateway/stream))`), so no hash can collide with these.
const LOCK_SPACE = 0x0c7d_0b0c; // fixed and arbitrary: "coldtrace outbox"
const LANE_KEY: Record<Lane, number> = { webhooks: 1, mqtt: 2, 'sink:influx': 3, retention: 4 };

/**
 * How long a lane holder's session may sit idle before PostgreSQL (14 and later) ends it and so releases the
 * lane: a holder frozen or cut off mid-pass (docs/operations.md "A cloud that goes silent") would keep it
 * for ever, and that lane's deliveries (lock events to the ERP among them) with it. The session is idle
 * while the pass sends: longer than any send it waits for (webhook and InfluxDB requests time out after
 * 10 s by default).
 */
export const LANE_IDLE_SESSION_TIMEOUT_MS = 60_000;

/**
 * Runs `fn` as the only holder of `lane` among all processes sharing the database and returns its result,
 * or returns `undefined` at once when another process holds the lane (it is delivering those rows).
 *
 * PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on one pooled connection, and `fn`
 * runs on that same connection. Session-level rather than transaction-level because each delivered row
 * must be marked (committed) before the next is sent: a pass in one transaction would redeliver everything
 * it sent after a crash. Running `fn` on the lock's own connection means that if the session is lost
 * (PostgreSQL then releases the lock and another process may take over), this pass cannot mark anything
 * more and stops at its next query. A process that dies loses its sessions, so the lock never outlives it.
 *
 * SQLite: one process per database file, nothing to exclude; `fn` runs on `db` itself. (Kysely's SQLite
 * driver has a single connection, so reserving it for the pass would stall every other query.)
 */
export async function withOutboxLane<DB, T>(
  db: Kysely<DB>,
  dialect: Dialect,
  lane: Lane,
  fn: (db: Kysely<DB>) => Promise<T>,
  opts: { idleSessionTimeoutMs?: number } = {},
): Promise<T | undefined> {
  if (dialect !== 'postgres') return fn(db);
  return db.connection().execute(async (conn) => {
    const key = LANE_KEY[lane];
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_lock(${LOCK_SPACE}::int4, ${key}::int4) as locked`.execute(conn);
    if (rows[0]?.locked !== true) return undefined;
    await setIdleSessionTimeout(conn, String(opts.idleSessionTimeoutMs ?? LANE_IDLE_SESSION_TIMEOUT_MS));
    let result: T;
    try {
      result = await fn(conn);
    } catch (err) {
      // The pass's error is the one to report. A failure here too means the session is gone, and
      // PostgreSQL released the lock with it; node-postgres then drops the connection from the pool.
      await release(conn, key).catch(() => undefined);
      throw err;
    }
    await release(conn, key);
    return result;
  });
}

/** Sets the session's `idle_session_timeout`; from pg_settings, so a server before 14 skips it. */
async function setIdleSessionTimeout<DB>(conn: Kysely<DB>, value: string | 'reset'): Promise<void> {
  const v = value === 'reset' ? sql`reset_val` : sql`${value}`;
  await sql`select set_config(name, ${v}, false) from pg_settings where name = 'idle_session_timeout'`.execute(
    conn,
  );
}

/**
 * Gives the lane up before the connection goes back to the pool: the server's own idle setting back (idle
 * pooled connections are not to be ended), then the lock (a session lock would otherwise stay with that
 * pooled connection and keep every other process out of the lane).
 */
async function release<DB>(conn: Kysely<DB>, key: number): Promise<void> {
  await setIdleSessionTimeout(conn, 'reset');
  await unlock(conn, key);
}

async function unlock<DB>(conn: Kysely<DB>, key: number): Promise<void> {
  await sql`select pg_advisory_unlock(${LOCK_SPACE}::int4, ${key}::int4)`.execute(conn);
}
