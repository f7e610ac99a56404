import { type Clock, type ErrorCode, errorMessage, systemClock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { appendAudit } from '../store/audit-append.js';
import { enqueueEvents } from '../store/outbox.js';
import type { Database } from '../store/schema.js';
import { EventBurstLimiter, type SuppressedCount } from './event-burst.js';
import { type SecurityAlert, SecurityAlertRule } from './security-alert.js';
import type { SecurityEventName } from './security-event-names.js';
import type { SecurityEventsConfig } from './security-events-config.js';

export { SECURITY_EVENTS, type SecurityEventName } from './security-event-names.js';

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

const KEY_SEPARATOR = '\u0000';

/**
 * Records security events: 21 CFR 11.300(d) wants attempts at unauthorized use detected and reported, so
 * each event is appended to the hash-chained audit trail in its own small transaction, logged with its
 * code, and counted in `/metrics` (`coldtrace_security_events_total{event}`). Recording never fails the
 * request or the MQTT login it describes: a failed append is logged and counted as `record_failed`.
 *
 * A hostile client repeating one refused request must not fill the trail: per event, actor and source at
 * most `auditBurst.max` entries per window go on the trail; the rest are logged at debug level, counted
 * in `/metrics`, and their number is stated on the next entry of that key (`suppressedBefore`) or in an
 * `events_suppressed` entry when the key is evicted and at shutdown (`flush`). With `alert` configured,
 * crossing its threshold appends an `alert_raised` entry and sends a `security_alert` integration event
 * (webhooks and MQTT, through the outbox) in the same transaction.
 */
export class SecurityEvents {
  private readonly counter: Counter<'event'>;
  private readonly log: Logger | undefined;
  private readonly clock: Clock;
  private readonly burst: EventBurstLimiter;
  private readonly alertRule: SecurityAlertRule | undefined;
  private readonly outbox: { clock: Clock; kick?: (() => void) | undefined } | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    opts: {
      registry?: Registry | undefined;
      log?: Logger | undefined;
      clock?: Clock | undefined;
      config?: SecurityEventsConfig | undefined;
      /**
       * The outbox alerts go through: its clock (the data clock the dispatcher schedules on; the alert's
       * own time stays wall-clock) and a kick so it goes out at once.
       */
      outbox?: { clock: Clock; kick?: (() => void) | undefined } | undefined;
    } = {},
  ) {
    this.outbox = opts.outbox;
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    const burst = opts.config?.auditBurst ?? { max: 20, windowMs: 60_000 };
    this.burst = new EventBurstLimiter(burst.max, burst.windowMs);
    const alert = opts.config?.alert;
    this.alertRule = alert
      ? new SecurityAlertRule(
          alert.threshold,
          alert.windowMs,
          alert.events ? new Set(alert.events) : undefined,
        )
      : undefined;
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
    const key = [e.event, e.actor, e.source ?? ''].join(KEY_SEPARATOR);
    const burst = this.burst.admit(key, at);
    const alert = this.alertRule?.observe(e.event, at) ?? null;
    const fields = { event: e.event, code: e.code, actor: e.actor, subject: e.subject, source: e.source };
    if (burst.record) this.log?.warn(fields, `security event: ${e.reason}`);
    else this.log?.debug(fields, `security event (left off the trail: a burst): ${e.reason}`);
    const entries: SecurityEvent[] = burst.evicted.map((c) => this.suppressedEvent(c));
    if (burst.record) {
      entries.push(
        burst.suppressedBefore > 0
          ? { ...e, details: { ...e.details, suppressedBefore: burst.suppressedBefore } }
          : e,
      );
    }
    if (alert) entries.push(this.alertEvent(alert));
    await this.append(entries, at, alert);
  }

  /** States every burst count not yet on the trail (call at shutdown). */
  async flush(): Promise<void> {
    const pending = this.burst.drain().map((c) => this.suppressedEvent(c));
    await this.append(pending, this.clock.now(), null);
  }

  private suppressedEvent(c: SuppressedCount): SecurityEvent {
    const [event, actor, source] = c.key.split(KEY_SEPARATOR);
    this.counter.inc({ event: 'events_suppressed' });
    return {
      event: 'events_suppressed',
      actor: actor ?? '(unknown)',
      subject: event ?? '(unknown)',
      source: source || undefined,
      reason: `${c.suppressed} further ${event} events by ${actor}${source ? ` from ${source}` : ''} since ${new Date(c.since).toISOString()} were left off the trail (a burst)`,
      details: { suppressed: c.suppressed, since: c.since },
    };
  }

  private alertEvent(a: SecurityAlert): SecurityEvent {
    this.counter.inc({ event: 'alert_raised' });
    const reason = `security alert: ${a.count} security events within ${Math.round(a.windowMs / 1000)} s (${Object.entries(
      a.byEvent,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`;
    this.log?.error({ event: 'alert_raised', byEvent: a.byEvent, count: a.count }, reason);
    return {
      event: 'alert_raised',
      actor: 'coldtrace',
      subject: 'security',
      reason,
      details: { count: a.count, windowMs: a.windowMs, byEvent: a.byEvent },
    };
  }

  private async append(entries: SecurityEvent[], at: number, alert: SecurityAlert | null): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.db.transaction().execute(async (trx) => {
        await appendAudit(
          trx,
          entries.map((e) => ({
            actor: e.actor,
            action: `security.${e.event}`,
            entityType: 'security',
            entityId: e.subject,
            after: { code: e.code ?? null, source: e.source ?? null, ...e.details },
            reason: e.reason,
          })),
          at,
        );
        if (alert) {
          const due = this.outbox?.clock.now() ?? at;
          await enqueueEvents(trx, [{ type: 'security_alert', ...alert }], due);
        }
      });
      if (alert) this.outbox?.kick?.();
    } catch (err) {
      this.counter.inc({ event: 'record_failed' });
      this.log?.error(
        { events: entries.map((e) => e.event), err: errorMessage(err) },
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
