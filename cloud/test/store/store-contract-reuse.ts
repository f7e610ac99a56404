import type { AlarmsBatch, MovementsBatch, Reading, ReadingsBatch } from '@coldtrace/shared';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { EPOCH_SEQ_SPAN } from '../../src/domain/ingest/epochs.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import type { DomainDatabase } from '../../src/store/schema.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';

const E = 'e000000000000001';
const F = 'f000000000000002';

/** Readings from..to of one "life" of the buffer: `life` changes the temperature, so the content differs. */
function lifeBatch(gatewayId: string, from: number, to: number, life: number, epoch?: string): ReadingsBatch {
  const recs = readings(to - from + 1, { firstSeq: from, tempC: 2 + life }).map((r) => ({
    ...r,
    ts: r.ts + life * 3_600_000,
  }));
  return { ...readingsBatch(gatewayId, recs), ...(epoch ? { epoch } : {}) } as ReadingsBatch;
}

const stored = async (store: CloudStore, gatewayId: string) =>
  (await store.listReadings({ gatewayId })).map((r) => ({ seq: r.seq, ts: r.ts, tempC: r.temp_c }));

const reuseAudits = (store: CloudStore, gatewayId: string) =>
  store.db
    .selectFrom('audit_log')
    .selectAll()
    .where('entity_id', '=', gatewayId)
    .where('action', '=', 'gateway.sequence_reuse')
    .orderBy('seq')
    .execute();

/**
 * Sequence reuse (docs/durability.md "Sequence reuse"): a gateway whose buffer.db was rolled back sends new
 * records under numbers the cloud stored for others. Part of the store contract (SQLite fast path and
 * PostgreSQL Kysely path).
 */
export function reuseContract(store: () => CloudStore, newGateway: (prefix?: string) => Promise<string>) {
  describe('sequence reuse (buffer.db rolled back)', () => {
    it('keeps records that reuse stored numbers in a fork of the epoch, audited once, replays idempotent', async () => {
      const s = store();
      const id = await newGateway('ru');
      expect(await s.ingestReadings(id, lifeBatch(id, 1, 10, 0, E), T0)).toMatchObject({ inserted: 10 });
      // buffer.db restored from a backup taken at seq 4: seqs 5..12 come again with other readings.
      const rolled = await s.ingestReadings(id, lifeBatch(id, 5, 12, 1, E), T0 + 100);
      expect(rolled).toMatchObject({ inserted: 8, duplicates: 0, reused: 6 });
      expect(rolled.sequenceReuses).toEqual([
        {
          gatewayId: id,
          stream: 'readings',
          at: T0 + 100,
          epoch: E,
          fork: `${E}~1`,
          epochIndex: 1,
          firstSeq: 5,
        },
      ]);
      const rows = await stored(s, id);
      expect(rows).toHaveLength(18); // 10 + 6 reused + 2 new numbers (11, 12), nothing discarded
      expect(rows.filter((r) => r.seq >= EPOCH_SEQ_SPAN).map((r) => r.seq - EPOCH_SEQ_SPAN)).toEqual([
        5, 6, 7, 8, 9, 10,
      ]);
      expect(rows.find((r) => r.seq === EPOCH_SEQ_SPAN + 5)).toMatchObject({ tempC: 3 });
      expect(rows.find((r) => r.seq === 5)).toMatchObject({ tempC: 2 });
      // Both lives replayed again (lost PUBACKs): plain duplicates, no new fork, no new audit entry.
      expect(await s.ingestReadings(id, lifeBatch(id, 1, 10, 0, E), T0 + 200)).toMatchObject({
        inserted: 0,
        duplicates: 10,
      });
      const again = await s.ingestReadings(id, lifeBatch(id, 5, 12, 1, E), T0 + 300);
      expect(again).toMatchObject({ inserted: 0, duplicates: 8 });
      expect(again.reused).toBeUndefined();
      expect(await stored(s, id)).toHaveLength(18);
      const audits = await reuseAudits(s, id);
      expect(audits).toHaveLength(1);
      expect(JSON.parse(audits[0]!.after_json!)).toMatchObject({ fork: `${E}~1`, epochIndex: 1 });
      expect(audits[0]!.reason).toMatch(/restored from a backup/);
      expect(await verifyAuditTrail(s.db as unknown as Kysely<DomainDatabase>)).toMatchObject({ ok: true });

      // A second rollback to the same point: a second fork; coverage lists both forks on the epoch.
      expect(await s.ingestReadings(id, lifeBatch(id, 5, 6, 2, E), T0 + 400)).toMatchObject({
        inserted: 2,
        reused: 2,
      });
      const cov = (await s.coverage(id)).filter((c) => c.stream === 'readings');
      expect(cov).toHaveLength(1);
      expect(cov[0]).toMatchObject({ epoch: E, highWater: 12, holes: [] });
      expect(cov[0]!.sequenceReuses).toEqual([
        { fork: `${E}~1`, epochIndex: 1, at: T0 + 100, records: 6 },
        { fork: `${E}~2`, epochIndex: 2, at: T0 + 400, records: 2 },
      ]);
    });

    it('gives a later new epoch the next free index after the forks (a sequence reset still works)', async () => {
      const s = store();
      const id = await newGateway('ru');
      await s.ingestReadings(id, lifeBatch(id, 1, 3, 0, E), T0);
      await s.ingestReadings(id, lifeBatch(id, 1, 3, 1, E), T0 + 1); // fork E~1, index 1
      const reset = await s.ingestReadings(id, lifeBatch(id, 1, 2, 2, F), T0 + 2);
      expect(reset.sequenceReset).toMatchObject({
        fromEpoch: E,
        toEpoch: F,
        epochIndex: 2,
        previousHighWater: 3,
      });
      // Batches without an epoch belong to the current epoch F, never to a fork.
      const legacy = { ...lifeBatch(id, 3, 3, 2) } as ReadingsBatch;
      expect(await s.ingestReadings(id, legacy, T0 + 3)).toMatchObject({ inserted: 1 });
      expect((await stored(s, id)).map((r) => r.seq)).toContain(2 * EPOCH_SEQ_SPAN + 3);
    });

    it('forks a stream that never named an epoch, and movements and alarms alike', async () => {
      const s = store();
      const id = await newGateway('ru');
      await s.ingestReadings(id, lifeBatch(id, 1, 2, 0), T0);
      expect(await s.ingestReadings(id, lifeBatch(id, 1, 2, 1), T0 + 1)).toMatchObject({
        reused: 2,
        sequenceReuses: [expect.objectContaining({ epoch: '', fork: '~1', epochIndex: 1 })],
      });
      const mv = (seq: number, epc: string): MovementsBatch => ({
        gatewayId: id,
        firstSeq: seq,
        lastSeq: seq,
        sentAt: T0,
        epoch: E,
        records: [movement(seq, epc)],
      });
      await s.ingestMovements(id, mv(1, '3074257BF7194E4000001A85'), T0);
      expect(await s.ingestMovements(id, mv(1, '3074257BF7194E4000001A85'), T0 + 1)).toMatchObject({
        inserted: 0,
        duplicates: 1,
      });
      expect(await s.ingestMovements(id, mv(1, '3074257BF7194E4000001A86'), T0 + 2)).toMatchObject({
        inserted: 1,
        reused: 1,
      });
      const al = (message: string): AlarmsBatch => ({
        gatewayId: id,
        firstSeq: 1,
        lastSeq: 1,
        sentAt: T0,
        epoch: E,
        records: [
          {
            seq: 1,
            alarmId: 'temperature_high:room-1',
            kind: 'temperature_high',
            state: 'raised',
            severity: 'warning',
            ts: T0,
            locationId: 'room-1',
            value: 9.5,
            message,
          },
        ],
      });
      await s.ingestAlarms(id, al('high'), T0);
      expect(await s.ingestAlarms(id, al('high'), T0 + 1)).toMatchObject({ inserted: 0, duplicates: 1 });
      expect(await s.ingestAlarms(id, al('other'), T0 + 2)).toMatchObject({ inserted: 1, reused: 1 });
    });

    it('stores every distinct record once, whatever the order of two overlapping buffer lives (property)', async () => {
      const s = store();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
          fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 10 }),
          async (lenA, lenB, order, redeliveries) => {
            const id = await newGateway('rp');
            // Life 0: 1..lenA; life 1 restored to 0: 1..lenB; life 2 restored to 0: 1..3. Split in 2 batches each.
            const half = (life: number, len: number) => {
              const m = Math.ceil(len / 2);
              return [lifeBatch(id, 1, m, life, E), ...(len > m ? [lifeBatch(id, m + 1, len, life, E)] : [])];
            };
            const batches = [...half(0, lenA), ...half(1, lenB), ...half(2, 3)];
            const sorted = batches
              .map((b, i) => ({ b, k: order[i % order.length]! * 31 + i }))
              .sort((x, y) => x.k - y.k)
              .map((x) => x.b);
            for (const b of sorted) await s.ingestReadings(id, b, T0);
            for (const r of redeliveries) await s.ingestReadings(id, batches[r % batches.length]!, T0);
            const rows = await stored(s, id);
            const distinct = new Set(
              batches.flatMap((b) => b.records.map((r: Reading) => `${r.ts}/${r.tempC}`)),
            );
            expect(rows).toHaveLength(distinct.size);
            expect(new Set(rows.map((r) => `${r.ts}/${r.tempC}`)).size).toBe(distinct.size);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
