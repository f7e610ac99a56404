import {
  decodeBody,
  decodeRoAccessReport,
  encodeMessage,
  encodeRoAccessReport,
  LLRP_HEADER_BYTES,
  MessageType,
  ParamType,
  param,
  readerEventNotification,
  readerEventsOf,
  type TagRead,
} from '@coldtrace/shared/llrp';
import { describe, expect, it } from 'vitest';
import { ReaderClock, type ReaderClockOptions } from '../../src/llrp/reader-clock.js';

const T0 = 1_767_225_600_000;
const HOUR = 3_600_000;
const opts = (o: Partial<ReaderClockOptions> = {}): ReaderClockOptions => ({
  policy: 'offset',
  maxSkewMs: 2_000,
  stepMs: 2_000,
  windowMs: 60_000,
  ...o,
});

/** An RO_ACCESS_REPORT as the reader puts it on the wire, decoded back as the connector does. */
function report(...lastSeenMs: number[]): TagRead[] {
  const reads = lastSeenMs.map((ms, i) => ({
    epc: `30340000000000000000000${i}`,
    antennaId: 1,
    peakRssi: -50,
    firstSeenUs: (ms - 30) * 1000,
    lastSeenUs: ms * 1000,
    seenCount: 2,
    rospecId: 1,
    channelIndex: null,
  }));
  return decodeRoAccessReport(encodeRoAccessReport(9, reads));
}

/** The UTCTimestamp of a READER_EVENT_NOTIFICATION on the wire (µs), decoded as the connector does. */
function eventUtcUs(readerMs: number): number {
  const bytes = encodeMessage(
    readerEventNotification(3, readerMs * 1000, param(ParamType.ConnectionAttemptEvent, { Status: 0 })),
  );
  const msg = decodeBody(MessageType.READER_EVENT_NOTIFICATION, 3, bytes.subarray(LLRP_HEADER_BYTES));
  return readerEventsOf(msg).utcUs!;
}

const lastSeen = (reads: TagRead[]) => reads.map((r) => r.lastSeenUs! / 1000);

describe('reader clock against the gateway clock (pure)', () => {
  it('measures the skew from event timestamps and reports; a late report does not pass for a slow clock', () => {
    const c = new ReaderClock(opts({ policy: 'reader' }));
    expect(c.skewMs).toBeUndefined();
    c.event(eventUtcUs(T0 + 150), T0); // connection event: reader 150 ms ahead
    expect(c.skewMs).toBe(150);
    // A report held back 20 s by the network: its newest read is 20 s old on arrival.
    c.report(report(T0 + 1_000), T0 + 20_000);
    expect(c.skewMs).toBe(150);
    // Once the event is out of the window, the freshest report sample counts.
    c.report(report(T0 + 70_000 + 140), T0 + 70_000);
    expect(c.skewMs).toBe(140);
  });

  it("policy 'reader' keeps the reader's times and alarms beyond maxSkewMs, clearing within half of it", () => {
    const c = new ReaderClock(opts({ policy: 'reader' }));
    const r1 = c.report(report(T0 - HOUR, T0 - HOUR - 500), T0);
    expect(lastSeen(r1.reads)).toEqual([T0 - HOUR, T0 - HOUR - 500]);
    expect(r1.news).toEqual({ alarm: 'raised', rebase: false });
    expect(c.alarmRaised).toBe(true);
    // The reader's time is fixed: it jumps forward, within limits again.
    const r2 = c.report(report(T0 + 61_000 + 1_500), T0 + 61_000);
    expect(r2.news).toEqual({ rebase: false }); // 1.5 s: within 2 s but not within 1 s, still raised
    const r3 = c.report(report(T0 + 122_000 + 900), T0 + 122_000);
    expect(r3.news).toEqual({ alarm: 'cleared', rebase: false });
  });

  it("policy 'offset' corrects by the measured skew only while beyond maxSkewMs", () => {
    const c = new ReaderClock(opts({ policy: 'offset' }));
    const small = c.report(report(T0 + 300), T0);
    expect(lastSeen(small.reads)).toEqual([T0 + 300]); // within limits: the reader's time is kept
    const far = new ReaderClock(opts({ policy: 'offset' }));
    far.event(eventUtcUs(T0 - HOUR), T0);
    const r = far.report(report(T0 - HOUR + 1_000, T0 - HOUR + 400), T0 + 1_050);
    // Corrected by the event's exact sample (the report's is 50 ms smaller: delay), spacing kept.
    expect(lastSeen(r.reads)).toEqual([T0 + 1_000, T0 + 400]);
    expect(r.reads[0]!.firstSeenUs).toBe((T0 + 1_000 - 30) * 1000);
  });

  it("policy 'gateway' times each report at its arrival, keeping the reader's spacing inside it", () => {
    const c = new ReaderClock(opts({ policy: 'gateway' }));
    const r = c.report(report(T0 - 5 * HOUR + 200, T0 - 5 * HOUR), T0 + 7);
    expect(lastSeen(r.reads)).toEqual([T0 + 7, T0 + 7 - 200]);
    expect(r.news.alarm).toBe('raised'); // the reader's clock is still measured and alarmed
  });

  it('a backwards step is reported and alarmed whatever the policy; tracks restart unless the policy absorbs it', () => {
    const expected = { reader: true, offset: false, gateway: false };
    for (const policy of ['reader', 'offset', 'gateway'] as const) {
      const c = new ReaderClock(opts({ policy }));
      c.report(report(T0), T0);
      c.report(report(T0 + 1_000), T0 + 1_000);
      expect(c.alarmRaised, policy).toBe(false);
      // The reader's clock goes back an hour between two reports a second apart.
      const r = c.report(report(T0 + 2_000 - HOUR), T0 + 2_000);
      expect(r.news, policy).toEqual({
        steppedBackMs: HOUR - 1_000,
        alarm: 'raised',
        rebase: expected[policy],
      });
      expect(c.steps).toBe(1);
      expect(c.skewMs).toBe(-HOUR); // the samples from before the step are dropped
      const out = lastSeen(r.reads)[0]!;
      expect(out, policy).toBe(policy === 'reader' ? T0 + 2_000 - HOUR : T0 + 2_000);
      // The next report continues on the new clock: no new step, the alarm stays up (1 h behind).
      const next = c.report(report(T0 + 3_000 - HOUR), T0 + 3_000);
      expect(next.news, policy).toEqual({ rebase: false });
    }
  });

  it('a step back smaller than stepMs is neither a step nor a rebase; a later report resumes', () => {
    const c = new ReaderClock(opts({ policy: 'reader', stepMs: 2_000 }));
    c.report(report(T0 + 5_000), T0 + 5_000);
    const r = c.report(report(T0 + 3_500), T0 + 5_100); // held reads 1.5 s older: not a step
    expect(r.news).toEqual({ rebase: false });
    expect(c.steps).toBe(0);
  });

  it('a jump the correction follows raises no rebase; the correction switching on can', () => {
    const c = new ReaderClock(opts({ policy: 'offset' }));
    c.report(report(T0), T0);
    // The reader jumps 5 s ahead: the correction takes its times back to the gateway's.
    const r = c.report(report(T0 + 1_000 + 5_000), T0 + 1_000);
    expect(r.news).toEqual({ alarm: 'raised', rebase: false });
    expect(lastSeen(r.reads)).toEqual([T0 + 1_000]);
    // A reader drifting past the limit: its kept times (1.9 s ahead) are followed by corrected ones.
    const d = new ReaderClock(opts({ policy: 'offset', stepMs: 500 }));
    expect(lastSeen(d.report(report(T0 + 1_900), T0).reads)).toEqual([T0 + 1_900]);
    const on = d.report(report(T0 + 1_000 + 2_100), T0 + 1_000);
    expect(lastSeen(on.reads)).toEqual([T0 + 1_000]); // 900 ms before the last time handed on
    expect(on.news).toEqual({ alarm: 'raised', rebase: true });
  });

  it('a report without timestamps is passed through and measures nothing', () => {
    const c = new ReaderClock(opts({ policy: 'gateway' }));
    const reads = report(T0).map((r) => ({ ...r, firstSeenUs: null, lastSeenUs: null }));
    expect(c.report(reads, T0)).toEqual({ reads, news: { rebase: false } });
    expect(c.skewMs).toBeUndefined();
  });
});
