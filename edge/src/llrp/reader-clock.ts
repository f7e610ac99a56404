import type { TagRead } from '@coldtrace/shared/llrp';

/**
 * What the gateway does with the reader's times (docs/llrp.md "Reader clock"):
 * - `reader`: trusts them (the skew is measured and alarmed, never corrected);
 * - `offset`: corrects them by the measured skew while it is beyond `maxSkewMs`;
 * - `gateway`: times each report at its receive time (the newest read of a report at the moment it
 *   arrived, the others before it by the reader's own differences, so a pass keeps its direction).
 */
export const READER_CLOCK_POLICIES = ['reader', 'offset', 'gateway'] as const;
export type ReaderClockPolicy = (typeof READER_CLOCK_POLICIES)[number];

export interface ReaderClockOptions {
  policy: ReaderClockPolicy;
  /** A skew beyond this raises the alarm (and, with `offset`, is corrected); cleared within half of it. */
  maxSkewMs: number;
  /** The reader's time going back by more than this is a step, and so is the time handed on. */
  stepMs: number;
  /** Samples kept for the skew estimate (gateway ms). */
  windowMs: number;
}

/** What one observation changed; the caller logs, alarms and restarts its tracks accordingly. */
export interface ClockNews {
  /** The reader's clock went back by this many ms from the latest time it had given. */
  steppedBackMs?: number;
  /** The skew alarm was raised (again, on a new step) or cleared. */
  alarm?: 'raised' | 'cleared';
  /**
   * The times handed on went back by more than `stepMs`: tracks built on the earlier times must be
   * finished and started afresh, or a portal would wait for its old times to come round again.
   */
  rebase: boolean;
}

/**
 * Compares the reader's clock with the gateway's and maps the reader's times by the policy. Pure: the
 * receive time is given with each observation.
 *
 * Samples are reader time − receive time: a READER_EVENT_NOTIFICATION's UTCTimestamp (LLRP 1.0.1
 * §16.2.7.6, sent by the reader at that moment) and the newest LastSeenTimestampUTC of an RO_ACCESS_REPORT
 * (§16.2.7.3.4, at most as late as the reader's clock when it sent the report). KEEPALIVE carries no time
 * (§16.1.24). Network and report delays only make a sample smaller, so the estimate is the largest
 * sample of the last `windowMs`: a report held back by the network cannot pass for a slow clock. A reader
 * time earlier than one already given by more than `stepMs` is a step back; the older samples are
 * dropped, so the estimate follows the new clock at once.
 */
export class ReaderClock {
  private samples: { at: number; skew: number }[] = [];
  private latestReaderMs: number | undefined;
  private latestOutMs: number | undefined;
  private beyond = false;
  private alarmed = false;
  /** Steps back seen since start. */
  steps = 0;

  constructor(private readonly o: ReaderClockOptions) {}

  /** Reader − gateway (ms) as estimated now; undefined before the first sample. */
  get skewMs(): number | undefined {
    let max: number | undefined;
    for (const s of this.samples) if (max === undefined || s.skew > max) max = s.skew;
    return max;
  }

  get alarmRaised(): boolean {
    return this.alarmed;
  }

  get policy(): ReaderClockPolicy {
    return this.o.policy;
  }

  /** A READER_EVENT_NOTIFICATION's UTCTimestamp (µs) received at `receivedAt` (gateway ms). */
  event(utcUs: number, receivedAt: number): ClockNews {
    return { ...this.observe(utcUs / 1000, receivedAt), rebase: false };
  }

  /** A report's reads received at `receivedAt`, in the time base of the policy. */
  report(reads: readonly TagRead[], receivedAt: number): { reads: TagRead[]; news: ClockNews } {
    const newest = newestUs(reads);
    if (newest === undefined) return { reads: [...reads], news: { rebase: false } };
    const news: ClockNews = { ...this.observe(newest / 1000, receivedAt), rebase: false };
    const shiftMs = this.shiftMs(newest / 1000, receivedAt);
    const outNewest = newest / 1000 - shiftMs;
    if (this.latestOutMs !== undefined && outNewest < this.latestOutMs - this.o.stepMs) news.rebase = true;
    this.latestOutMs =
      news.rebase || this.latestOutMs === undefined ? outNewest : Math.max(this.latestOutMs, outNewest);
    if (shiftMs === 0) return { reads: [...reads], news };
    const shiftUs = Math.round(shiftMs * 1000);
    const out = reads.map((r) => ({
      ...r,
      firstSeenUs: r.firstSeenUs === null ? null : r.firstSeenUs - shiftUs,
      lastSeenUs: r.lastSeenUs === null ? null : r.lastSeenUs - shiftUs,
    }));
    return { reads: out, news };
  }

  /** How much the policy takes off the reader's times of a report whose newest read is `newestMs`. */
  private shiftMs(newestMs: number, receivedAt: number): number {
    switch (this.o.policy) {
      case 'reader':
        return 0;
      case 'offset':
        return this.beyond ? (this.skewMs ?? 0) : 0;
      case 'gateway':
        return newestMs - receivedAt;
    }
  }

  private observe(readerMs: number, receivedAt: number): Omit<ClockNews, 'rebase'> {
    const news: Omit<ClockNews, 'rebase'> = {};
    const latest = this.latestReaderMs;
    if (latest !== undefined && readerMs < latest - this.o.stepMs) {
      news.steppedBackMs = latest - readerMs;
      this.steps += 1;
      this.samples = [];
      this.latestReaderMs = readerMs;
    } else {
      this.latestReaderMs = latest === undefined ? readerMs : Math.max(latest, readerMs);
    }
    this.samples.push({ at: receivedAt, skew: readerMs - receivedAt });
    const from = receivedAt - this.o.windowMs;
    while (this.samples.length > 1 && this.samples[0]!.at < from) this.samples.shift();
    const skew = Math.abs(this.skewMs ?? 0);
    this.beyond = this.beyond ? skew > this.o.maxSkewMs / 2 : skew > this.o.maxSkewMs;
    const alarm = this.beyond || news.steppedBackMs !== undefined;
    if (alarm && (!this.alarmed || news.steppedBackMs !== undefined)) news.alarm = 'raised';
    else if (!alarm && this.alarmed) news.alarm = 'cleared';
    this.alarmed = alarm;
    return news;
  }
}

/** The newest reader time in a report (µs): LastSeen, else FirstSeen; undefined if no read has one. */
function newestUs(reads: readonly TagRead[]): number | undefined {
  let newest: number | undefined;
  for (const r of reads) {
    const t = r.lastSeenUs ?? r.firstSeenUs;
    if (t !== null && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}
