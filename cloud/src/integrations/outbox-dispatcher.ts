import { type Clock, errorMessage, eventTopic } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DomainDatabase } from '../store/schema.js';
import { MQTT_TARGET } from './outbox.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

export interface OutboxDispatcherOptions {
  db: Kysely<DomainDatabase>;
  clock: Clock;
  log: Logger;
  /** Publishes an event on MQTT (embedded aedes or the external client); absent = MQTT rows wait. */
  publishMqtt?: ((topic: string, payload: string) => Promise<void>) | undefined;
  pollMs?: number;
  batchSize?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
}

/**
 * Delivers the durable outbox: webhooks (HTTP POST, HMAC-signed, `x-coldtrace-delivery` = outbox id for
 * de-duplication) and MQTT events on `coldtrace/v1/events/{name}`. At least once, in outbox order per
 * target (a failing target holds back its later events), retried with exponential backoff.
 */
export class OutboxDispatcher {
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private running: Promise<number> | undefined;
  private closed = false;

  constructor(private readonly opts: OutboxDispatcherOptions) {}

  start(): void {
    this.schedule(0);
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
    const { db, clock } = this.opts;
    const now = clock.now();
    const due = await db
      .selectFrom('outbox')
      .selectAll()
      .where('delivered_at', 'is', null)
      .where('next_at', '<=', now)
      .orderBy('id')
      .limit(this.opts.batchSize ?? 100)
      .execute();
    const blocked = new Set<string>();
    let delivered = 0;
    for (const row of due) {
      if (blocked.has(row.target)) continue;
      try {
        await this.deliver(row);
        await db
          .updateTable('outbox')
          .set({ delivered_at: clock.now(), attempts: row.attempts + 1, last_error: null })
          .where('id', '=', row.id)
          .execute();
        delivered++;
      } catch (err) {
        blocked.add(row.target);
        const attempts = row.attempts + 1;
        const backoff = Math.min(
          this.opts.maxBackoffMs ?? 300_000,
          (this.opts.baseBackoffMs ?? 1000) * 2 ** (attempts - 1),
        );
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

  private async deliver(row: { id: number; target: string; event: string; payload: string }): Promise<void> {
    if (row.target === MQTT_TARGET) {
      // Without a broker to publish on (external-broker deployments), MQTT events are marked done.
      if (!this.opts.publishMqtt) return;
      await this.opts.publishMqtt(eventTopic(row.event), row.payload);
      return;
    }
    const endpointId = row.target.replace(/^webhook:/, '');
    const ep = await this.opts.db
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
