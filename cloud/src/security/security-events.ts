import { type Clock, type ErrorCode, errorMessage, systemClock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { appendAudit } from '../store/audit-append.js';
import type { Database } from '../store/schema.js';

/** The security events recorded on the audit trail (actions `security.<event>`, entityType `security`). */
export const SECURITY_EVENTS = [
  'login_failed',
  'login_throttled',
  'account_locked',
  'account_unlocked',
  'signature_failed',
  'signature_refused',
  'permission_denied',
  'mqtt_login_refused',
  'mqtt_client_id_refused',
  'mqtt_certificate_refused',
] as const;
export type SecurityEventName = (typeof SECURITY_EVENTS)[number];

export interface SecurityEvent {
  event: SecurityEventName;
  /** Who acted: the authenticated user, or the username tried (`(unknown)` when none was given). */
  actor: string;
  /** What it concerns: the account, route or MQTT client id. */
  subject: string;
  /** Where it came from (client address), when known. */
  source?: string | undefined;
  /** The error code the caller was answered with (shared/src/error-codes.ts); none for an unlock. */
  code?: ErrorCode | undefined;
  /** One sentence for the trail and the log. */
  reason: string;
  /** Extra facts for the trail (never a password or secret). */
  details?: Record<string, unknown> | undefined;
}

export const SECURITY_EVENTS_METRIC = 'coldtrace_security_events_total';

/**
 * Records security events: 21 CFR 11.300(d) wants attempts at unauthorized use detected and reported, so
 * each event is appended to the hash-chained audit trail in its own small transaction, logged with its
 * code, and counted in `/metrics` (`coldtrace_security_events_total{event}`). Recording never fails the
 * request or the MQTT login it describes: a failed append is logged and counted as `record_failed`.
 */
export class SecurityEvents {
  private readonly counter: Counter<'event'>;
  private readonly log: Logger | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly db: Kysely<Database>,
    opts: { registry?: Registry | undefined; log?: Logger | undefined; clock?: Clock | undefined } = {},
  ) {
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    // One counter per registry: buildApp and the cloud's broker may each be handed the same registry.
    const existing = opts.registry?.getSingleMetric(SECURITY_EVENTS_METRIC);
    this.counter =
      (existing as Counter<'event'> | undefined) ??
      new Counter({
        name: SECURITY_EVENTS_METRIC,
        help: 'Security events (failed logins, lockouts, unlocks, failed signatures, permission denials, refused MQTT logins), by event',
        labelNames: ['event'],
        registers: opts.registry ? [opts.registry] : [],
      });
  }

  async record(e: SecurityEvent): Promise<void> {
    const at = this.clock.now();
    this.counter.inc({ event: e.event });
    this.log?.warn(
      { event: e.event, code: e.code, actor: e.actor, subject: e.subject, source: e.source },
      `security event: ${e.reason}`,
    );
    try {
      await this.db.transaction().execute((trx) =>
        appendAudit(
          trx,
          [
            {
              actor: e.actor,
              action: `security.${e.event}`,
              entityType: 'security',
              entityId: e.subject,
              after: { code: e.code ?? null, source: e.source ?? null, ...e.details },
              reason: e.reason,
            },
          ],
          at,
        ),
      );
    } catch (err) {
      this.counter.inc({ event: 'record_failed' });
      this.log?.error(
        { event: e.event, err: errorMessage(err) },
        'security event not recorded on the audit trail',
      );
    }
  }
}

/** A refused MQTT login (broker/embedded-broker.ts): the username and client id it tried, from which address. */
export interface MqttAuthRefusal {
  reason: 'bad_credentials' | 'client_id' | 'client_certificate';
  username: string;
  clientId: string;
  remote: string | undefined;
  /** Why the client certificate does not fit the account (mutual TLS). */
  detail?: string | undefined;
}

/** The security event of a refused MQTT login (wrong credentials, a client id or certificate not the account's). */
export function mqttRefusalEvent(r: MqttAuthRefusal): SecurityEvent {
  const who = r.username || '(none)';
  const base = { actor: who, subject: r.clientId, source: r.remote, details: { username: who } };
  switch (r.reason) {
    case 'client_id':
      return {
        ...base,
        event: 'mqtt_client_id_refused',
        code: 'forbidden',
        reason: `MQTT login as ${who} refused: client id ${JSON.stringify(r.clientId)} is not this account's`,
      };
    case 'client_certificate':
      return {
        ...base,
        event: 'mqtt_certificate_refused',
        code: 'forbidden',
        reason: `MQTT login as ${who} refused: ${r.detail ?? 'the client certificate does not name this account'}`,
      };
    default:
      return {
        ...base,
        event: 'mqtt_login_refused',
        code: 'unauthorized',
        reason: `MQTT login as ${who} refused: bad username or password`,
      };
  }
}
