import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { LockEventPayload } from '../../src/domain/domain-events.js';
import type { PublishMqtt } from '../../src/integrations/mqtt-event-publisher.js';
import { OutboxDispatcher } from '../../src/integrations/outbox-dispatcher.js';
import { openDatabase } from '../../src/store/db.js';
import { enqueueEvents } from '../../src/store/outbox.js';
import type { DomainDatabase } from '../../src/store/schema.js';
import { freshPostgresUrl, PG_ADMIN_URL } from '../store/pg-fresh.js';
import { lockEvent } from './lock-event.js';

// Several cloud processes on one PostgreSQL store each run an OutboxDispatcher over the same outbox
// (docs/domain.md "Integrations"). Each "process" here is its own Kysely instance and pg pool on a fresh
// database; the webhook receiver is a real HTTP server.

const TARGETS = ['webhook:erp', 'webhook:wms'] as const;

interface Delivery {
  target: string;
  id: number;
}

/**
 * Webhook receiver for endpoints `erp` and `wms`. `accepted` lists the deliveries it answered 204, in
 * arrival order; `arrived` every request, including refused and held ones.
 */
async function startReceiver() {
  const accepted: Delivery[] = [];
  const arrived: Delivery[] = [];
  let down = false;
  let hold: { arrived: (id: number) => void; released: Promise<void> } | undefined;
  const server: Server = createServer((req, res) => {
    const d = { target: `webhook:${req.url?.slice(1)}`, id: Number(req.headers['x-coldtrace-delivery']) };
    req.resume();
    req.on('end', async () => {
      arrived.push(d);
      if (down) return void res.writeHead(503).end();
      const held = hold;
      hold = undefined;
      if (held) {
        held.arrived(d.id);
        await held.released;
      }
      accepted.push(d);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    accepted,
    arrived,
    setDown: (v: boolean) => {
      down = v;
    },
    /** Holds the next request unanswered until `release()`; `first` resolves with its delivery id. */
    holdNext() {
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      const first = new Promise<number>((r) => {
        hold = { arrived: r, released };
      });
      return { first, release };
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('outbox dispatchers of two cloud processes on one PostgreSQL store', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A fresh database, two "processes" on it (own pools), a receiver and both webhook endpoints. */
  async function setup() {
    const fresh = await freshPostgresUrl();
    cleanups.push(() => fresh.drop());
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const connectionErrors: Error[] = [];
    const open = async () => {
      const opened = await openDatabase(fresh.url, {
        onConnectionError: (err) => connectionErrors.push(err),
      });
      cleanups.push(() => opened.close());
      return opened.db as unknown as Kysely<DomainDatabase>;
    };
    const a = await open();
    const b = await open();
    for (const id of ['erp', 'wms'])
      await a
        .insertInto('webhook_endpoints')
        .values({
          id,
          url: `${receiver.base}/${id}`,
          secret: 'whsec-0123456789abcdef',
          events: '*',
          enabled: 1,
          created_at: 0,
        })
        .execute();
    let nextEvent = 0;
    /** Commits `n` more lock events: one MQTT row and one row per webhook endpoint each. */
    const enqueue = (n: number) =>
      a.transaction().execute((trx) =>
        enqueueEvents(
          trx,
          Array.from({ length: n }, () => lockEvent(nextEvent++)),
          systemClock.now(),
        ),
      );
    const dispatcher = (db: Kysely<DomainDatabase>, publishMqtt?: PublishMqtt) => {
      const d = new OutboxDispatcher({
        db,
        dialect: 'postgres',
        clock: systemClock,
        log: pino({ level: 'silent' }),
        publishMqtt,
        pollMs: 5, // a dispatcher that found a lane taken looks again soon
      });
      cleanups.push(() => d.close());
      return d;
    };
    /** Ids per target, in id order: what each receiver must get, exactly once and in this order. */
    const expected = async (target: string) =>
      (await a.selectFrom('outbox').select('id').where('target', '=', target).orderBy('id').execute()).map(
        (r) => r.id,
      );
    /** Rows not delivered yet: all, or only the webhook rows (for dispatchers without an MQTT publisher). */
    const pending = async (only?: 'webhooks') => {
      let q = a
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('delivered_at', 'is', null);
      if (only) q = q.where('target', '!=', 'mqtt');
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    return { fresh, receiver, connectionErrors, a, b, enqueue, dispatcher, expected, pending };
  }

  /** A publisher recording each event's `at` (event number) as MQTT delivers it. */
  const recordingPublisher = (into: number[]): PublishMqtt => {
    return async (_topic, payload) => {
      into.push((JSON.parse(payload) as LockEventPayload).at);
    };
  };

  const acceptedIds = (deliveries: readonly Delivery[], target: string) =>
    deliveries.filter((d) => d.target === target).map((d) => d.id);

  it('delivers every event exactly once, in outbox order per target, while both dispatch concurrently', async () => {
    const s = await setup();
    const N = 150;
    await s.enqueue(N); // 450 rows: more per lane than one batch (100)
    // Both processes dispatch freely (each looks again every 5 ms); how their passes interleave is up to
    // the machine, and every interleaving must give exactly once, in order. That a pass holds its lane
    // while the other process runs is forced and checked by the next test.
    const published: number[] = [];
    const da = s.dispatcher(s.a, recordingPublisher(published));
    const db = s.dispatcher(s.b, recordingPublisher(published));
    da.start();
    db.start();
    await until(async () => (await s.pending()) === 0, 'every row delivered', {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    await Promise.all([da.close(), db.close()]);

    for (const target of TARGETS) {
      expect(acceptedIds(s.receiver.accepted, target)).toEqual(await s.expected(target));
    }
    expect(s.receiver.arrived).toHaveLength(2 * N);
    expect(published).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('a pass holds its lane: the other process sends none of those rows, and still delivers MQTT without a publisher in the way', async () => {
    const s = await setup();
    await s.enqueue(30);
    // Process A has no MQTT broker (API-only): it only ever takes the webhook lane.
    const noPublisher = s.dispatcher(s.a);
    const published: number[] = [];
    const withPublisher = s.dispatcher(s.b, recordingPublisher(published));

    const held = s.receiver.holdNext();
    const passA = noPublisher.runOnce();
    const [firstErp = 0] = await s.expected('webhook:erp');
    const [firstWms = 0] = await s.expected('webhook:wms');
    expect(await held.first).toBe(Math.min(firstErp, firstWms)); // A is mid-POST, holding the webhook lane

    // B delivers all MQTT rows now, and skips the webhook lane rather than sending A's rows again.
    expect(await withPublisher.runOnce()).toBe(30);
    expect(published).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(s.receiver.arrived).toHaveLength(1);

    held.release();
    expect(await passA).toBe(60);
    expect(await withPublisher.runOnce()).toBe(0);
    expect(await s.pending()).toBe(0);
    for (const target of TARGETS) {
      expect(acceptedIds(s.receiver.accepted, target)).toEqual(await s.expected(target));
    }
  });

  it('releases the lane after a failing pass: receiver down, or a pass that throws', async () => {
    const s = await setup();
    const da = s.dispatcher(s.a);
    const db = s.dispatcher(s.b);
    await s.enqueue(10);

    // Receiver down: A's pass fails both endpoints (backoff) and ends normally.
    s.receiver.setDown(true);
    expect(await da.runOnce()).toBe(0);
    expect(s.receiver.arrived).toHaveLength(2);
    s.receiver.setDown(false);
    await s.a.updateTable('outbox').set({ next_at: 0 }).execute();
    expect(await db.runOnce()).toBe(20); // B could take the lane A had

    // A pass that throws on a healthy connection (the store refuses to mark rows): the lane is released too.
    await sql`create function refuse_outbox_update() returns trigger language plpgsql as $$
      begin raise exception 'outbox marks refused by the test'; end $$`.execute(s.a);
    await sql`create trigger refuse_outbox_update before update on outbox
      for each row execute function refuse_outbox_update()`.execute(s.a);
    await s.enqueue(10);
    await expect(da.runOnce()).rejects.toThrow(/outbox marks refused/);
    await sql`drop trigger refuse_outbox_update on outbox`.execute(s.a);
    expect(await db.runOnce()).toBe(20); // B takes the lane (resending A's unmarked row: at least once)

    // And they keep taking turns.
    await s.enqueue(5);
    expect(await da.runOnce()).toBe(10);
    await s.enqueue(5);
    expect(await db.runOnce()).toBe(10);
    expect(await s.pending('webhooks')).toBe(0);
  });

  it('a lane holder whose session dies releases the lane; its process survives and the row in flight is sent again', async () => {
    const s = await setup();
    const da = s.dispatcher(s.a);
    const db = s.dispatcher(s.b);
    await s.enqueue(10);

    const held = s.receiver.holdNext();
    const passA = da.runOnce();
    const first = await held.first;
    // What PostgreSQL sees when A's process is killed or its connection is cut mid-delivery.
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `select pg_terminate_backend(l.pid) as t from pg_locks l join pg_database d on d.oid = l.database
         where l.locktype = 'advisory' and l.granted and d.datname = $1`,
        [new URL(s.fresh.url).pathname.slice(1)],
      );
      expect(rows).toEqual([{ t: true }]); // exactly one lane held: A's webhook lane
    } finally {
      await admin.end();
    }
    await until(() => s.connectionErrors.length > 0, 'A’s lost session reported');

    // B takes the lane over, including the row A had in flight, once the terminated backend has let go
    // of its advisory lock (the FATAL reaches A's client before the server has necessarily cleaned up).
    let sentByB = 0;
    await until(async () => {
      sentByB += await db.runOnce();
      return sentByB >= 20;
    }, 'B delivering the lane’s 20 rows');
    expect(sentByB).toBe(20);
    held.release();
    await expect(passA).rejects.toThrow(); // A cannot mark it: its session is gone
    expect(s.receiver.accepted.filter((d) => d.id === first)).toHaveLength(2);

    await s.enqueue(5);
    expect(await da.runOnce()).toBe(10); // A works again on a new connection
    expect(await s.pending('webhooks')).toBe(0);
  });
});
