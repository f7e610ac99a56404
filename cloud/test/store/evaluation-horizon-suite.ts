import { type Reading, sgtin96Hex } from '@coldtrace/shared';
import { expect } from 'vitest';
import { horizonOf } from '../../src/domain/evaluation-horizon.js';
import { limitVersionsOf } from '../../src/domain/location-evaluation.js';
import { SPECIFICATION_CORRECTION_MEANING } from '../../src/domain/spec-versions.js';
import { horizonFacts } from '../../src/store/evaluation-horizon-reads.js';
import {
  changeLocationLimits,
  type LocationLimits,
  locationVersions,
} from '../../src/store/location-master.js';
import { createReadingArchive, restoreReadingArchive } from '../../src/store/reading-archives.js';
import { pruneReadingArchive } from '../../src/store/reading-prune.js';
import { specHistory } from '../../src/store/spec-version-repo.js';
import { evaluateAll, type Harness, location, MIN, pass, send, snapshot, T0 } from '../domain/harness.js';
import { readingsBatch } from '../helpers/records.js';
import { countIn } from './reading-archives-suite.js';

const LOC = 'room-h';
const STEP = 15 * MIN;
/** An excursion (12 °C for 2 h) on 25 November: decided before the deletion, its readings kept. */
const EXC = { from: Date.UTC(2026, 10, 25, 10), to: Date.UTC(2026, 10, 25, 12) };
/** A second one on 28 November: between the two, the readings are deleted. */
const EXC2 = { from: Date.UTC(2026, 10, 28, 10), to: Date.UTC(2026, 10, 28, 12) };
/** A unit at the location during the second excursion, and another during the warm spell after the horizon. */
const epc = (serial: number) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });
const [EPC1, EPC2] = [epc(1), epc(2)];
const STAYS = [
  { epc: EPC1, from: Date.UTC(2026, 10, 28, 9), to: Date.UTC(2026, 10, 28, 14) },
  { epc: EPC2, from: Date.UTC(2026, 11, 5, 9), to: Date.UTC(2026, 11, 5, 14) },
];
/** s-2 reports only unknown values from 30 November 12:00 until 1 December 06:00: a decided gap. */
const UNKNOWN = { from: Date.UTC(2026, 10, 30, 12), to: Date.UTC(2026, 11, 1, 6) };
/** s-1 jumps to 7 °C on 27 November (in range): a rate-of-change alarm decided before the deletion. */
const RISE = { from: Date.UTC(2026, 10, 27, 10), to: Date.UTC(2026, 10, 27, 11) };
/** More than 1.5 °C within 30 min raises an alarm. */
export const RISE_PROFILE = { locations: [LOC], maxRiseCPerMin: 0.05, windowMs: 30 * MIN, lock: false };
/** 7 °C on 5 December: in range, out of range under the corrected limits. */
const WARM = { from: Date.UTC(2026, 11, 5, 10), to: Date.UTC(2026, 11, 5, 12) };
/** s-1's reading missing on 7 December: 30 min apart, a gap under the corrected max gap (20 min) only. */
const MISSING = Date.UTC(2026, 11, 7, 2, 15);
const END = Date.UTC(2026, 11, 10);
/** Batches of 48 readings (12 h) from 08:00: the one of 30 November 20:00 crosses the month's edge. */
const DELETED_UNTIL = Date.UTC(2026, 10, 30, 19, 45);
/** s-1 is in range right after, s-2 from the end of its unknown values: the horizon is just after that. */
const HORIZON = UNKNOWN.to + 1;

const signer = { userId: 'u-qa', username: 'qa.anna', printedName: 'Anna Quality', roles: ['qa'] };
const CORRECTED: LocationLimits = {
  min_c: 2,
  max_c: 6.5,
  alarm_delay_ms: 10 * MIN,
  critical_margin_c: 5,
  max_gap_ms: 20 * MIN,
};

/** s-1 (gw-a) and s-2 (gw-b) at room-h every 15 min from 22 November to 10 December, evaluated. */
export async function world(h: Harness): Promise<void> {
  await location(h, LOC);
  const series = (sensorId: string, tempAt: (ts: number) => number | null): Reading[] => {
    const out: Reading[] = [];
    for (let ts = T0; ts < END; ts += STEP) {
      if (sensorId === 's-1' && ts === MISSING) continue;
      const tempC = tempAt(ts);
      const quality = tempC === null ? 'timeout' : 'ok';
      out.push({ seq: out.length + 1, sensorId, locationId: LOC, ts, tempC, quality });
    }
    return out;
  };
  const a = series('s-1', (ts) =>
    (ts >= EXC.from && ts <= EXC.to) || (ts >= EXC2.from && ts <= EXC2.to)
      ? 12
      : (ts >= WARM.from && ts <= WARM.to) || (ts >= RISE.from && ts <= RISE.to)
        ? 7
        : 5,
  );
  const b = series('s-2', (ts) => (ts >= UNKNOWN.from && ts < UNKNOWN.to ? null : 4));
  for (const [gw, rs] of [
    ['gw-a', a],
    ['gw-b', b],
  ] as const)
    for (let i = 0; i < rs.length; i += 48)
      await h.store.ingestReadings(gw, readingsBatch(gw, rs.slice(i, i + 48)), T0 + i);
  await h.store.upsertGateway({ id: 'gw-m', now: T0 });
  let seq = 0;
  for (const st of STAYS) {
    await send(h.ingestors[0]!, pass('gw-m', ++seq, st.epc, 'dock', LOC, st.from));
    await send(h.ingestors[0]!, pass('gw-m', ++seq, st.epc, LOC, 'dock', st.to));
  }
  await evaluateAll(h);
}

const correct = (h: Harness, effectiveFrom: number, now: number, limits: LocationLimits = CORRECTED) =>
  changeLocationLimits(
    h.store.db,
    LOC,
    limits,
    now,
    { signer, reason: 'mapping study', meaning: SPECIFICATION_CORRECTION_MEANING, signedAt: now },
    { kind: 'correction', effectiveFrom, dataNow: now },
  );

const horizonAt = async (h: Harness) => {
  const l = (await h.store.getLocation(LOC))!;
  const facts = await horizonFacts(
    h.store.db,
    LOC,
    limitVersionsOf(l, await locationVersions(h.store.db, l)),
  );
  const versions = (await specHistory(h.store.db, 'location', LOC)).length;
  return { facts, at: facts ? horizonOf(facts) : undefined, versions };
};

/**
 * docs/domain.md "Evaluation horizon", on either store: `h` has its November archived and pruned, `ref`
 * keeps everything. Late data inside the horizon changes nothing decided; a correction effective before
 * the horizon is refused naming it and the archive; one from the horizon is accepted, and both stores then
 * hold the same results (the pruned one exactly what the unpruned one derives); restore lifts the horizon.
 */
export async function horizonRoundTrip(h: Harness, ref: Harness, dir: string): Promise<void> {
  await world(h);
  await world(ref);
  const decided = await snapshot(h);
  expect(decided).toEqual(await snapshot(ref));
  expect(decided.excursions.map((e) => e.start_ts)).toEqual([EXC.from, EXC2.from]);
  expect(decided.locks.map((l) => [l.epc, l.excursion])).toEqual([[EPC1, `${LOC}@${EXC2.from}`]]);
  const unknownGap = { sensor_id: 's-2', from_ts: UNKNOWN.from - STEP, to_ts: UNKNOWN.to };
  expect(decided.gaps).toContainEqual(expect.objectContaining(unknownGap));
  const rises = (x: typeof decided) => x.ruleAlarms.map((a) => a.from_ts);
  expect(rises(decided)).toEqual([EXC.from - STEP, RISE.from - STEP, EXC2.from - STEP, WARM.from - STEP]);

  expect((await horizonAt(h)).facts).toBeUndefined();
  const a = await createReadingArchive(h.store.db, { period: '2026-11', dir, actor: 'cli:qa', now: T0 });
  const pruned = await pruneReadingArchive(h.store.db, a, { actor: 'cli:qa', now: T0 + 1 });
  expect(pruned.batches).toBeGreaterThan(0);
  const { facts, at } = await horizonAt(h);
  expect(facts).toMatchObject({ deletedUntil: DELETED_UNTIL, archives: [a.id] });
  expect(Object.fromEntries(facts!.anchors)).toEqual({ 's-1': DELETED_UNTIL + STEP, 's-2': UNKNOWN.to });
  expect(at).toBe(HORIZON);
  // The rise's readings are gone (its alarm must stay as decided).
  expect(await countIn(h.store, RISE.from - STEP, RISE.to + STEP)).toBe(0);

  // A late unknown value of s-2 between the deleted stretch and its anchor: evaluated from the anchor, it
  // changes nothing decided (reaching back to s-2's stored in-range reading of 25 November would replace
  // the decided gap by one over the deleted stretch).
  const late = { seq: 10_000, sensorId: 's-2', locationId: LOC, ts: UNKNOWN.to - 7 * MIN, tempC: null };
  for (const x of [h, ref]) {
    await x.store.ingestReadings('gw-b', readingsBatch('gw-b', [{ ...late, quality: 'timeout' }]), T0 + 5);
    await evaluateAll(x);
  }
  expect(await snapshot(h)).toEqual(decided);
  expect(await snapshot(ref)).toEqual(decided);
  // A start re-evaluates the whole history of a location a lock rule watches: nothing before the horizon
  // is read again.
  for (const x of [h, ref]) {
    expect(x.engine.markRuleLocations()).toBe(1);
    await evaluateAll(x);
  }
  expect(await snapshot(h)).toEqual(decided);
  expect(await snapshot(ref)).toEqual(decided);

  // Before the horizon: refused whole, naming the horizon and the archive; nothing written.
  const now = Date.UTC(2026, 11, 9);
  for (const from of [Number.NEGATIVE_INFINITY, Date.UTC(2026, 10, 28), HORIZON - 1]) {
    const refused = correct(h, from, now);
    await expect(refused).rejects.toMatchObject({
      code: 'history_deleted',
      details: { horizon: HORIZON, deletedUntil: DELETED_UNTIL, archives: [a.id] },
    });
    await expect(refused).rejects.toThrow(new Date(HORIZON).toISOString());
    await expect(refused).rejects.toThrow(a.id);
  }
  expect((await horizonAt(h)).versions).toBe(1);

  // From the horizon: accepted, and re-evaluated exactly as the store that deleted nothing does.
  expect(await correct(h, HORIZON, now)).toBeDefined();
  expect(await correct(ref, HORIZON, now)).toBeDefined();
  await evaluateAll(h);
  await evaluateAll(ref);
  const corrected = await snapshot(h);
  expect(corrected).toEqual(await snapshot(ref));
  // The correction did change results after the horizon (a new excursion and a new gap)...
  expect(corrected.excursions.map((e) => e.start_ts)).toEqual([EXC.from, EXC2.from, WARM.from]);
  expect(corrected.locks.map((l) => [l.epc, l.excursion])).toEqual([
    [EPC1, `${LOC}@${EXC2.from}`],
    [EPC2, `${LOC}@${WARM.from}`],
  ]);
  expect(rises(corrected)).toEqual(rises(decided));
  expect(corrected.gaps).toContainEqual(
    expect.objectContaining({ sensor_id: 's-1', from_ts: MISSING - STEP, to_ts: MISSING + STEP }),
  );
  // ...and none before it.
  const before = (s: typeof decided) => ({
    excursions: s.excursions.filter((e) => e.start_ts < HORIZON),
    gaps: s.gaps.filter((g) => g.from_ts < HORIZON),
  });
  expect(before(corrected)).toEqual(before(decided));

  // Restoring the archive lifts the horizon: a correction from before it is accepted.
  await restoreReadingArchive(h.store.db, a, { actor: 'cli:qa', now: now + 1 });
  expect((await horizonAt(h)).facts).toBeUndefined();
  expect(await correct(h, Date.UTC(2026, 10, 28), now + 2)).toBeDefined();
}

/**
 * Any correction from the horizon on (its time and limits drawn by the caller) gives on the pruned store
 * what it gives on `ref`, which deleted nothing.
 */
export async function correctionAsReference(
  h: Harness,
  ref: Harness,
  dir: string,
  effectiveFrom: number,
  limits: LocationLimits,
): Promise<void> {
  await world(h);
  await world(ref);
  const a = await createReadingArchive(h.store.db, { period: '2026-11', dir, actor: 'cli:qa', now: T0 });
  await pruneReadingArchive(h.store.db, a, { actor: 'cli:qa', now: T0 + 1 });
  expect((await horizonAt(h)).at).toBe(HORIZON);
  const now = Date.UTC(2026, 11, 9);
  for (const x of [h, ref]) {
    await correct(x, HORIZON + effectiveFrom, now, limits);
    await evaluateAll(x);
  }
  expect(await snapshot(h)).toEqual(await snapshot(ref));
}
