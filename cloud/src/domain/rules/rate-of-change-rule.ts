import { z } from 'zod';
import type { LockRule, RecomputeCause, RuleAlarm, RuleChange, RuleRepo, Stay } from '../locks/lock-rule.js';
import { type DesiredLock, type LockWording, reconcileLocks } from '../locks/reconcile-locks.js';

/**
 * A location's rate-of-change profile (docs/architecture.md "Lock rules"): its temperature rising by more
 * than `maxRiseCPerMin` × the window's minutes within any `windowMs` (a door left open, a compressor
 * failing) raises an alarm before any limit is crossed, and with `lock` locks the units there during the
 * rise, pending QA.
 */
export const rateOfChangeProfileSchema = z
  .object({
    locations: z.array(z.string().min(1).max(200)).min(1, 'name at least one location'),
    maxRiseCPerMin: z
      .number()
      .positive('maxRiseCPerMin must be > 0 °C per minute')
      .max(10, 'maxRiseCPerMin must be at most 10 °C per minute'),
    windowMs: z
      .number()
      .int('windowMs must be whole milliseconds')
      .min(60_000, 'windowMs must be at least 1 minute')
      .max(86_400_000, 'windowMs must be at most 24 hours'),
    lock: z.boolean().default(false),
  })
  .strict();
export type RateOfChangeProfile = z.infer<typeof rateOfChangeProfileSchema>;

export const rateOfChangeConfigSchema = z
  .array(rateOfChangeProfileSchema)
  .max(100)
  .superRefine((profiles, ctx) => {
    const seen = new Set<string>();
    profiles.forEach((p, i) => {
      for (const l of p.locations) {
        if (seen.has(l))
          ctx.addIssue({
            code: 'custom',
            path: [i, 'locations'],
            message: `location ${l} has two rate-of-change profiles`,
          });
        seen.add(l);
      }
    });
  });

export const RATE_OF_CHANGE = 'rate_of_change' as const;

type Reading = { sensorId: string; ts: number; tempC: number | null };

/** One instant of one sensor: the lowest and highest value stored for it (duplicates in any order). */
interface Instant {
  ts: number;
  lo: number;
  hi: number;
}

function instantsOf(readings: readonly Reading[]): Map<string, Instant[]> {
  const by = new Map<string, Map<number, Instant>>();
  for (const r of readings) {
    if (r.tempC === null) continue;
    const m = by.get(r.sensorId) ?? new Map<number, Instant>();
    const i = m.get(r.ts);
    if (!i) m.set(r.ts, { ts: r.ts, lo: r.tempC, hi: r.tempC });
    else {
      i.lo = Math.min(i.lo, r.tempC);
      i.hi = Math.max(i.hi, r.tempC);
    }
    by.set(r.sensorId, m);
  }
  return new Map([...by].map(([s, m]) => [s, [...m.values()].sort((a, b) => a.ts - b.ts)]));
}

/**
 * The spans of one sensor's series where it rose faster than the profile allows: at each reading, its value
 * minus the lowest value of the readings before it within the window; above `maxRiseCPerMin` × window
 * minutes, the span from that lowest reading to this one rises too fast. Overlapping spans join. A sliding
 * minimum (monotonic deque) keeps it linear in the readings.
 */
export function riseSpans(
  instants: readonly Instant[],
  p: Pick<RateOfChangeProfile, 'maxRiseCPerMin' | 'windowMs'>,
): Array<{ from: number; to: number; riseC: number }> {
  const limit = (p.maxRiseCPerMin * p.windowMs) / 60_000;
  const out: Array<{ from: number; to: number; riseC: number }> = [];
  const deque: Instant[] = [];
  let start = 0;
  for (let k = 0; k < instants.length; k++) {
    const b = instants[k]!;
    while (start < k && instants[start]!.ts < b.ts - p.windowMs) {
      if (deque[0] === instants[start]) deque.shift();
      start++;
    }
    const low = deque[0];
    if (low && b.hi - low.lo > limit) {
      const rise = b.hi - low.lo;
      const last = out.at(-1);
      if (last && low.ts <= last.to) {
        last.to = b.ts;
        last.riseC = Math.max(last.riseC, rise);
      } else out.push({ from: low.ts, to: b.ts, riseC: rise });
    }
    while (deque.length > 0 && deque.at(-1)!.lo >= b.lo) deque.pop();
    deque.push(b);
  }
  return out;
}

const iso = (ts: number) => new Date(ts).toISOString();
const round = (n: number) => Math.round(n * 100) / 100;

/** The alarms of one location: its sensors' rise spans joined where they overlap. */
export function riseAlarms(
  locationId: string,
  readings: readonly Reading[],
  p: RateOfChangeProfile,
): RuleAlarm[] {
  const spans = [...instantsOf(readings)].flatMap(([sensorId, instants]) =>
    riseSpans(instants, p).map((s) => ({ ...s, sensorId })),
  );
  spans.sort((a, b) => a.from - b.from || a.to - b.to);
  const joined: Array<{ from: number; to: number; riseC: number; sensors: Set<string> }> = [];
  for (const s of spans) {
    const last = joined.at(-1);
    if (last && s.from <= last.to) {
      last.to = Math.max(last.to, s.to);
      last.riseC = Math.max(last.riseC, s.riseC);
      last.sensors.add(s.sensorId);
    } else joined.push({ from: s.from, to: s.to, riseC: s.riseC, sensors: new Set([s.sensorId]) });
  }
  return joined.map((j) => ({
    id: `${locationId}@${iso(j.from)}`,
    rule: RATE_OF_CHANGE,
    locationId,
    fromTs: j.from,
    toTs: j.to,
    detail: {
      peakRiseC: round(j.riseC),
      sensors: [...j.sensors].sort(),
      maxRiseCPerMin: p.maxRiseCPerMin,
      windowMs: p.windowMs,
    },
  }));
}

/**
 * A location's alarms when some of its readings were deleted (docs/domain.md "Evaluation horizon"): those
 * starting up to `decidedUntil` (the deleted stretch and one window after it, whose rises would read
 * deleted readings) stay as stored; after it, what the readings give.
 */
export function pastHorizon(
  found: readonly RuleAlarm[],
  stored: readonly RuleAlarm[],
  decidedUntil: number,
): RuleAlarm[] {
  return [...stored.filter((a) => a.fromTs <= decidedUntil), ...found.filter((a) => a.fromTs > decidedUntil)];
}

const sameAlarm = (a: RuleAlarm, b: RuleAlarm) =>
  a.fromTs === b.fromTs && a.toTs === b.toTs && JSON.stringify(a.detail) === JSON.stringify(b.detail);

/** Units at the alarm's location during it: each locked from the later of its arrival and the rise's start. */
function exposed(alarm: RuleAlarm, stays: readonly Stay[]): DesiredLock[] {
  const out = new Map<string, DesiredLock>();
  for (const s of stays) {
    if (s.locationId !== alarm.locationId) continue;
    if (s.enteredAt > alarm.toTs || (s.leftAt !== null && s.leftAt <= alarm.fromTs)) continue;
    const from = Math.max(s.enteredAt, alarm.fromTs);
    const to = s.leftAt === null ? alarm.toTs : Math.min(s.leftAt, alarm.toTs);
    const cur = out.get(s.epc);
    out.set(s.epc, {
      epc: s.epc,
      key: alarm.id,
      locationId: alarm.locationId,
      from: cur ? Math.min(cur.from, from) : from,
      to: cur ? Math.max(cur.to!, to) : to,
    });
  }
  return [...out.values()];
}

/**
 * The rate-of-change rule as a `LockRule`: recomputes a location's alarms from all its readings when
 * readings arrive there (so late data gives the result of data in order), and the locks of units whose
 * custody changed from the stored alarms.
 */
export class RateOfChangeRule implements LockRule {
  readonly cause = RATE_OF_CHANGE;
  private readonly profiles = new Map<string, RateOfChangeProfile>();

  constructor(profiles: readonly RateOfChangeProfile[]) {
    for (const p of profiles) for (const l of p.locations) this.profiles.set(l, p);
  }

  watches(locationId: string): boolean {
    return this.profiles.has(locationId);
  }

  locations(): readonly string[] {
    return [...this.profiles.keys()];
  }

  async apply(repo: RuleRepo, change: RuleChange): Promise<void> {
    if (change.kind === 'readings') await this.readingsAt(repo, change.locationId, change.cause);
    else if (change.kind === 'custody') await this.custodyOf(repo, change.epcs);
  }

  private async readingsAt(
    repo: RuleRepo,
    locationId: string,
    cause: RecomputeCause | undefined,
  ): Promise<void> {
    const p = this.profiles.get(locationId);
    const stored = await repo.alarms(RATE_OF_CHANGE, { locationId });
    if (!p && stored.length === 0) {
      const locks = await repo.locks(RATE_OF_CHANGE, { locationId });
      if (locks.length === 0) return;
    }
    const until = p ? await repo.deletedUntil?.(locationId) : undefined;
    const found = p ? riseAlarms(locationId, await repo.readings(locationId), p) : [];
    const computed = until === undefined ? found : pastHorizon(found, stored, until + p!.windowMs);
    const before = new Map(stored.map((a) => [a.id, a]));
    const put = computed.filter((a) => !before.has(a.id) || !sameAlarm(before.get(a.id)!, a));
    const remove = stored.filter((a) => !computed.some((c) => c.id === a.id)).map((a) => a.id);
    const why = cause?.text ?? 'readings received';
    repo.audit([
      ...put.map((a) => ({
        actor: 'system',
        action: before.has(a.id) ? 'rule_alarm.changed' : 'rule_alarm.raised',
        entityType: 'rule_alarm',
        entityId: a.id,
        before: before.has(a.id) ? alarmFacts(before.get(a.id)!) : undefined,
        after: alarmFacts(a),
        reason: `${why}: temperature at ${locationId} rose ${a.detail.peakRiseC} °C within ${p!.windowMs / 60_000} min (${iso(a.fromTs)} – ${iso(a.toTs)}; more than ${p!.maxRiseCPerMin} °C/min)`,
      })),
      ...remove.map((id) => ({
        actor: 'system',
        action: 'rule_alarm.withdrawn',
        entityType: 'rule_alarm',
        entityId: id,
        before: alarmFacts(before.get(id)!),
        reason: `${why}: recomputation no longer finds this rise`,
      })),
    ]);
    if (put.length > 0 || remove.length > 0) await repo.writeAlarms({ put, remove });
    const earliest = Math.min(...computed.map((a) => a.fromTs));
    const latest = Math.max(...computed.map((a) => a.toTs));
    const stays = p?.lock && computed.length > 0 ? await repo.staysAt(locationId, earliest, latest) : [];
    const desired = p?.lock ? computed.flatMap((a) => exposed(a, stays)) : [];
    const existing = await repo.locks(RATE_OF_CHANGE, { locationId });
    const alarms = new Map(computed.map((a) => [a.id, a]));
    const plan = reconcileLocks(existing, desired, this.wording(alarms, cause));
    await repo.applyLockPlan(RATE_OF_CHANGE, plan);
  }

  private async custodyOf(repo: RuleRepo, epcs: readonly string[]): Promise<void> {
    const existing = await repo.locks(RATE_OF_CHANGE, { epcs });
    const stays = (await repo.staysOf(epcs)).filter((s) => this.profiles.get(s.locationId)?.lock);
    if (existing.length === 0 && stays.length === 0) return;
    const alarms = new Map<string, RuleAlarm>();
    for (const locationId of new Set(stays.map((s) => s.locationId)))
      for (const a of await repo.alarms(RATE_OF_CHANGE, { locationId })) alarms.set(a.id, a);
    const desired = [...alarms.values()].flatMap((a) => exposed(a, stays));
    const plan = reconcileLocks(existing, desired, this.wording(alarms, undefined));
    await repo.applyLockPlan(RATE_OF_CHANGE, plan);
  }

  private wording(
    alarms: ReadonlyMap<string, RuleAlarm>,
    cause: RecomputeCause | undefined,
  ): LockWording<DesiredLock> {
    const reason = (d: DesiredLock) => {
      const a = alarms.get(d.key)!;
      return `at ${d.locationId} while its temperature rose ${a.detail.peakRiseC} °C within ${Number(a.detail.windowMs) / 60_000} min (${iso(a.fromTs)} – ${iso(a.toTs)})`;
    };
    return {
      cause: RATE_OF_CHANGE,
      reason,
      audited: (text) => (cause ? `${cause.text}: ${text}` : text),
      created: (d) => ({
        epc: d.epc,
        alarmId: d.key,
        cause: RATE_OF_CHANGE,
        state: 'active',
        from: d.from,
        to: d.to,
      }),
      reinstated: (d) => ({ alarmId: d.key, state: 'active', from: d.from, to: d.to }),
      windowChange: (row, d) =>
        row.exposed_from === d.from && row.exposed_to === d.to
          ? null
          : {
              set: { exposed_from: d.from, exposed_to: d.to },
              before: { state: row.state, from: row.exposed_from, to: row.exposed_to },
              after: { state: row.state, from: d.from, to: d.to },
              reason: `late data: ${reason(d)}`,
            },
      removal: (row) => {
        // A profile removed or no longer locking is a specification change: it never lifts a lock.
        const p = this.profiles.get(row.location_id);
        if (!p?.lock || cause?.masterData)
          return {
            kind: 'hold',
            why: `${cause?.text ?? `rate-of-change profile of ${row.location_id} changed`}: ${row.epc} is no longer locked by rate alarm ${row.key}`,
          };
        return {
          kind: 'lift',
          reason: alarms.has(row.key)
            ? `late data shows ${row.epc} was not at ${row.location_id} during rate alarm ${row.key}`
            : `late data withdrew rate alarm ${row.key}`,
          before: { state: 'active', from: row.exposed_from, to: row.exposed_to },
          after: { state: 'lifted' },
        };
      },
      eventExtra: () => ({ cause: RATE_OF_CHANGE }),
    };
  }
}

function alarmFacts(a: RuleAlarm): Record<string, unknown> {
  return { location: a.locationId, from: a.fromTs, to: a.toTs, ...a.detail };
}
