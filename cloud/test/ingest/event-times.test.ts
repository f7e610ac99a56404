import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_TIME_LIMITS, eventTimeViolation } from '../../src/ingest/event-times.js';
import { movement, readings, readingsBatch } from '../helpers/records.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const limits = DEFAULT_EVENT_TIME_LIMITS;

const batchAt = (...ts: number[]) =>
  readingsBatch(
    'gw-1',
    readings(ts.length).map((r, i) => ({ ...r, ts: ts[i]! })),
  );

describe('eventTimeViolation', () => {
  it('accepts the clock skew and the horizon at their bounds', () => {
    expect(eventTimeViolation('readings', batchAt(NOW + 5 * MIN, NOW - 90 * DAY), NOW, limits)).toBe(
      undefined,
    );
  });

  it('refuses a record later than receipt + skew, naming it and how many', () => {
    const v = eventTimeViolation('readings', batchAt(NOW, NOW + 5 * MIN + 1, NOW + DAY), NOW, limits);
    expect(v?.code).toBe('future_timestamp');
    expect(v?.reason).toMatch(/^2 record\(s\) later than receipt \+ 5 min .*: readings seq 3 at 2026-12-07/);
  });

  it('refuses a record older than the horizon', () => {
    const v = eventTimeViolation('readings', batchAt(NOW - 91 * DAY, NOW), NOW, limits);
    expect(v?.code).toBe('stale_timestamp');
    expect(v?.reason).toMatch(/^1 of 2 record\(s\) older than the ingest horizon of 90 d: readings seq 1/);
  });

  it("checks a movement's lastSeen for the future", () => {
    const m = { ...movement(1, '3074257BF7194E4000001A85'), ts: NOW, firstSeen: NOW, lastSeen: NOW + DAY };
    const batch = { gatewayId: 'gw-1', firstSeq: 1, lastSeq: 1, sentAt: NOW, records: [m] };
    expect(eventTimeViolation('movements', batch, NOW, limits)?.code).toBe('future_timestamp');
    const ok = { ...batch, records: [{ ...m, lastSeen: NOW }] };
    expect(eventTimeViolation('movements', ok, NOW, limits)).toBeUndefined();
  });

  it('checks a status for the future only', () => {
    const status = (ts: number) => ({ gatewayId: 'gw-1', ts }) as never;
    expect(eventTimeViolation('status', status(NOW + DAY), NOW, limits)?.code).toBe('future_timestamp');
    expect(eventTimeViolation('status', status(NOW - 365 * DAY), NOW, limits)).toBeUndefined();
  });
});
