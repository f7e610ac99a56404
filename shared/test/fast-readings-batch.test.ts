import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readingsBatchSchema } from '../src/batch.js';
import { decodeGatewayPayload } from '../src/contract.js';
import { decodeReadingsPayloadFast, isReadingsBatchFast } from '../src/fast-readings-batch.js';
import { READING_QUALITIES } from '../src/records.js';

const T0 = 1_767_225_600_000;
const GW = 'gw-1';

const validReading = (seq: number) =>
  fc
    .record({
      sensorId: fc.constantFrom('s1', 's-2', 'probe.3:a', 'X'),
      locationId: fc.constantFrom('room-1', 'truck.7', 'A'),
      ts: fc.integer({ min: 0, max: 10_000_000 }).map((d) => T0 + d),
      tempC: fc.double({ min: -100, max: 200, noNaN: true }),
      rh: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }),
      bad: fc.constantFrom(...READING_QUALITIES.filter((q) => q !== 'ok')),
      fault: fc.boolean(),
      rhNull: fc.boolean(),
    })
    .map(({ sensorId, locationId, ts, tempC, rh, bad, fault, rhNull }) => {
      const r: Record<string, unknown> = {
        seq,
        sensorId,
        locationId,
        ts,
        tempC: fault ? null : tempC,
        quality: fault ? bad : 'ok',
      };
      if (rh !== undefined) r.rh = rhNull ? null : rh;
      return r;
    });

const validBatch = fc
  .record({
    firstSeq: fc.integer({ min: 1, max: 1_000_000 }),
    n: fc.integer({ min: 0, max: 30 }),
    thinAt: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    thinLen: fc.integer({ min: 1, max: 5 }),
    epoch: fc.option(fc.constantFrom('0123456789abcdef', 'ffffffffffffffff'), { nil: undefined }),
  })
  .chain(({ firstSeq, n, thinAt, thinLen, epoch }) => {
    const thin = thinAt !== undefined && thinAt <= n ? { at: thinAt, len: thinLen } : undefined;
    if (n === 0 && !thin) n = 1;
    const seqs: number[] = [];
    let s = firstSeq;
    for (let i = 0; i < n; i++) {
      if (thin && i === thin.at) s += thin.len;
      seqs.push(s++);
    }
    const thinned = thin ? [{ from: firstSeq + thin.at, to: firstSeq + thin.at + thin.len - 1 }] : undefined;
    const lastSeq = Math.max(seqs.at(-1) ?? 0, thinned?.[0]?.to ?? 0);
    return fc.tuple(...seqs.map(validReading)).map((records) => {
      const b: Record<string, unknown> = { gatewayId: GW, firstSeq, lastSeq, sentAt: T0, records };
      if (thinned) b.thinned = thinned;
      if (epoch) b.epoch = epoch;
      return b;
    });
  });

const anyValue = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.constantFrom(
    0,
    -1,
    1.5,
    -100.01,
    200.01,
    100.5,
    946_684_799_999,
    7_258_118_400_001,
    Number.MAX_SAFE_INTEGER + 2,
    'ok',
    'timeout',
    'gw-2',
    'a/b',
    ' x',
    'x'.repeat(65),
    '__proto__',
    'a1b2c3d4e5f60718',
    'A1B2C3D4E5F60718',
    'a1b2c3d4e5f6071',
  ),
  fc.constant([]),
  fc.constant({}),
  fc.constant([{ from: 1, to: 1 }]),
);

const BATCH_KEYS = ['gatewayId', 'firstSeq', 'lastSeq', 'sentAt', 'epoch', 'records', 'thinned', 'extra'];
const READING_KEYS = ['seq', 'sensorId', 'locationId', 'ts', 'tempC', 'rh', 'quality', 'extra'];

const EDGES: Array<[string, unknown[]]> = [
  ['tempC', [-100, -100.0001, 200, 200.0001, -101, 201, null]],
  ['rh', [0, -0.0001, 100, 100.0001, null]],
  ['ts', [946_684_800_000, 946_684_799_999, 7_258_118_400_000, 7_258_118_400_001, T0 + 0.5]],
  ['seq', [0, 1, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2]],
  ['quality', ['ok', 'timeout', 'OK', '', 'error']],
  ['sensorId', ['a'.repeat(64), 'a'.repeat(65), '-a', 'a b', 'a/b', 'a+', '']],
  ['locationId', ['Z', '.z', 'z#', 'z\n']],
];

/** A valid batch with zero to three mutations at the batch, record or thinned level. */
const mutatedBatch = fc
  .tuple(
    validBatch,
    fc.array(
      fc.record({
        level: fc.constantFrom('batch', 'record', 'edge', 'swap', 'thinned'),
        edge: fc.integer({ min: 0, max: 1000 }),
        key: fc.integer({ min: 0, max: 7 }),
        index: fc.nat(),
        value: anyValue,
        drop: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
  )
  .map(([b, muts]) => {
    const batch = structuredClone(b) as Record<string, unknown> & { records: Record<string, unknown>[] };
    for (const m of muts) {
      // fc.constant values are one shared object: each use gets its own copy (no cycles, no leaks
      // between runs through a mutated constant).
      const value = structuredClone(m.value);
      const recs = batch.records;
      if (m.level === 'batch') {
        const k = BATCH_KEYS[m.key % BATCH_KEYS.length]!;
        if (m.drop) delete batch[k];
        else batch[k] = value;
      } else if (m.level === 'record' && Array.isArray(recs) && recs.length > 0) {
        const r = recs[m.index % recs.length];
        const k = READING_KEYS[m.key]!;
        if (r && typeof r === 'object') {
          if (m.drop) delete r[k];
          else r[k] = value;
        }
      } else if (m.level === 'edge' && Array.isArray(recs) && recs.length > 0) {
        // A value just inside or just outside one bound of one field.
        const r = recs[m.index % recs.length];
        const [k, values] = EDGES[m.key % EDGES.length]!;
        if (r && typeof r === 'object') r[k] = values[m.edge % values.length];
      } else if (m.level === 'swap' && Array.isArray(recs) && recs.length > 1) {
        const i = m.index % recs.length;
        const j = (i + 1) % recs.length;
        [recs[i], recs[j]] = [recs[j]!, recs[i]!];
      } else if (m.level === 'thinned') {
        batch.thinned = m.drop ? [] : [{ from: batch.firstSeq, to: value }];
      }
    }
    return batch;
  });

/** JSON text as a gateway would send it, sometimes damaged. */
const payload = fc.oneof(
  { weight: 6, arbitrary: mutatedBatch.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: mutatedBatch.map((b) => JSON.stringify(b).slice(0, -1)) },
  { weight: 1, arbitrary: fc.json() },
  {
    weight: 1,
    arbitrary: mutatedBatch.map((b) => JSON.stringify(b).replace('"records"', '"__proto__":{},"records"')),
  },
);

describe('fast readings-batch validator', () => {
  it('accepts only what readingsBatchSchema accepts, and then equals its parse result', () => {
    fc.assert(
      fc.property(payload, (text) => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return;
        }
        const zod = readingsBatchSchema.safeParse(json);
        if (isReadingsBatchFast(json)) {
          expect(zod.success).toBe(true);
          expect(json).toEqual(zod.data);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('takes the fast path for every valid batch (with or without thinning, rh or faults)', () => {
    fc.assert(
      fc.property(validBatch, (b) => {
        const json = JSON.parse(JSON.stringify(b));
        expect(readingsBatchSchema.safeParse(json).success).toBe(true);
        expect(isReadingsBatchFast(json)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes exactly like decodeGatewayPayload, including the dead-letter code and reason', () => {
    fc.assert(
      fc.property(payload, fc.constantFrom(GW, 'gw-2'), fc.boolean(), (text, topicGw, asBuffer) => {
        const bytes = asBuffer ? Buffer.from(text) : text;
        expect(decodeReadingsPayloadFast(topicGw, bytes)).toEqual(
          decodeGatewayPayload('readings', topicGw, bytes),
        );
      }),
      { numRuns: 1500 },
    );
  });

  it('rejects a batch the schema rejects with the schema reason (examples)', () => {
    const good = {
      gatewayId: GW,
      firstSeq: 1,
      lastSeq: 2,
      sentAt: T0,
      records: [
        { seq: 1, sensorId: 's1', locationId: 'r1', ts: T0, tempC: 4, quality: 'ok' },
        { seq: 2, sensorId: 's1', locationId: 'r1', ts: T0, tempC: null, quality: 'timeout' },
      ],
    };
    expect(decodeReadingsPayloadFast(GW, JSON.stringify(good))).toEqual({ ok: true, value: good });
    const gap = { ...good, lastSeq: 3 };
    const r = decodeReadingsPayloadFast(GW, JSON.stringify(gap));
    expect(r).toMatchObject({ ok: false, code: 'schema_violation' });
    expect(r.ok ? '' : r.reason).toContain('lastSeq');
    expect(decodeReadingsPayloadFast('gw-2', JSON.stringify(good))).toMatchObject({
      ok: false,
      code: 'gateway_mismatch',
    });
    expect(decodeReadingsPayloadFast(GW, '{"gatewayId":')).toMatchObject({
      ok: false,
      code: 'malformed_json',
    });
    const sub = Buffer.from(`xx${JSON.stringify(good)}`).subarray(2);
    expect(decodeReadingsPayloadFast(GW, sub)).toEqual({ ok: true, value: good });
  });
});
