import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gtinOf, type Movement, manualClock, type Reading, sgtin96Hex } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { bearer } from '../helpers/auth.js';
import { readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { epcisErrors } from './epcis-schema.js';

/**
 * The EPCIS export byte for byte on a fixed dataset (docs/performance.md "History at size"): the documents
 * in `export-golden.json` were made by the export before its queries and serialisation were reworked for
 * speed, so any change of content, order, number formatting or event ids shows here. Only `creationDate`
 * (the wall clock at export) is masked. `UPDATE_GOLDEN=1` rewrites the file (for a deliberate change of the
 * document, reviewed in its diff).
 *
 * The dataset: two lots (40 and 25 SGTIN-96 units) and three units of no lot cross a cold room's door into
 * a truck in staggered 400 ms steps (several 5 s crossings), lot A goes on to a store in 700 ms steps, part of
 * lot B back to the cold room; six sensors with fractional temperatures (sums that do not round exactly),
 * one unknown value, and a truck excursion that locks the units on board. On SQLite
 * (epcis-export-golden.int.test.ts) and PostgreSQL (epcis-export-golden.pg.svc.test.ts): the same bytes.
 */
const GOLDEN = join(import.meta.dirname, 'export-golden.json');
const MIN = 60_000;
const CP = '0614141';
const unit = (itemRef: string, serial: number) => sgtin96Hex({ companyPrefix: CP, itemRef, serial });
const LOT_A = Array.from({ length: 40 }, (_, i) => unit('011111', 100 + i));
const LOT_B = Array.from({ length: 25 }, (_, i) => unit('022222', 500 + i));
const LOOSE = [1, 2, 3].map((i) => unit('033333', i));
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };

const QUERIES = [
  '',
  '?lot=LOT-A',
  '?lot=LOT-B',
  `?epc=${LOT_A[7]}`,
  `?epc=${LOOSE[1]}`,
  `?lot=LOT-A&from=${T0 + 2 * 60 * MIN}&to=${T0 + 5 * 60 * MIN}`,
  `?lot=LOT-B&tz=%2B02:00&from=${new Date(T0 + 30 * MIN).toISOString()}`,
];

export function epcisExportGoldenSuite(
  name: string,
  store: () => Promise<Pick<CloudConfigInput, 'database'>>,
): void {
  let cloud: TestCloud;
  let viewer: { authorization: string };

  beforeAll(async () => {
    // The data clock stands after the history: lock times and ongoing custody ends are fixed.
    cloud = await startTestCloud(await store(), { clock: manualClock(T0 + 10 * 60 * MIN) });
    viewer = await bearer(cloud, ['viewer']);
    const admin = await bearer(cloud, ['admin']);
    const call = async (method: 'PUT' | 'POST', url: string, payload: object) => {
      const res = await cloud.app.inject({ method, url, payload, headers: admin });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    };
    for (const [id, kind] of [
      ['room-1', 'room'],
      ['truck-1', 'vehicle'],
      ['store-1', 'store'],
    ] as const)
      await call('PUT', `/api/v1/locations/${id}`, { name: id, kind, ...LIMITS });
    for (const [lot, epcs] of [
      ['LOT-A', LOT_A],
      ['LOT-B', LOT_B],
    ] as const) {
      const gtin = gtinOf(epcs[0]!)!;
      await call('PUT', `/api/v1/products/${gtin}`, {
        name: lot,
        minC: 2,
        maxC: 8,
        stabilityBudgetMs: 60 * MIN,
      });
      await call('PUT', `/api/v1/lots/${lot}`, { gtin, lotNumber: lot, expiry: '2027-06-30' });
      await call('POST', `/api/v1/lots/${lot}/epcs`, { epcs });
    }
    await cloud.store.upsertGateway({ id: 'gw', now: T0 });

    const reads: Reading[] = [];
    const sensor = (
      sensorId: string,
      locationId: string,
      everyMin: number,
      temp: (m: number) => number | null,
    ) => {
      for (let m = 0; m < 8 * 60; m += everyMin)
        reads.push({
          seq: 0,
          sensorId,
          locationId,
          ts: T0 + m * MIN + reads.length,
          tempC: temp(m),
          quality: 'ok',
        });
    };
    sensor('room-a', 'room-1', 1, (m) => 4 + ((m * 37) % 29) / 7);
    sensor('room-b', 'room-1', 3, (m) => (m === 93 ? null : 3.3 + ((m * 11) % 13) / 9));
    sensor('truck-a', 'truck-1', 1, (m) => (m >= 60 && m < 100 ? 11 + (m % 7) / 3 : 5 + ((m * 5) % 17) / 11));
    sensor('truck-b', 'truck-1', 2, (m) => (m >= 62 && m < 98 ? 10.7 + (m % 5) / 6 : 4.9 + (m % 3) / 7));
    sensor('truck-c', 'truck-1', 5, (m) => 5.05 + ((m * 3) % 7) / 13);
    sensor('store-a', 'store-1', 2, (m) => 2.5 + ((m * 13) % 23) / 4.1);
    const numbered = reads.map((r, i) => ({ ...r, seq: i + 1 }));
    for (let i = 0; i < numbered.length; i += 500)
      await cloud.store.ingestReadings('gw', readingsBatch('gw', numbered.slice(i, i + 500)), T0);

    const moves: Movement[] = [];
    const pass = (
      epc: string,
      portalId: string,
      from: string,
      to: string,
      direction: 'in' | 'out',
      ts: number,
    ): void => {
      moves.push({
        seq: moves.length + 1,
        epc,
        portalId,
        kind: 'pass',
        from,
        to,
        direction,
        ts,
        firstSeen: ts - 300,
        lastSeen: ts + 300,
        reads: 5 + (moves.length % 4),
        peakRssi: -50,
      });
    };
    for (const [i, e] of [...LOT_A, ...LOT_B, ...LOOSE].entries())
      pass(e, 'dock-1', 'room-1', 'truck-1', 'out', T0 + 20 * MIN + i * 400);
    for (const [i, e] of LOT_A.entries())
      pass(e, 'store-door', 'truck-1', 'store-1', 'in', T0 + 3 * 60 * MIN + i * 700);
    for (const [i, e] of LOT_B.slice(0, 10).entries())
      pass(e, 'dock-1', 'truck-1', 'room-1', 'in', T0 + 4 * 60 * MIN + i * 900);
    pass(LOOSE[0]!, 'store-door', 'truck-1', 'store-1', 'in', T0 + 6 * 60 * MIN);
    await cloud.store.ingestMovements(
      'gw',
      { gatewayId: 'gw', firstSeq: 1, lastSeq: moves.length, sentAt: T0, records: moves },
      T0,
    );
    // Stored directly (not through the ingestor): derive custody and excursions as the ingest hook would.
    await cloud.evaluator.engine.reconcileEpcs([...LOT_A, ...LOT_B, ...LOOSE]);
    for (const l of ['room-1', 'truck-1', 'store-1']) await cloud.evaluator.evaluate(l);
  });
  afterAll(async () => cloud?.stop());

  const exportOf = async (q: string) => {
    const res = await cloud.app.inject({ url: `/api/v1/epcis/events${q}`, headers: viewer });
    expect(res.statusCode, res.body).toBe(200);
    return res.body.replace(/"creationDate":"[^"]*"/, '"creationDate":"2000-01-01T00:00:00.000Z"');
  };

  describe(`EPCIS export on a fixed dataset (${name})`, () => {
    it('has locks, sensor reports and several crossings (what the golden documents must cover)', async () => {
      const doc = JSON.parse(await exportOf('')) as { epcisBody: { eventList: Array<{ bizStep: string }> } };
      const steps = doc.epcisBody.eventList.map((e) => e.bizStep);
      expect(steps.filter((s) => s === 'sensor_reporting').length).toBeGreaterThan(3);
      expect(steps.filter((s) => s === 'holding').length).toBeGreaterThan(0);
      expect(steps.filter((s) => s === 'shipping' || s === 'receiving').length).toBeGreaterThan(5);
    });

    it('is byte-identical to the golden documents, each valid against the GS1 schema', async () => {
      const actual: Record<string, string> = {};
      for (const q of QUERIES) actual[q] = await exportOf(q);
      for (const body of Object.values(actual)) expect(epcisErrors(JSON.parse(body))).toEqual([]);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) {
        if (process.env.UPDATE_GOLDEN !== '1')
          throw new Error(`${GOLDEN} is missing: run with UPDATE_GOLDEN=1`);
        writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 1)}\n`);
      }
      const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, string>;
      expect(Object.keys(actual)).toEqual(Object.keys(golden));
      for (const q of QUERIES) expect(actual[q], `export ${q || '(all)'}`).toBe(golden[q]);
    });
  });
}
