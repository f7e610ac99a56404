import { until } from '@coldtrace/shared/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { withOutboxLane } from '../../src/store/lane-lock.js';
import { perTestPg } from './pg-fresh.js';

// docs/operations.md "A cloud that goes silent": a lane (outbox webhooks or MQTT, the InfluxDB sink, the
// retention pass) is a session-level advisory lock, held between transactions while its holder sends.
describe('PostgreSQL: a lane whose holder goes silent', () => {
  const pgs = perTestPg();

  it('is released once the holder’s session has been idle for the lane’s limit, and taken by another cloud', async () => {
    const url = await pgs.url();
    const errors: Error[] = [];
    const silent = await openDatabase(url, { onConnectionError: (err) => errors.push(err) });
    pgs.defer(() => silent.close());
    const other = await openDatabase(url);
    pgs.defer(() => other.close());

    // The silent cloud holds the webhooks lane and sends nothing more (frozen mid-pass).
    let resume!: () => void;
    const resumed = new Promise<void>((r) => {
      resume = r;
    });
    pgs.defer(async () => resume());
    let holding = false;
    const pass = withOutboxLane(
      silent.db,
      'postgres',
      'webhooks',
      async (conn) => {
        holding = true;
        await resumed;
        // Resumed: its next statement (marking a delivery) finds the session ended.
        await sql`select 1`.execute(conn);
        return 'marked';
      },
      { idleSessionTimeoutMs: 1_000 },
    ).catch((err: Error) => err.message);
    await until(() => holding, 'the silent cloud holding the lane');

    // Precondition: while the holder's session lives, another cloud's pass skips the lane.
    expect(await withOutboxLane(other.db, 'postgres', 'webhooks', async () => 'delivered')).toBeUndefined();
    // Once PostgreSQL has ended the idle session, the other cloud takes the lane.
    await until(
      async () =>
        (await withOutboxLane(other.db, 'postgres', 'webhooks', async () => 'delivered')) === 'delivered',
      'the lane taken by the other cloud',
      { timeoutMs: 20_000, intervalMs: 200 },
    );

    resume();
    expect(await pass).not.toBe('marked');
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/idle-session timeout/)]);
    const { rows } = await sql<{ x: number }>`select 2 as x`.execute(silent.db);
    expect(rows).toEqual([{ x: 2 }]);
  });

  it('leaves the server’s idle setting on the connection once the lane is given back, after a failed pass too', async () => {
    const url = await pgs.url();
    const opened = await openDatabase(url, { pool: { size: 1 } });
    pgs.defer(() => opened.close());
    const setting = (db: typeof opened.db) =>
      sql<{ v: string }>`select current_setting('idle_session_timeout') as v`
        .execute(db)
        .then((r) => r.rows[0]!.v);
    const before = await setting(opened.db);
    expect(await withOutboxLane(opened.db, 'postgres', 'sink:influx', (conn) => setting(conn))).toBe('1min');
    // The one pooled connection, back in the pool with the server's value, after a pass that failed too.
    expect(await setting(opened.db)).toBe(before);
    await expect(
      withOutboxLane(opened.db, 'postgres', 'sink:influx', async () => {
        throw new Error('InfluxDB down');
      }),
    ).rejects.toThrow('InfluxDB down');
    expect(await setting(opened.db)).toBe(before);
  });
});
