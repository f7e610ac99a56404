import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { manualClock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxDispatcher } from '../../src/integrations/outbox-dispatcher.js';
import { openDatabase } from '../../src/store/db.js';
import { enqueueEvents } from '../../src/store/outbox.js';
import type { DomainDatabase } from '../../src/store/schema.js';
import { lockEvent } from './lock-event.js';

// "A failing target holds back its later events": not only for the rest of the pass that failed, but until
// the failed row is retried, even when the receiver is back before its backoff ends.
describe('outbox dispatcher: a row backing off holds back its target across passes', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('sends nothing later for that target until the failed row went first; other targets go on', async () => {
    const opened = await openDatabase(':memory:');
    cleanups.push(() => opened.close());
    const db = opened.db as unknown as Kysely<DomainDatabase>;
    let refuseNextErp = true;
    const got: Array<{ target: string; id: number }> = [];
    const server = createServer((req, res) => {
      const target = `webhook:${req.url?.slice(1)}`;
      req.resume();
      req.on('end', () => {
        if (target === 'webhook:erp' && refuseNextErp) {
          refuseNextErp = false;
          return void res.writeHead(503).end();
        }
        got.push({ target, id: Number(req.headers['x-coldtrace-delivery']) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const id of ['erp', 'wms'])
      await db
        .insertInto('webhook_endpoints')
        .values({
          id,
          url: `${base}/${id}`,
          secret: 'whsec-0123456789abcdef',
          events: '*',
          enabled: 1,
          created_at: 0,
        })
        .execute();
    const clock = manualClock(1_000_000);
    await db.transaction().execute((trx) =>
      enqueueEvents(
        trx,
        [0, 1, 2].map((i) => lockEvent(i)),
        clock.now(),
      ),
    );
    const ids = async (target: string) =>
      (await db.selectFrom('outbox').select('id').where('target', '=', target).orderBy('id').execute()).map(
        (r) => r.id,
      );
    const d = new OutboxDispatcher({
      db,
      dialect: 'sqlite',
      clock,
      log: pino({ level: 'silent' }),
      baseBackoffMs: 1000,
    });
    cleanups.push(() => d.close());

    expect(await d.runOnce()).toBe(3); // erp's first row refused (backoff 1 s); wms delivered
    const [firstErp] = await ids('webhook:erp');
    const refused = await db.selectFrom('outbox').selectAll().where('id', '=', firstErp!).executeTakeFirst();
    expect(refused).toMatchObject({ delivered_at: null, attempts: 1, next_at: clock.now() + 1000 });
    expect(refuseNextErp).toBe(false); // erp is up again, but its first row is not due yet
    expect(await d.runOnce()).toBe(0);
    expect(got.filter((g) => g.target === 'webhook:erp')).toEqual([]);
    clock.advance(1000);
    expect(await d.runOnce()).toBe(3);
    for (const target of ['webhook:erp', 'webhook:wms']) {
      expect(got.filter((g) => g.target === target).map((g) => g.id)).toEqual(await ids(target));
    }
  });
});
