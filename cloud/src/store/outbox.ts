import type { Transaction } from 'kysely';
import type { DomainEvent } from '../domain/domain-events.js';
import type { DomainDatabase } from './schema.js';

/** Outbox target of the MQTT event publisher. */
export const MQTT_TARGET = 'mqtt';
export const webhookTarget = (endpointId: string) => `webhook:${endpointId}`;

/**
 * Enqueues events for every enabled webhook endpoint that wants them and for MQTT, inside the caller's
 * transaction: an event exists exactly when the state change that caused it was committed.
 */
export async function enqueueEvents(
  trx: Transaction<DomainDatabase>,
  events: readonly DomainEvent[],
  now: number,
): Promise<number> {
  if (events.length === 0) return 0;
  const endpoints = await trx.selectFrom('webhook_endpoints').selectAll().where('enabled', '=', 1).execute();
  const rows = [];
  for (const e of events) {
    const payload = JSON.stringify(e);
    const base = { event: e.type, payload, created_at: now, attempts: 0, next_at: now };
    rows.push({ ...base, target: MQTT_TARGET });
    for (const ep of endpoints) {
      const wanted = ep.events === '*' || ep.events.split(',').includes(e.type);
      if (wanted) rows.push({ ...base, target: webhookTarget(ep.id) });
    }
  }
  for (let i = 0; i < rows.length; i += 200)
    await trx
      .insertInto('outbox')
      .values(rows.slice(i, i + 200))
      .execute();
  return rows.length;
}
