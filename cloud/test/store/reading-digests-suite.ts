import type { Reading, ReadingsBatch } from '@coldtrace/shared';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';

const E = 'e000000000000001';
const F = 'f000000000000002';

const batch = (gatewayId: string, recs: Reading[], epoch?: string): ReadingsBatch =>
  ({ ...readingsBatch(gatewayId, recs), ...(epoch ? { epoch } : {}) }) as ReadingsBatch;

/**
 * Ingest that exercises every way a batch stores readings (docs/architecture.md "Audit trail", reading
 * digests): a plain batch, an overlapping one (duplicates not stored, so not digested), readings with
 * humidity and a faulty one without a value, a rolled-back buffer whose reused numbers go to a fork, a new
 * epoch, a second gateway, and a replay that stores nothing (no digest). Returns the digest rows.
 */
/** The locations `ingestDigestScenario` stores readings at. */
export const DIGEST_LOCATIONS = ['room-1', 'room-2'];

export async function ingestDigestScenario(store: CloudStore) {
  const steps: Array<[string, ReadingsBatch]> = [
    ['gw-a', batch('gw-a', readings(10, { firstSeq: 1 }), E)],
    ['gw-a', batch('gw-a', readings(7, { firstSeq: 6 }), E)],
    [
      'gw-a',
      batch(
        'gw-a',
        [
          ...readings(2, { firstSeq: 13, tempC: -18.25, rh: 41.5 }),
          ...readings(1, { firstSeq: 15, tempC: null, quality: 'timeout' }),
        ],
        E,
      ),
    ],
    // A buffer restored from a backup: 5..8 again with other values (a fork), 16 new.
    [
      'gw-a',
      batch(
        'gw-a',
        readings(12, { firstSeq: 5, tempC: 7.1 }).map((r) => ({ ...r, ts: r.ts + 1 })),
        E,
      ),
    ],
    ['gw-a', batch('gw-a', readings(3, { firstSeq: 1, tempC: 3.3 }), F)],
    ['gw-b', batch('gw-b', readings(4, { firstSeq: 100, sensorId: 's9', locationId: 'room-2' }))],
    ['gw-a', batch('gw-a', readings(10, { firstSeq: 1 }), E)],
  ];
  for (const [i, [gw, b]] of steps.entries()) await store.ingestReadings(gw, b, T0 + (i + 1) * 1000);
  const rows = await store.db
    .selectFrom('reading_digests')
    .selectAll()
    .orderBy('gateway_id')
    .orderBy('batch_index')
    .execute();
  return rows.map((r) => ({
    ...r,
    batch_index: Number(r.batch_index),
    from_seq: Number(r.from_seq),
    to_seq: Number(r.to_seq),
    count: Number(r.count),
    created_at: Number(r.created_at),
  }));
}
