import type { GatewayPayload, GatewayTopicName } from '@coldtrace/shared';

/**
 * How far a record's event time may lie from the time the cloud receives it (docs/architecture.md
 * "Broker and ingest"). Later than receipt + `maxFutureSkewMs` is a clock fault at the edge (a reading in
 * 2199 would sort after everything the site will ever record, and a status from the future would freeze
 * the gateway's status); earlier than receipt − `maxEventAgeMs` is older than any backlog a gateway keeps.
 */
export interface EventTimeLimits {
  maxFutureSkewMs: number;
  maxEventAgeMs: number;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * 5 minutes covers NTP-synchronised gateways with room to spare; 90 days is far beyond what a gateway's
 * buffer holds through an outage, so a backlog replayed after a long outage is never refused.
 */
export const DEFAULT_EVENT_TIME_LIMITS: EventTimeLimits = {
  maxFutureSkewMs: 5 * 60 * 1000,
  maxEventAgeMs: 90 * DAY_MS,
};

export interface EventTimeViolation {
  code: 'future_timestamp' | 'stale_timestamp';
  reason: string;
}

/**
 * Checks the event times of a decoded message against `receivedAt`; the first violation, or undefined.
 * Readings, movements and alarms are checked both ways, on each record's `ts` (a movement's `lastSeen`
 * too, which is never before its `ts`). A status is checked for the future only: an old status is simply
 * superseded by the stored one.
 */
export function eventTimeViolation<T extends GatewayTopicName>(
  name: T,
  value: GatewayPayload<T>,
  receivedAt: number,
  limits: EventTimeLimits,
): EventTimeViolation | undefined {
  const latestAllowed = receivedAt + limits.maxFutureSkewMs;
  const earliestAllowed = receivedAt - limits.maxEventAgeMs;
  if (name === 'status') {
    const ts = (value as GatewayPayload<'status'>).ts;
    return ts > latestAllowed ? future('status', ts, receivedAt, limits, 1) : undefined;
  }
  const records = (value as GatewayPayload<'readings' | 'movements' | 'alarms'>).records as ReadonlyArray<{
    seq: number;
    ts: number;
    lastSeen?: number;
  }>;
  let late: { seq: number; ts: number } | undefined;
  let early: { seq: number; ts: number } | undefined;
  let lateCount = 0;
  let earlyCount = 0;
  for (const r of records) {
    const last = r.lastSeen ?? r.ts;
    if (last > latestAllowed) {
      lateCount++;
      if (!late || last > late.ts) late = { seq: r.seq, ts: last };
    } else if (r.ts < earliestAllowed) {
      earlyCount++;
      if (!early || r.ts < early.ts) early = { seq: r.seq, ts: r.ts };
    }
  }
  if (late) return future(`${name} seq ${late.seq}`, late.ts, receivedAt, limits, lateCount);
  if (early) {
    return {
      code: 'stale_timestamp',
      reason: `${earlyCount} of ${records.length} record(s) older than the ingest horizon of ${duration(limits.maxEventAgeMs)}: ${name} seq ${early.seq} at ${iso(early.ts)}, received ${iso(receivedAt)}`,
    };
  }
  return undefined;
}

function future(
  what: string,
  ts: number,
  receivedAt: number,
  limits: EventTimeLimits,
  count: number,
): EventTimeViolation {
  return {
    code: 'future_timestamp',
    reason: `${count} record(s) later than receipt + ${duration(limits.maxFutureSkewMs)} of allowed clock skew: ${what} at ${iso(ts)}, received ${iso(receivedAt)}`,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

function duration(ms: number): string {
  if (ms >= DAY_MS && ms % DAY_MS === 0) return `${ms / DAY_MS} d`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms} ms`;
}
