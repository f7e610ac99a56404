import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, eventTopic, systemClock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxDispatcher } from '../../src/integrations/outbox-dispatcher.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { enqueueEvents } from '../../src/store/outbox.js';
import type { DomainDatabase } from '../../src/store/schema.js';
import { lockEvent } from './lock-event.js';

/** A pino logger whose warnings the test can read. */
function capturingLog() {
  const lines: Array<{ msg: string; pending?: number }> = [];
  const log = pino(
    { level: 'warn' },
    {
      write: (s: string) => {
        lines.push(JSON.parse(s));
      },
    },
  );
  return { log, lines };
}

describe('outbox dispatcher: MQTT rows are delivered only on a broker acknowledgement', () => {
  let store: CloudStore;
  let db: Kysely<DomainDatabase>;
  let server: Server;
  const hooks: string[] = [];
  const clock: Clock = systemClock;

  beforeAll(async () => {
    store = new CloudStore(await openDatabase(':memory:'));
    db = store.db as unknown as Kysely<DomainDatabase>;
    server = createServer((req, res) => {
      hooks.push(String(req.headers['x-coldtrace-delivery']));
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await db
      .insertInto('webhook_endpoints')
      .values({ id: 'erp', url, secret: 'whsec-0123456789abcdef', events: '*', enabled: 1, created_at: 0 })
      .execute();
    // 150 events: 300 rows, MQTT and webhook interleaved; more MQTT rows than one batch (100).
    await db.transaction().execute((trx) =>
      enqueueEvents(
        trx,
        Array.from({ length: 150 }, (_, i) => lockEvent(i)),
        clock.now(),
      ),
    );
  });
  afterAll(async () => {
    server?.close();
    await store?.close();
  });

  const pending = async (target: string) =>
    (
      await db
        .selectFrom('outbox')
        .select('id')
        .where('target', '=', target)
        .where('delivered_at', 'is', null)
        .execute()
    ).length;

  it('without a publisher: keeps every MQTT row pending, says why, and still delivers the webhooks', async () => {
    const { log, lines } = capturingLog();
    const d = new OutboxDispatcher({ db, dialect: 'sqlite', clock, log });
    while ((await d.runOnce()) > 0);
    await d.close();
    expect(await pending('webhook:erp')).toBe(0);
    expect(hooks).toHaveLength(150);
    expect(await pending('mqtt')).toBe(150);
    const mqttRows = await db.selectFrom('outbox').selectAll().where('target', '=', 'mqtt').execute();
    expect(mqttRows.every((r) => r.attempts === 0 && r.delivered_at === null)).toBe(true);
    const warning = lines.find((l) => /MQTT events are kept pending/.test(l.msg));
    expect(warning).toMatchObject({ pending: 150 });
    expect(await new OutboxDispatcher({ db, dialect: 'sqlite', clock, log }).pendingMqtt()).toBe(150);
  });

  it('a failing publisher leaves the row pending with the error; a working one delivers all, in order', async () => {
    const failing = new OutboxDispatcher({
      db,
      dialect: 'sqlite',
      clock,
      log: capturingLog().log,
      publishMqtt: async () => {
        throw new Error('broker down');
      },
    });
    expect(await failing.runOnce()).toBe(0);
    await failing.close();
    const first = await db
      .selectFrom('outbox')
      .selectAll()
      .where('target', '=', 'mqtt')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    expect(first).toMatchObject({ delivered_at: null, attempts: 1, last_error: 'broker down' });
    expect(await pending('mqtt')).toBe(150); // later rows held back behind the failing one
    await db.updateTable('outbox').set({ next_at: 0 }).execute();

    const published: Array<{ topic: string; units: unknown }> = [];
    const ok = new OutboxDispatcher({
      db,
      dialect: 'sqlite',
      clock,
      log: capturingLog().log,
      publishMqtt: async (topic, payload) => {
        published.push({ topic, units: JSON.parse(payload).units });
      },
    });
    while ((await ok.runOnce()) > 0);
    await ok.close();
    expect(await pending('mqtt')).toBe(0);
    expect(published).toHaveLength(150);
    expect(published.every((p) => p.topic === eventTopic('lock'))).toBe(true);
    expect(published.map((p) => p.units)).toEqual(
      Array.from({ length: 150 }, (_, i) => [{ epc: `EPC${i}`, lotId: 'L1' }]),
    );
  });
});
