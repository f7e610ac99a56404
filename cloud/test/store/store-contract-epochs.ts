import type { Alarm, AlarmsBatch, ReadingsBatch } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { EPOCH_SEQ_SPAN } from '../../src/domain/ingest/epochs.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import type { DomainDatabase } from '../../src/store/schema.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';

const A = 'a000000000000001';
const B = 'b000000000000002';
const C = 'c000000000000003';

/** A readings batch of seqs from..to (optionally thinned inside), under `epoch` (none = an older gateway). */
function batch(
  gatewayId: string,
  from: number,
  to: number,
  epoch?: string,
  thinned?: { from: number; to: number },
): ReadingsBatch {
  const recs = readings(to - from + 1, { firstSeq: from }).filter(
    (r) => !thinned || r.seq < thinned.from || r.seq > thinned.to,
  );
  return {
    ...readingsBatch(gatewayId, recs),
    firstSeq: from,
    lastSeq: to,
    ...(thinned ? { thinned: [thinned] } : {}),
    ...(epoch ? { epoch } : {}),
  } as ReadingsBatch;
}

const seqsOf = async (store: CloudStore, gatewayId: string) =>
  (await store.listReadings({ gatewayId })).map((r) => r.seq).sort((a, b) => a - b);

const resetsOf = (store: CloudStore, gatewayId: string) =>
  store.db
    .selectFrom('audit_log')
    .selectAll()
    .where('entity_type', '=', 'gateway')
    .where('entity_id', '=', gatewayId)
    .where('action', '=', 'gateway.sequence_reset')
    .orderBy('seq')
    .execute();

const range = (from: number, to: number, offset = 0) =>
  Array.from({ length: to - from + 1 }, (_, i) => offset + from + i);

/**
 * Buffer epochs (docs/durability.md "Epoch", migration 0008): part of the store contract, run on SQLite
 * (fast path) and PostgreSQL (Kysely path) by `runStoreContract`.
 */
export function epochContract(store: () => CloudStore, newGateway: (prefix?: string) => Promise<string>) {
  describe('buffer epochs (sequence reset)', () => {
    it('stores a new epoch after another in its own sequence space, audited, never as duplicates', async () => {
      const s = store();
      const id = await newGateway('ep');
      const first = await s.ingestReadings(id, batch(id, 1, 5, A), T0);
      expect(first).toMatchObject({ inserted: 5, duplicates: 0, epochAdopted: A });
      expect(first.sequenceReset).toBeUndefined();
      // The buffer was lost: the gateway restarts at 1 under epoch B.
      const reset = await s.ingestReadings(id, batch(id, 1, 3, B), T0 + 100);
      expect(reset).toMatchObject({ inserted: 3, duplicates: 0 });
      expect(reset.sequenceReset).toEqual({
        gatewayId: id,
        stream: 'readings',
        at: T0 + 100,
        fromEpoch: A,
        toEpoch: B,
        epochIndex: 1,
        previousHighWater: 5,
      });
      expect(await seqsOf(s, id)).toEqual([...range(1, 5), ...range(1, 3, EPOCH_SEQ_SPAN)]);
      // Redelivered: duplicates of epoch B, no second reset.
      const again = await s.ingestReadings(id, batch(id, 1, 3, B), T0 + 200);
      expect(again).toMatchObject({ inserted: 0, duplicates: 3 });
      expect(again.sequenceReset).toBeUndefined();

      const audit = await resetsOf(s, id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: 'system', at: T0 + 100, entity_type: 'gateway' });
      expect(JSON.parse(audit[0]!.before_json!)).toEqual({
        stream: 'readings',
        epoch: A,
        epochIndex: 0,
        highWater: 5,
      });
      expect(JSON.parse(audit[0]!.after_json!)).toEqual({
        stream: 'readings',
        epoch: B,
        epochIndex: 1,
        seqOffset: EPOCH_SEQ_SPAN,
      });
      expect(audit[0]!.reason).toMatch(/lost or replaced.*not yet had acknowledged.*cannot be known/);
      expect(await verifyAuditTrail(s.db as unknown as Kysely<DomainDatabase>)).toMatchObject({ ok: true });
    });

    it('keeps late messages of the old epoch in its space: deduplicated, stored, no reset', async () => {
      const s = store();
      const id = await newGateway('ep');
      await s.ingestReadings(id, batch(id, 1, 5, A), T0);
      await s.ingestReadings(id, batch(id, 1, 3, B), T0);
      // Published by the old buffer before it was lost, delivered late (a broker queue): 4..5 are
      // duplicates of epoch A, 6..7 new records of epoch A.
      const late = await s.ingestReadings(id, batch(id, 4, 7, A), T0 + 1);
      expect(late).toMatchObject({ inserted: 2, duplicates: 2 });
      expect(late.sequenceReset).toBeUndefined();
      expect(await seqsOf(s, id)).toEqual([...range(1, 7), ...range(1, 3, EPOCH_SEQ_SPAN)]);
      expect(await resetsOf(s, id)).toHaveLength(1);
      const cov = await s.coverage(id);
      expect(cov).toEqual([
        {
          gatewayId: id,
          stream: 'readings',
          highWater: 3,
          holes: [],
          thinned: 0,
          epoch: B,
          epochIndex: 1,
          sequenceReset: { at: T0, fromEpoch: A, toEpoch: B, previousHighWater: 5 },
        },
        { gatewayId: id, stream: 'readings', highWater: 7, holes: [], thinned: 0, epoch: A, epochIndex: 0 },
      ]);
    });

    it('computes coverage per epoch: holes and thinning inside each, no hole between epochs', async () => {
      const s = store();
      const id = await newGateway('ep');
      await s.ingestReadings(id, batch(id, 1, 5, A), T0);
      await s.ingestReadings(id, batch(id, 9, 10, A), T0);
      await s.ingestReadings(id, batch(id, 1, 2, B), T0);
      await s.ingestReadings(id, batch(id, 5, 12, B, { from: 7, to: 9 }), T0);
      await s.ingestReadings(id, batch(id, 1, 1, C), T0);
      const cov = await s.coverage(id);
      expect(cov.map(({ gatewayId: _g, sequenceReset: _r, ...c }) => c)).toEqual([
        { stream: 'readings', highWater: 1, holes: [], thinned: 0, epoch: C, epochIndex: 2 },
        {
          stream: 'readings',
          highWater: 12,
          holes: [{ from: 3, to: 4 }],
          thinned: 3,
          epoch: B,
          epochIndex: 1,
        },
        {
          stream: 'readings',
          highWater: 10,
          holes: [{ from: 6, to: 8 }],
          thinned: 0,
          epoch: A,
          epochIndex: 0,
        },
      ]);
      expect(cov[0]!.sequenceReset).toEqual({ at: T0, fromEpoch: B, toEpoch: C, previousHighWater: 12 });
      // Filling epoch B's hole closes it there only.
      await s.ingestReadings(id, batch(id, 3, 4, B), T0);
      expect((await s.coverage(id)).map((c) => [c.epoch, c.holes])).toEqual([
        [C, []],
        [B, []],
        [A, [{ from: 6, to: 8 }]],
      ]);
      expect(await resetsOf(s, id)).toHaveLength(2);
    });

    it('legacy batches without epoch: offset 0, the first epoch adopted over them, then the current epoch', async () => {
      const s = store();
      const id = await newGateway('ep');
      await s.ingestReadings(id, batch(id, 1, 10), T0);
      expect(await s.coverage(id)).toEqual([
        { gatewayId: id, stream: 'readings', highWater: 10, holes: [], thinned: 0 },
      ]);
      // The upgraded gateway keeps its buffer and sequence and now names its epoch: adopted, offset 0.
      const up = await s.ingestReadings(id, batch(id, 9, 12, A), T0);
      expect(up).toMatchObject({ inserted: 2, duplicates: 2, epochAdopted: A });
      expect(up.sequenceReset).toBeUndefined();
      expect(await seqsOf(s, id)).toEqual(range(1, 12));
      expect(await resetsOf(s, id)).toEqual([]);
      // A late legacy batch belongs to the current epoch (A, offset 0).
      expect(await s.ingestReadings(id, batch(id, 10, 13), T0)).toMatchObject({ inserted: 1, duplicates: 3 });
      // After a reset, the current epoch is B: a legacy batch goes there.
      expect((await s.ingestReadings(id, batch(id, 1, 2, B), T0)).sequenceReset).toMatchObject({
        fromEpoch: A,
        previousHighWater: 13,
      });
      expect(await s.ingestReadings(id, batch(id, 3, 4), T0)).toMatchObject({ inserted: 2, duplicates: 0 });
      expect(await seqsOf(s, id)).toEqual([...range(1, 13), ...range(1, 4, EPOCH_SEQ_SPAN)]);
      expect((await s.coverage(id)).map((c) => [c.epoch, c.highWater, c.holes])).toEqual([
        [B, 4, []],
        [A, 13, []],
      ]);
    });

    it('keeps epochs per stream: an alarms reset is its own, other streams only adopt', async () => {
      const s = store();
      const id = await newGateway('ep');
      const alarm = (seq: number): Alarm => ({
        seq,
        alarmId: 'buffer_high',
        kind: 'buffer_high',
        state: 'raised',
        severity: 'warning',
        ts: T0 + seq,
        message: 'buffer above 80 %',
      });
      const alarms = (from: number, to: number, epoch: string) =>
        ({
          gatewayId: id,
          firstSeq: from,
          lastSeq: to,
          sentAt: T0,
          epoch,
          records: range(from, to).map(alarm),
        }) as AlarmsBatch;
      await s.ingestAlarms(id, alarms(1, 2, A), T0);
      // Readings start under B: the stream's first epoch, adopted (no reset).
      expect(await s.ingestReadings(id, batch(id, 1, 2, B), T0)).toMatchObject({ epochAdopted: B });
      const r = await s.ingestAlarms(id, alarms(1, 1, B), T0 + 5);
      expect(r).toMatchObject({ inserted: 1, duplicates: 0 });
      expect(r.sequenceReset).toMatchObject({
        stream: 'alarms',
        fromEpoch: A,
        toEpoch: B,
        previousHighWater: 2,
      });
      expect((await s.listAlarms({ gatewayId: id })).map((a) => a.seq).sort((x, y) => x - y)).toEqual([
        1,
        2,
        EPOCH_SEQ_SPAN + 1,
      ]);
      expect(await seqsOf(s, id)).toEqual([1, 2]);
      expect((await resetsOf(s, id)).map((e) => JSON.parse(e.after_json!).stream)).toEqual(['alarms']);
    });

    it('agrees on each epoch under concurrent ingest: one row and one audit entry per new epoch', async () => {
      const s = store();
      const id = await newGateway('ep');
      await s.ingestReadings(id, batch(id, 1, 3, A), T0);
      // Several batches of two new epochs at once (several ingestors on PostgreSQL).
      const results = await Promise.all([
        s.ingestReadings(id, batch(id, 1, 4, B), T0 + 1),
        s.ingestReadings(id, batch(id, 1, 2, C), T0 + 1),
        s.ingestReadings(id, batch(id, 3, 6, B), T0 + 1),
        s.ingestReadings(id, batch(id, 3, 5, C), T0 + 1),
        s.ingestReadings(id, batch(id, 5, 8, B), T0 + 1),
      ]);
      expect(results.filter((r) => r.sequenceReset)).toHaveLength(2);
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(8 + 5);
      const epochs = await s.db
        .selectFrom('stream_epochs')
        .select(['epoch', 'epoch_index', 'seq_offset'])
        .where('gateway_id', '=', id)
        .orderBy('epoch_index')
        .execute();
      expect(epochs.map((e) => e.epoch_index)).toEqual([0, 1, 2]);
      expect(epochs.map((e) => e.seq_offset)).toEqual([0, EPOCH_SEQ_SPAN, 2 * EPOCH_SEQ_SPAN]);
      const offsetOf = new Map(epochs.map((e) => [e.epoch, Number(e.seq_offset)]));
      expect(await seqsOf(s, id)).toEqual(
        [...range(1, 3), ...range(1, 8, offsetOf.get(B)), ...range(1, 5, offsetOf.get(C))].sort(
          (x, y) => x - y,
        ),
      );
      expect(await resetsOf(s, id)).toHaveLength(2);
      expect((await s.coverage(id)).every((c) => c.holes.length === 0)).toBe(true);
      expect(await verifyAuditTrail(s.db as unknown as Kysely<DomainDatabase>)).toMatchObject({ ok: true });
    });
  });
}
