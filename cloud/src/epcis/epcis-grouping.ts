import { ColdtraceError } from '@coldtrace/shared';
import type { EpcisCustodyInterval, EpcisLock, EpcisPass } from './epcis-input.js';

/**
 * Default grouping window of the EPCIS export: records of one door crossing / one custody change that lie
 * within 5 s of the group's first record share one event (a pallet of cases crosses a portal in a few
 * seconds; each tag's pass carries its own millisecond time).
 */
export const DEFAULT_EPCIS_GROUPING_WINDOW_MS = 5_000;

/** Validates a grouping window (milliseconds, finite, ≥ 0). */
export function groupingWindowMs(windowMs: number | undefined): number {
  const w = windowMs ?? DEFAULT_EPCIS_GROUPING_WINDOW_MS;
  if (!Number.isFinite(w) || w < 0) {
    throw new ColdtraceError('invalid', `EPCIS grouping window ${w} ms must be a finite number ≥ 0`);
  }
  return w;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** One door crossing: passes with the same portal, from, to and direction within the window. */
export interface PassGroup {
  portalId: string;
  from: string;
  to: string;
  direction: EpcisPass['direction'];
  /** Time of the group's first pass (the event time). */
  firstTs: number;
  lastTs: number;
  epcs: string[];
}

/**
 * Groups passes into door crossings (EPCIS 2.0 §7.4.2: one ObjectEvent observing a set of objects).
 * Per (portal, from, to, direction), in time order, a pass joins the current group when its time lies in
 * `[first, first + windowMs]` of the group's first pass; otherwise it opens a new group. Window 0 merges
 * only passes of identical time. Deterministic: independent of the input order.
 */
export function groupPasses(passes: readonly EpcisPass[], windowMs: number): PassGroup[] {
  const sorted = [...passes].sort((a, b) => a.ts - b.ts || cmp(a.epc, b.epc));
  const open = new Map<string, PassGroup>();
  const out: PassGroup[] = [];
  for (const p of sorted) {
    const key = JSON.stringify([p.portalId, p.from, p.to, p.direction]);
    const g = open.get(key);
    if (g && p.ts - g.firstTs <= windowMs) {
      g.epcs.push(p.epc);
      g.lastTs = p.ts;
      continue;
    }
    const next: PassGroup = {
      portalId: p.portalId,
      from: p.from,
      to: p.to,
      direction: p.direction,
      firstTs: p.ts,
      lastTs: p.ts,
      epcs: [p.epc],
    };
    open.set(key, next);
    out.push(next);
  }
  return out;
}

/** Custody intervals of one location that began and ended together (within the window). */
export interface CustodyGroup {
  locationId: string;
  /** Union interval `[enteredAt, end)`: earliest entry, latest end (`asOf` for ongoing intervals). */
  enteredAt: number;
  end: number;
  /** Null when the intervals are ongoing (all of them: ongoing and closed intervals never share a group). */
  leftAt: number | null;
  /** Each member's own interval (`end` = `asOf` while ongoing). */
  members: Array<{ epc: string; enteredAt: number; end: number }>;
}

/**
 * Groups custody intervals of the same location whose start and end both lie within `windowMs` of the
 * group's first interval (in start order); ongoing intervals group only with ongoing ones. Empty or
 * negative intervals (end ≤ start, with `asOf` as the end of an ongoing one) are dropped.
 */
export function groupCustody(
  intervals: readonly EpcisCustodyInterval[],
  asOf: number,
  windowMs: number,
): CustodyGroup[] {
  const sorted = intervals
    .filter((c) => (c.leftAt ?? asOf) > c.enteredAt)
    .sort(
      (a, b) =>
        a.enteredAt - b.enteredAt ||
        (a.leftAt ?? Number.POSITIVE_INFINITY) - (b.leftAt ?? Number.POSITIVE_INFINITY) ||
        cmp(a.locationId, b.locationId) ||
        cmp(a.epc, b.epc),
    );
  const open = new Map<string, Array<CustodyGroup & { first: EpcisCustodyInterval }>>();
  const out: CustodyGroup[] = [];
  for (const c of sorted) {
    const candidates = open.get(c.locationId) ?? [];
    // Groups whose first interval started more than the window before this one can take no more members.
    const live = candidates.filter((g) => c.enteredAt - g.first.enteredAt <= windowMs);
    const g = live.find((x) =>
      x.first.leftAt === null
        ? c.leftAt === null
        : c.leftAt !== null && Math.abs(c.leftAt - x.first.leftAt) <= windowMs,
    );
    if (g) {
      g.members.push({ epc: c.epc, enteredAt: c.enteredAt, end: c.leftAt ?? asOf });
      if (c.leftAt !== null && g.leftAt !== null && c.leftAt > g.leftAt) {
        g.leftAt = c.leftAt;
        g.end = c.leftAt;
      }
    } else {
      const next = {
        first: c,
        locationId: c.locationId,
        enteredAt: c.enteredAt,
        end: c.leftAt ?? asOf,
        leftAt: c.leftAt,
        members: [{ epc: c.epc, enteredAt: c.enteredAt, end: c.leftAt ?? asOf }],
      };
      live.push(next);
      out.push(next);
    }
    open.set(c.locationId, live);
  }
  return out.map(({ locationId, enteredAt, end, leftAt, members }) => ({
    locationId,
    enteredAt,
    end,
    leftAt,
    members,
  }));
}

/**
 * Groups locks of the same excursion, lot, location and reason that were set within the window and ended
 * the same way (same outcome and reason, end times within the window; or both still in force) into one
 * lock: one `persistentDisposition.set` and at most one `unset` event (EPCIS 2.0 §7.4.2). Locks without
 * an excursion stay as they are. The merged lock keeps the id and set time of its first member (earliest
 * `lockedAt`, then id) and ends at the earliest end of its members.
 */
export function groupLocks(locks: readonly EpcisLock[], windowMs: number): EpcisLock[] {
  const sorted = locks
    .filter((l) => l.epcs.length > 0)
    .sort((a, b) => a.lockedAt - b.lockedAt || cmp(a.id, b.id));
  const open = new Map<string, Array<{ first: EpcisLock; lock: EpcisLock }>>();
  const out: EpcisLock[] = [];
  for (const l of sorted) {
    const key = l.excursionId
      ? JSON.stringify([
          l.excursionId,
          l.lotId ?? null,
          l.locationId ?? null,
          l.reason ?? null,
          l.end ? [l.end.outcome, l.end.reason ?? null] : null,
        ])
      : null;
    const live = key ? (open.get(key) ?? []).filter((g) => l.lockedAt - g.first.lockedAt <= windowMs) : [];
    const g = live.find((x) =>
      x.first.end && l.end ? Math.abs(l.end.at - x.first.end.at) <= windowMs : !x.first.end && !l.end,
    );
    if (g) {
      g.lock.epcs = [...g.lock.epcs, ...l.epcs];
      if (g.lock.end && l.end && l.end.at < g.lock.end.at) g.lock.end = { ...g.lock.end, at: l.end.at };
      continue;
    }
    const lock: EpcisLock = { ...l, epcs: [...l.epcs], ...(l.end ? { end: { ...l.end } } : {}) };
    out.push(lock);
    if (key) {
      live.push({ first: l, lock });
      open.set(key, live);
    }
  }
  return out;
}
