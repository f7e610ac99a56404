import { type Reading, sgtin96Hex } from '@coldtrace/shared';
import { expect } from 'vitest';
import { verifyExtras } from '../../src/cli/audit-checkpoint-cli.js';
import { deepVerify } from '../../src/domain/deep-verify.js';
import { SPECIFICATION_CHANGE_MEANING } from '../../src/domain/e-signature.js';
import { SPECIFICATION_CORRECTION_MEANING } from '../../src/domain/spec-versions.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { readDeepVerifyData } from '../../src/store/deep-verify-reads.js';
import { changeLocationLimits } from '../../src/store/location-master.js';
import {
  createReadingArchive,
  restoreReadingArchive,
  verifyReadingArchive,
} from '../../src/store/reading-archives.js';
import { verifyReadingDigests } from '../../src/store/reading-digest-reads.js';
import { pruneReadingArchive } from '../../src/store/reading-prune.js';
import { evaluateAll, type Harness, location, MIN, pass, send, snapshot, T0 } from '../domain/harness.js';
import { readingsBatch } from '../helpers/records.js';
import {
  backfillLocationSensors,
  recomputedLocationSensors,
  storedLocationSensors,
} from './location-sensors-suite.js';
import { countIn } from './reading-archives-suite.js';

const LOC = 'room-a';
const DEC = Date.UTC(2026, 11, 1);
const STEP = 15 * MIN;
const EPC = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 7 });
/** An excursion (12 °C for 2 h) on 25 November: its readings ± the chart margin (30 min) must stay. */
const EXC = { from: Date.UTC(2026, 10, 25, 10), to: Date.UTC(2026, 10, 25, 12) };
/** Goods at the location on 27–28 November. */
const STAY = { from: Date.UTC(2026, 10, 27, 10), to: Date.UTC(2026, 10, 28, 10) };
/** A silence of 2 h (max gap 30 min) on 29 November: a monitoring gap decided before the deletion. */
const SILENCE = { from: Date.UTC(2026, 10, 29, 2), to: Date.UTC(2026, 10, 29, 4) };
const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/**
 * gw-a: sensor s-1 at room-a every 15 min from 22 November to 12 December, in batches of 12 h (one across
 * the month's edge); gw-b: sensor s-2 at room-a in range until 24 November, then only unknown values on
 * 5 December (its last in-range reading must stay: a monitoring gap runs from it); gw-u: a
 * location without master data. Evaluated (an excursion, a monitoring gap, custody of one unit).
 */
async function world(h: Harness): Promise<void> {
  await location(h, LOC);
  const a: Reading[] = [];
  let seq = 0;
  for (let ts = T0; ts < Date.UTC(2026, 11, 12); ts += STEP) {
    if (ts > SILENCE.from && ts < SILENCE.to) continue;
    const tempC = ts >= EXC.from && ts <= EXC.to ? 12 : 5;
    a.push({ seq: ++seq, sensorId: 's-1', locationId: LOC, ts, tempC, quality: 'ok' });
  }
  for (let i = 0; i < a.length; i += 48)
    await h.store.ingestReadings('gw-a', readingsBatch('gw-a', a.slice(i, i + 48)), T0 + i);
  const b: Reading[] = a
    .filter((r) => r.ts < Date.UTC(2026, 10, 24))
    .map((r) => ({ ...r, sensorId: 's-2', tempC: 4 }));
  for (let i = 0; i < b.length; i += 48)
    await h.store.ingestReadings('gw-b', readingsBatch('gw-b', b.slice(i, i + 48)), T0 + i);
  const unknown: Reading[] = [];
  for (let ts = Date.UTC(2026, 11, 5); ts < Date.UTC(2026, 11, 6); ts += STEP) {
    const r = { seq: b.length + unknown.length + 1, sensorId: 's-2', locationId: LOC, ts };
    unknown.push({ ...r, tempC: null, quality: 'timeout' });
  }
  await h.store.ingestReadings('gw-b', readingsBatch('gw-b', unknown), T0);
  const u = a.slice(0, 96).map((r) => ({ ...r, sensorId: 's-9', locationId: 'room-x' }));
  await h.store.ingestReadings('gw-u', readingsBatch('gw-u', u), T0);
  await h.store.upsertGateway({ id: 'gw-m', now: T0 });
  await send(h.ingestors[0]!, pass('gw-m', 1, EPC, 'dock', LOC, STAY.from));
  await send(h.ingestors[0]!, pass('gw-m', 2, EPC, LOC, 'dock', STAY.to));
  await evaluateAll(h);
}

const stored = (h: Harness, from: number, to: number) => countIn(h.store, from, to);

const signer = { userId: 'u-qa', username: 'qa.anna', printedName: 'Anna Quality', roles: ['qa'] };

/**
 * docs/operations.md "Deleting archived readings", on either store: an archived month pruned by whole
 * batches (never those of excursions with their chart margin, custody, unknown locations, sensors without a
 * later reading, batches across the month's edge), recorded and audited; `audit verify --readings` and
 * `--deep` pass and name the archive; an ordinary limit change afterwards changes no decided result; a
 * retroactive correction is refused; tampering is found; restore brings everything back and clears the
 * records.
 */
export async function pruneRoundTrip(h: Harness, dir: string): Promise<void> {
  await world(h);
  const before = await snapshot(h);
  expect(before.excursions).toHaveLength(1);
  expect(before.gaps.length).toBeGreaterThan(0);
  expect(before.custody).toContainEqual({
    epc: EPC,
    location_id: LOC,
    entered_at: STAY.from,
    left_at: STAY.to,
  });
  const nov = await stored(h, Date.UTC(2026, 10, 1), DEC);
  const excursionWindow = [EXC.from - 30 * MIN, EXC.to + 30 * MIN + 1] as const;
  const atExcursion = await stored(h, ...excursionWindow);
  const inStay = await stored(h, STAY.from, STAY.to);
  expect(atExcursion).toBeGreaterThan(0);

  const spans = await storedLocationSensors(h.store.db);
  expect(spans).toEqual(await recomputedLocationSensors(h.store.db));

  const a = await createReadingArchive(h.store.db, { period: '2026-11', dir, actor: 'cli:qa', now: T0 });
  const r = await pruneReadingArchive(h.store.db, a, { actor: 'cli:qa', now: T0 + 1, chunkBatches: 3 });
  // The sensor spans (0042) are never narrowed: wider than the readings left, so still covering them
  // (what the lot assessment cache's sensor-set check needs, docs/architecture.md "Lot assessment cache").
  expect(await storedLocationSensors(h.store.db)).toEqual(spans);
  expect(await recomputedLocationSensors(h.store.db)).not.toEqual(spans);
  expect(r.batches).toBeGreaterThan(0);
  expect(r.kept).toMatchObject({
    outside_archive: 1,
    unknown_location: 1,
    pending_evaluation: 0,
  });
  expect(r.kept.excursion).toBeGreaterThan(0);
  expect(r.kept.custody).toBeGreaterThan(0);
  // gw-b's last batch: s-2 has no reading after it, an evaluation reaching back would cross a deletion.
  expect(r.kept.no_later_reading).toBe(1);
  const left = await stored(h, Date.UTC(2026, 10, 1), DEC);
  expect(nov - left).toBe(r.readings);
  expect(await stored(h, ...excursionWindow)).toBe(atExcursion);
  expect(await stored(h, STAY.from, STAY.to)).toBe(inStay);
  expect(await stored(h, DEC, Date.UTC(2027, 0, 1))).toBeGreaterThan(0);
  // Idempotent: a second run deletes nothing more.
  expect(await pruneReadingArchive(h.store.db, a, { actor: 'cli:qa', now: T0 + 2 })).toMatchObject({
    batches: 0,
    already: r.batches,
  });

  const digests = await verifyReadingDigests(h.store.db);
  expect(digests).toMatchObject({ ok: true, findings: [], deleted: { [a.id]: r.batches } });
  const printed = await verifyExtras(h.store.db, { readings: true, 'public-key': [] });
  expect(printed.text).toContain(
    `readings: ${r.batches} batch(es) archived and deleted, proven by archive ${a.id}\n`,
  );
  expect(printed.ok).toBe(true);
  expect(deepVerify(await readDeepVerifyData(h.store.db)).findings).toEqual([]);
  expect(await verifyAuditTrail(h.store.db)).toMatchObject({ ok: true });
  expect(await verifyReadingArchive(h.store.db, a)).toMatchObject({ ok: true, problems: [] });
  const audited = await h.store.db
    .selectFrom('audit_log')
    .select('after_json')
    .where('action', '=', 'readings.deleted')
    .execute();
  expect(audited.reduce((n, e) => n + JSON.parse(e.after_json!).readings, 0)).toBe(r.readings);

  // An ordinary limit change from 5 December re-evaluates from there, each sensor from its last in-range
  // reading before: no gap appears or goes, no excursion changes.
  const now = Date.UTC(2026, 11, 5);
  const loc = (await h.store.getLocation(LOC))!;
  const limits = {
    min_c: loc.min_c,
    max_c: 9,
    alarm_delay_ms: loc.alarm_delay_ms,
    critical_margin_c: loc.critical_margin_c,
    max_gap_ms: loc.max_gap_ms,
  };
  const changed = await changeLocationLimits(h.store.db, LOC, limits, now, {
    signer,
    reason: 'requalified',
    meaning: SPECIFICATION_CHANGE_MEANING,
    signedAt: now,
  });
  expect(changed).toBeDefined();
  await evaluateAll(h);
  const after = await snapshot(h);
  expect(sorted(after.gaps)).toEqual(sorted(before.gaps));
  expect(after.excursions).toEqual(before.excursions);
  // A retroactive correction would read the deleted stretch: refused until the archive is restored.
  const correct = () =>
    changeLocationLimits(
      h.store.db,
      LOC,
      { ...limits, max_c: 10 },
      now + 1,
      { signer, reason: 'mapping study', meaning: SPECIFICATION_CORRECTION_MEANING, signedAt: now + 1 },
      { kind: 'correction', effectiveFrom: Number.NEGATIVE_INFINITY, dataNow: now },
    );
  await expect(correct()).rejects.toMatchObject({ code: 'history_deleted' });

  await tampering(h, a.id);

  // As migration 0042 backfills a database pruned before it: the spans of the readings left. Restoring
  // widens them to the readings put back.
  await backfillLocationSensors(h.store.db);
  expect(await storedLocationSensors(h.store.db)).not.toEqual(spans);
  const restored = await restoreReadingArchive(h.store.db, a, { actor: 'cli:qa', now: now + 2 });
  expect(restored).toMatchObject({ inserted: r.readings, cleared: r.batches });
  expect(await storedLocationSensors(h.store.db)).toEqual(spans);
  expect(await stored(h, Date.UTC(2026, 10, 1), DEC)).toBe(nov);
  expect(await verifyReadingDigests(h.store.db)).toMatchObject({ ok: true, deleted: {} });
  expect(await h.store.db.selectFrom('reading_deletion_spans').selectAll().execute()).toEqual([]);
  expect(await verifyAuditTrail(h.store.db)).toMatchObject({ ok: true });
  expect(await correct()).toBeDefined();
}

/** Each change is found by `audit verify --readings`, then undone. */
async function tampering(h: Harness, archive: string): Promise<void> {
  const db = h.store.db;
  const problems = async () => (await verifyReadingDigests(db)).findings.map((f) => f.problem);
  const recorded = await db
    .selectFrom('reading_deletions')
    .selectAll()
    .where('gateway_id', '=', 'gw-a')
    .orderBy('batch_index')
    .execute();
  const first = recorded[0]!;
  const kept = await db
    .selectFrom('reading_digests')
    .selectAll()
    .where('gateway_id', '=', 'gw-a')
    .where(
      'batch_index',
      'not in',
      recorded.map((d) => d.batch_index),
    )
    .orderBy('batch_index', 'desc')
    .executeTakeFirstOrThrow();
  expect(await problems()).toEqual([]);

  // A deletion not recorded.
  const victim = await db
    .selectFrom('readings')
    .selectAll()
    .where('gateway_id', '=', 'gw-a')
    .where('seq', '=', kept.from_seq)
    .executeTakeFirstOrThrow();
  await db.deleteFrom('readings').where('gateway_id', '=', 'gw-a').where('seq', '=', victim.seq).execute();
  expect(await problems()).toEqual(['reading_deleted']);
  await db.insertInto('readings').values(victim).execute();

  // A record for a batch still stored, without its audit entry.
  const forged = {
    ...first,
    batch_index: kept.batch_index,
    from_seq: kept.from_seq,
    to_seq: kept.to_seq,
    count: kept.count,
  };
  await db.insertInto('reading_deletions').values(forged).execute();
  expect(await problems()).toEqual(['deletion_unaudited']);
  await db
    .deleteFrom('reading_deletions')
    .where('batch_index', '=', kept.batch_index)
    .where('gateway_id', '=', 'gw-a')
    .execute();

  // A record naming a batch that has no digest row.
  await db
    .insertInto('reading_deletions')
    .values({ ...first, batch_index: 9999 })
    .execute();
  expect(await problems()).toEqual(['deletion_mismatch']);
  await db.deleteFrom('reading_deletions').where('batch_index', '=', 9999).execute();

  // A record changed; a reading of a deleted batch stored again (put back around restore).
  await db
    .updateTable('reading_deletions')
    .set({ count: Number(first.count) - 1 })
    .where('gateway_id', '=', 'gw-a')
    .where('batch_index', '=', first.batch_index)
    .execute();
  expect(await problems()).toEqual(['deletion_mismatch']);
  await db
    .updateTable('reading_deletions')
    .set({ count: first.count })
    .where('gateway_id', '=', 'gw-a')
    .where('batch_index', '=', first.batch_index)
    .execute();
  await db
    .insertInto('readings')
    .values({ ...victim, seq: first.from_seq })
    .execute();
  expect(await problems()).toEqual(['deleted_batch_stored']);
  await db
    .deleteFrom('readings')
    .where('gateway_id', '=', 'gw-a')
    .where('seq', '=', first.from_seq)
    .execute();
  expect(await problems()).toEqual([]);
  expect((await verifyReadingDigests(db)).deleted[archive]).toBeGreaterThanOrEqual(recorded.length);
}
