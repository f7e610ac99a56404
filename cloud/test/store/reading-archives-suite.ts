import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ReadingsBatch } from '@coldtrace/shared';
import { expect } from 'vitest';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import {
  createReadingArchive,
  listReadingArchives,
  restoreReadingArchive,
  verifyReadingArchive,
} from '../../src/store/reading-archives.js';
import { verifyReadingDigests } from '../../src/store/reading-digest-reads.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';

const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Readings of two gateways every 6 h from 22 November 2026 to mid-December: some in each month. */
export async function ingestTwoMonths(store: CloudStore): Promise<void> {
  const steps: Array<[string, ReadingsBatch]> = [
    ['gw-b', readingsBatch('gw-b', readings(30, { stepMs: 6 * 3_600_000, sensorId: 's9', tempC: -18.5 }))],
    ['gw-a', readingsBatch('gw-a', readings(20, { stepMs: 6 * 3_600_000, rh: 41.25 }))],
    [
      'gw-a',
      readingsBatch('gw-a', [
        ...readings(30, { firstSeq: 21, stepMs: 6 * 3_600_000 }),
        ...readings(1, { firstSeq: 51, stepMs: 6 * 3_600_000, tempC: null, quality: 'timeout' }),
      ]),
    ],
  ];
  for (const [i, [gw, b]] of steps.entries()) await store.ingestReadings(gw, b, T0 + (i + 1) * 1000);
}

/** Readings stored with a data time in [from, to). */
export const countIn = async (store: Pick<CloudStore, 'db'>, from: number, to: number) =>
  Number(
    (
      await store.db
        .selectFrom('readings')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('ts', '>=', from)
        .where('ts', '<', to)
        .executeTakeFirstOrThrow()
    ).n,
  );

const auditOf = async (store: CloudStore, action: string) =>
  (
    await store.db
      .selectFrom('audit_log')
      .select(['entity_id', 'after_json'])
      .where('action', '=', action)
      .orderBy('seq')
      .execute()
  ).map((e) => ({ id: e.entity_id, after: JSON.parse(e.after_json!) }));

/**
 * docs/operations.md "Archives of raw readings", on either store: a month exported, its SHA-256 on the audit
 * trail; a changed file and a changed record found by verify; readings deleted behind the cloud's back
 * (the reading digests find it) put back by restore, twice without duplicates, and the digests intact again.
 */
export async function archiveRoundTrip(store: CloudStore, dir: string): Promise<void> {
  await ingestTwoMonths(store);
  const inNov = await countIn(store, NOV, DEC);
  expect(inNov).toBeGreaterThan(0);
  expect(await countIn(store, DEC, Date.UTC(2027, 0, 1))).toBeGreaterThan(0);

  const a = await createReadingArchive(store.db, { period: '2026-11', dir, actor: 'cli:qa', now: T0 });
  expect(a).toMatchObject({
    id: 'readings-2026-11',
    period: '2026-11',
    from_ts: NOV,
    to_ts: DEC,
    rows: inNov,
  });
  expect(a.sha256).toBe(sha256(a.path));
  expect(await auditOf(store, 'readings.archived')).toEqual([
    { id: a.id, after: expect.objectContaining({ sha256: a.sha256, rows: inNov, period: '2026-11' }) },
  ]);
  expect(await listReadingArchives(store.db)).toEqual([a]);
  await expect(
    createReadingArchive(store.db, { period: '2026-11', dir, actor: 'cli:qa', now: T0 }),
  ).rejects.toThrow('2026-11 is already archived as readings-2026-11');
  await expect(
    createReadingArchive(store.db, { period: '2026-13', dir, actor: 'cli:qa', now: T0 }),
  ).rejects.toThrow('not a month');

  // Every column, as stored, ordered by gateway then seq, between a header and a trailer.
  const lines = gunzipSync(readFileSync(a.path)).toString('utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(inNov + 2);
  expect(JSON.parse(lines[1]!)).toEqual({
    gateway_id: 'gw-a',
    seq: 1,
    sensor_id: 's1',
    location_id: 'room-1',
    ts: T0 + 6 * 3_600_000,
    temp_c: 5,
    rh: 41.25,
    quality: 'ok',
    received_at: T0 + 2000,
  });
  expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, rows: inNov });
  // Proven against the digests: gw-b's batch and gw-a's first in November, gw-a's second across the edge.
  expect(await verifyReadingArchive(store.db, a)).toMatchObject({ ok: true, batches: 3, problems: [] });

  // Readings deleted around the cloud: the digests name them; restore puts them back, once.
  await store.db.deleteFrom('readings').where('ts', '>=', NOV).where('ts', '<', DEC).execute();
  expect(await countIn(store, NOV, DEC)).toBe(0);
  const broken = await verifyReadingDigests(store.db);
  expect(broken.findings.map((f) => f.problem)).toContain('reading_deleted');
  expect(await restoreReadingArchive(store.db, a, { actor: 'cli:qa', now: T0 + 1 })).toEqual({
    id: a.id,
    rows: inNov,
    inserted: inNov,
    present: 0,
    cleared: 0,
  });
  expect(await countIn(store, NOV, DEC)).toBe(inNov);
  expect(await verifyReadingDigests(store.db)).toMatchObject({ ok: true, findings: [] });
  expect(await restoreReadingArchive(store.db, a, { actor: 'cli:qa', now: T0 + 2 })).toMatchObject({
    inserted: 0,
    present: inNov,
  });
  expect(await countIn(store, NOV, DEC)).toBe(inNov);
  expect((await auditOf(store, 'readings.restored')).map((e) => e.after.inserted)).toEqual([inNov, 0]);
  expect(await verifyAuditTrail(store.db)).toMatchObject({ ok: true });

  // A reading edited in December: that month is not archived, its batch no longer matches its digest.
  await store.db
    .updateTable('readings')
    .set({ temp_c: 4.5 })
    .where('gateway_id', '=', 'gw-a')
    .where('seq', '=', 40)
    .execute();
  await expect(
    createReadingArchive(store.db, { period: '2026-12', dir, actor: 'cli:qa', now: T0 }),
  ).rejects.toThrow("gateway gw-a batch 2: the readings do not match the batch's digest");
  expect((await listReadingArchives(store.db)).map((x) => x.period)).toEqual(['2026-11']);
  // November's archive holds part of that batch: proving it now fails too.
  expect((await verifyReadingArchive(store.db, a)).problems).toEqual([
    "gateway gw-a batch 2: the readings do not match the batch's digest",
  ]);
  await store.db.deleteFrom('readings').where('gateway_id', '=', 'gw-a').where('ts', '>=', DEC).execute();
  expect((await verifyReadingArchive(store.db, a)).problems).toEqual([
    expect.stringMatching(
      /^gateway gw-a batch 2: \d+ of its readings are neither in the archive nor stored outside the month$/,
    ),
  ]);

  // One temperature changed in the file (recompressed, still well-formed): the SHA-256 differs.
  const original = readFileSync(a.path);
  writeFileSync(
    a.path,
    gzipSync(gunzipSync(original).toString('utf8').replace('"temp_c":5,', '"temp_c":5.5,')),
  );
  const tampered = await verifyReadingArchive(store.db, a);
  expect(tampered.ok).toBe(false);
  expect(tampered.problems.join('\n')).toMatch(/^SHA-256 [0-9a-f]{64} differs from the recorded/);
  await expect(restoreReadingArchive(store.db, a, { actor: 'cli:qa', now: T0 + 3 })).rejects.toThrow(
    'failed verification',
  );
  // …and the record changed to match the file: its audit entry still states the original.
  await store.db
    .updateTable('reading_archives')
    .set({ sha256: sha256(a.path) })
    .where('id', '=', a.id)
    .execute();
  const [edited] = await listReadingArchives(store.db);
  expect((await verifyReadingArchive(store.db, edited!)).problems).toContain(
    'the archive row differs from its readings.archived audit entry',
  );
  // A truncated file.
  writeFileSync(a.path, original.subarray(0, original.length - 10));
  expect((await verifyReadingArchive(store.db, a)).ok).toBe(false);
  writeFileSync(a.path, original);
  await store.db.updateTable('reading_archives').set({ sha256: a.sha256 }).where('id', '=', a.id).execute();
  expect((await verifyReadingArchive(store.db, a)).problems).toEqual([
    expect.stringContaining('neither in the archive nor stored outside the month'),
  ]);
}
