import { backoffDelayMs, type Clock, errorMessage, eventTopic } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type OutboxLane, withOutboxLane } from '../store/lane-lock.js';
import type { Dialect } from '../store/migrations.js';
import { MQTT_TARGET } from '../store/outbox.js';
import type { DomainDatabase } from '../store/schema.js';
import type { PublishMqtt } from './mqtt-event-publisher.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

export interface OutboxDispatcherOptions {
  db: Kysely<DomainDatabase>;
  /**
   * The store's dialect (`OpenedDatabase.dialect`). On PostgreSQL several cloud processes may share the
   * outbox, so each lane's pass runs under an advisory lock (`store/lane-lock.ts`); SQLite needs none.
   */
  dialect: Dialect;
  clock: Clock;
  log: Logger;
  /**
   * Publishes an event on MQTT (embedded aedes, the external broker's client, RabbitMQ), resolving only on
   * the broker's acknowledgement. Absent (no broker configured): MQTT rows are left pending, never marked
   * delivered, for a cloud process that has a broker (or this one after a restart with one).
   */
  publishMqtt?: PublishMqtt | undefined;
  pollMs?: number;
  batchSize?: number;
  /** Retry delay of a failed row: `backoffDelayMs` from this (default 1 s), doubling up to the max (5 min). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
}

/**
 * Delivers the durable outbox: webhooks (HTTP POST, HMAC-signed, `x-coldtrace-delivery` = outbox id for
 * de-duplication) and MQTT events on `coldtrace/v1/events/{name}`. At least once, in outbox order per
 * target (a failing target holds back its later events), retried with exponential backoff. Across cloud
 * processes sharing a PostgreSQL store, one process at a time delivers each lane (webhooks, MQTT).
 */
export class OutboxDispatcher {
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private running: Promise<number> | undefined;
  private closed = false;
  /** Pending MQTT rows last reported while no publisher is configured (logged again when it grows). */
  private reportedPendingMqtt = 0;

  constructor(private readonly opts: OutboxDispatcherOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** MQTT events waiting for delivery (all of them, due or backing off). */
  async pendingMqtt(): Promise<number> {
    const r = await this.opts.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('delivered_at', 'is', null)
      .where('target', '=', MQTT_TARGET)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** Without a publisher, MQTT rows stay pending: say so (once, and again whenever more are waiting). */
  private async reportUndeliverableMqtt(): Promise<void> {
    const n = await this.pendingMqtt();
    if (n > this.reportedPendingMqtt) {
      this.opts.log.warn(
        { pending: n, code: 'mqtt_events_pending' },
        'MQTT events are kept pending in the outbox: this cloud has no MQTT broker to publish them on (mqtt.embedded disabled, no mqtt.external, no mqtt.rabbitmq); a cloud process with a broker delivers them',
      );
    }
    this.reportedPendingMqtt = n;
  }

  /** New events were committed: deliver soon. */
  kick(): void {
    if (this.closed) return;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.closed || this.timer) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.runOnce()
        .catch((err) => {
          this.opts.log.error({ err: errorMessage(err) }, 'outbox dispatch failed');
          return 0;
        })
        .then((n) => this.schedule(n > 0 ? 0 : (this.opts.pollMs ?? 1000)));
    }, ms);
  }

  /** One pass over due rows; returns how many were delivered. */
  runOnce(): Promise<number> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    const { db, dialect } = this.opts;
    const mqtt = this.opts.publishMqtt !== undefined;
    if (!mqtt) await this.reportUndeliverableMqtt();
    // Separate lanes with separate locks: a process without a publisher (MQTT rows are not its to deliver)
    // only ever competes for the webhook lane, so it cannot keep a process with a broker from delivering
    // MQTT, and a slow webhook receiver does not hold back MQTT events. A lane another process holds is
    // skipped: that process is delivering it, and this one looks again on its next poll.
    let delivered = 0;
    if (mqtt)
      delivered += (await withOutboxLane(db, dialect, 'mqtt', (conn) => this.deliverLane(conn, 'mqtt'))) ?? 0;
    delivered +=
      (await withOutboxLane(db, dialect, 'webhooks', (conn) => this.deliverLane(conn, 'webhooks'))) ?? 0;
    return delivered;
  }

  /**
   * Delivers the lane's due rows on `db` (the connection holding the lane's lock on PostgreSQL). Each row
   * is marked as soon as it is sent, so whoever takes the lane next sees it delivered.
   */
  private async deliverLane(db: Kysely<DomainDatabase>, lane: OutboxLane): Promise<number> {
    const { clock } = this.opts;
    const now = clock.now();
    const due = await db
      .selectFrom('outbox')
      .selectAll()
      .where('delivered_at', 'is', null)
      .where('next_at', '<=', now)
      .where('target', lane === 'mqtt' ? '=' : '!=', MQTT_TARGET)
      // A target whose oldest pending row is backing off holds back its later rows until that row is
      // retried: `blocked` keeps the order within a pass, this keeps it across passes.
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('outbox as earlier')
              .select('earlier.id')
              .whereRef('earlier.target', '=', 'outbox.target')
              .whereRef('earlier.id', '<', 'outbox.id')
              .where('earlier.delivered_at', 'is', null)
              .where('earlier.next_at', '>', now),
          ),
        ),
      )
      .orderBy('id')
      .limit(this.opts.batchSize ?? 100)
      .execute();
    const blocked = new Set<string>();
    let delivered = 0;
    for (const row of due) {
      if (blocked.has(row.target)) continue;
      try {
        await this.deliver(db, row);
        await db
          .updateTable('outbox')
          .set({ delivered_at: clock.now(), attempts: row.attempts + 1, last_error: null })
          .where('id', '=', row.id)
          .execute();
        delivered++;
      } catch (err) {
        blocked.add(row.target);
        const attempts = row.attempts + 1;
        // A row's failures are its stored attempts, so the delay survives a restart.
        const backoff = backoffDelayMs(attempts, {
          initialMs: this.opts.baseBackoffMs ?? 1000,
          maxMs: this.opts.maxBackoffMs ?? 300_000,
        });
        await db
          .updateTable('outbox')
          .set({ attempts, next_at: clock.now() + backoff, last_error: errorMessage(err).slice(0, 500) })
          .where('id', '=', row.id)
          .execute();
        this.opts.log.warn(
          { target: row.target, id: row.id, attempts, err: errorMessage(err) },
          'event delivery failed; will retry',
        );
      }
    }
    return delivered;
  }

  private async deliver(
    db: Kysely<DomainDatabase>,
    row: { id: number; target: string; event: string; payload: string },
  ): Promise<void> {
    if (row.target === MQTT_TARGET) {
      // Delivered means acknowledged by the broker: never without a publisher (the pass skips the lane).
      if (!this.opts.publishMqtt) throw new Error('no MQTT broker configured to publish events on');
      await this.opts.publishMqtt(eventTopic(row.event), row.payload);
      return;
    }
    const endpointId = row.target.replace(/^webhook:/, '');
    const ep = await db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', endpointId)
      .executeTakeFirst();
    if (ep?.enabled !== 1) throw new Error(`webhook endpoint ${endpointId} is missing or disabled`);
    const ts = this.opts.clock.now();
    const res = await fetch(ep.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-coldtrace-event': row.event,
        'x-coldtrace-delivery': String(row.id),
        [SIGNATURE_HEADER]: signWebhook(ep.secret, ts, row.payload),
      },
      body: row.payload,
      signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`${ep.url} answered HTTP ${res.status}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) await this.running.catch(() => undefined);
  }
}
