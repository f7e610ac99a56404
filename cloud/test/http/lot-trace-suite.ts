import { gatewayTopic, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { bearer } from '../helpers/auth.js';
import { movement, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const MIN = 60_000;
const GTIN = '80614141123458';
const epc = (serial: number) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });
const [E1, E2, E3] = [epc(11), epc(12), epc(13)];
const OTHER = epc(99); // another lot's unit
const at = (min: number) => T0 + min * MIN;

/**
 * Custody of the lot's units, by hand (the oracle): [location, from, to) per unit, from the movements below.
 * E1: room-1 → truck-1 → store-1; E2: room-1 → truck-1; E3: room-1 → truck-1 → back to room-1.
 */
const CUSTODY: Record<string, Array<[string, number, number | null]>> = {
  [E1]: [
    ['room-1', at(0), at(30)],
    ['truck-1', at(30), at(60)],
    ['store-1', at(60), null],
  ],
  [E2]: [
    ['room-1', at(1), at(31)],
    ['truck-1', at(31), null],
  ],
  [E3]: [
    ['room-1', at(2), at(5)],
    ['truck-1', at(5), at(10)],
    ['room-1', at(10), null],
  ],
};

interface TraceUnit {
  epc: string;
  gtin: string | null;
  serial: string | null;
  location: string | null;
  custody: Array<{ locationId: string; enteredAt: number; leftAt: number | null }>;
  locks: Array<{ locationId: string; state: string; lotId: string }>;
}

interface Reading {
  gatewayId: string;
  seq: number;
  sensorId: string;
  locationId: string;
  ts: number;
  tempC: number | null;
}

/**
 * The suite of `GET /lots/:id/temperature` and `/trace`, on SQLite (this file) and on PostgreSQL
 * (lot-trace-api.pg.svc.test.ts): `store()` gives the cloud's database setting.
 */
export function lotTraceSuite(name: string, store: () => Promise<Pick<CloudConfigInput, 'database'>>): void {
  describe(`GET /api/v1/lots/:id/temperature and /trace (${name})`, () => {
    let cloud: TestCloud;
    let viewer: { authorization: string };
    const sent: Array<{ seq: number; sensorId: string; locationId: string; ts: number; tempC: number }> = [];

    const get = async (url: string) => {
      const res = await cloud.app.inject({ method: 'GET', url, headers: viewer });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      return res.json();
    };

    beforeAll(async () => {
      cloud = await startTestCloud(await store());
      const admin = await bearer(cloud, ['admin']);
      viewer = await bearer(cloud, ['viewer']);
      const put = async (url: string, payload: unknown, method: 'PUT' | 'POST' = 'PUT') => {
        const res = await cloud.app.inject({ method, url, payload: payload as object, headers: admin });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      };
      for (const id of ['dock', 'room-1', 'truck-1', 'store-1', 'store-2'])
        await put(`/api/v1/locations/${id}`, {
          name: id,
          kind: id.startsWith('truck') ? 'vehicle' : 'room',
          minC: 2,
          maxC: 8,
          alarmDelayMs: 10 * MIN,
          criticalMarginC: 10,
          maxGapMs: 30 * MIN,
        });
      await put(`/api/v1/products/${GTIN}`, {
        name: 'Vaccine',
        minC: 2,
        maxC: 8,
        stabilityBudgetMs: 3_600_000,
      });
      await put('/api/v1/lots/LOT-T', { gtin: GTIN, lotNumber: 'T1', expiry: '2027-06-30' });
      await put('/api/v1/lots/LOT-O', { gtin: GTIN, lotNumber: 'O1', expiry: '2027-06-30' });
      await put('/api/v1/lots/LOT-T/epcs', { epcs: [E1, E2, E3] }, 'POST');
      await put('/api/v1/lots/LOT-O/epcs', { epcs: [OTHER] }, 'POST');

      const secret = await cloud.addGateway('gw-1');
      const gw = await cloud.connect('gw-1', secret);
      const pass = (seq: number, e: string, from: string, to: string, ts: number) =>
        movement(seq, e, { from, to, ts, firstSeen: ts - 500, lastSeen: ts + 500, direction: 'in' });
      const moves = [
        pass(1, E1, 'dock', 'room-1', at(0)),
        pass(2, E2, 'dock', 'room-1', at(1)),
        pass(3, E3, 'dock', 'room-1', at(2)),
        pass(4, E3, 'room-1', 'truck-1', at(5)),
        pass(5, E3, 'truck-1', 'room-1', at(10)),
        pass(6, E1, 'room-1', 'truck-1', at(30)),
        pass(7, E2, 'room-1', 'truck-1', at(31)),
        pass(8, E1, 'truck-1', 'store-1', at(60)),
        pass(9, OTHER, 'dock', 'store-2', at(0)),
      ];
      await gw.publishAsync(
        gatewayTopic('gw-1', 'movements'),
        JSON.stringify({ gatewayId: 'gw-1', firstSeq: 1, lastSeq: moves.length, sentAt: T0, records: moves }),
        { qos: 1 },
      );
      // One sensor per location, a reading a minute from 10 min before to 90 min after T0; the truck is
      // warm from minute 35 to 50 (an excursion that locks E1 and E2, not E3, which had left the truck).
      let seq = 0;
      for (const [sensorId, locationId] of [
        ['s-room', 'room-1'],
        ['s-truck', 'truck-1'],
        ['s-store', 'store-1'],
        ['s-store2', 'store-2'],
      ] as const)
        for (let m = -10; m <= 90; m++)
          sent.push({
            seq: ++seq,
            sensorId,
            locationId,
            ts: at(m) + (sensorId === 's-store' ? 0 : 1000), // ties in ts between locations, too
            tempC: sensorId === 's-truck' && m >= 35 && m < 50 ? 12 : 5,
          });
      for (let i = 0; i < sent.length; i += 200) {
        const records = sent.slice(i, i + 200).map((r) => ({ ...r, quality: 'ok' as const }));
        await gw.publishAsync(
          gatewayTopic('gw-1', 'readings'),
          JSON.stringify(readingsBatch('gw-1', records)),
          {
            qos: 1,
          },
        );
      }
      await gw.endAsync();
      await until(async () => {
        const res = await cloud.app.inject({ url: '/api/v1/locks?state=active', headers: viewer });
        return res.json().length === 2;
      }, 'E1 and E2 locked');
    });
    afterAll(async () => cloud?.stop());

    /** The oracle: the readings taken where a unit of the lot was, while it was there, in API order. */
    const expectedReadings = (fromTs = 0, toTs = Number.MAX_SAFE_INTEGER) =>
      sent
        .filter((r) => r.ts >= fromTs && r.ts < toTs)
        .filter((r) =>
          Object.values(CUSTODY).some((iv) =>
            iv.some(([loc, f, t]) => loc === r.locationId && r.ts >= f && (t === null || r.ts < t)),
          ),
        )
        .sort((a, b) => a.ts - b.ts || a.seq - b.seq)
        .map((r) => ({
          gatewayId: 'gw-1',
          seq: r.seq,
          sensorId: r.sensorId,
          locationId: r.locationId,
          ts: r.ts,
        }));
    const pick = (rs: Reading[]) =>
      rs.map((r) => ({
        gatewayId: r.gatewayId,
        seq: r.seq,
        sensorId: r.sensorId,
        locationId: r.locationId,
        ts: r.ts,
      }));

    it('merges the units’ custody intervals per location into the lot’s timeline', async () => {
      const t = await get('/api/v1/lots/LOT-T/temperature?limit=1');
      expect(t.intervals).toEqual([
        { locationId: 'room-1', from: at(0), to: null, units: 3 },
        { locationId: 'truck-1', from: at(5), to: at(10), units: 1 },
        { locationId: 'truck-1', from: at(30), to: null, units: 2 },
        { locationId: 'store-1', from: at(60), to: null, units: 1 },
      ]);
    });

    it('returns exactly the readings taken where the units were while they were there, paged without loss', async () => {
      const expected = expectedReadings();
      expect(expected.length).toBeGreaterThan(150);
      expect(expected.some((r) => r.locationId === 'store-2')).toBe(false);
      const all = await get('/api/v1/lots/LOT-T/temperature?limit=20000');
      expect(all.nextAfter).toBeNull();
      expect(pick(all.readings)).toEqual(expected);
      expect(
        all.readings.find((r: Reading) => r.sensorId === 's-truck' && r.ts === at(40) + 1000),
      ).toMatchObject({
        tempC: 12,
      });

      const paged: Reading[] = [];
      let url = '/api/v1/lots/LOT-T/temperature?limit=7';
      let pages = 0;
      for (;;) {
        const page = await get(url);
        expect(page.readings.length).toBeLessThanOrEqual(7);
        paged.push(...page.readings);
        pages++;
        if (!page.nextAfter) break;
        url = `/api/v1/lots/LOT-T/temperature?limit=7&after=${encodeURIComponent(page.nextAfter)}`;
      }
      expect(pages).toBe(Math.ceil(expected.length / 7));
      expect(pick(paged)).toEqual(expected);
    });

    it('clips to from/to', async () => {
      const t = await get(`/api/v1/lots/LOT-T/temperature?from=${at(8)}&to=${at(32)}`);
      const expected = expectedReadings(at(8), at(32));
      expect(pick(t.readings)).toEqual(expected);
      // E3's truck stay [5, 10) and the truck from 30 on, not the truck between.
      const truck = t.readings.filter((r: Reading) => r.locationId === 'truck-1').map((r: Reading) => r.ts);
      expect(truck).toEqual([at(8), at(9), at(30), at(31)].map((x) => x + 1000));
    });

    it('traces every unit with its custody path, where it is now and its lock state, paged by EPC', async () => {
      const first = await get('/api/v1/lots/LOT-T/trace?limit=2');
      expect(first.total).toBe(3);
      expect(first.units).toHaveLength(2);
      expect(first.nextAfter).toBe(first.units[1].epc);
      const second = await get(`/api/v1/lots/LOT-T/trace?limit=2&after=${first.nextAfter}`);
      expect(second.nextAfter).toBeNull();
      const units: TraceUnit[] = [...first.units, ...second.units];
      expect(units.map((u) => u.epc)).toEqual([E1, E2, E3].sort());
      // Each unit also by the GTIN and serial its SGTIN-96 decodes to.
      expect(units.map((u) => [u.epc, u.gtin, u.serial])).toEqual(
        [
          [E1, GTIN, '11'],
          [E2, GTIN, '12'],
          [E3, GTIN, '13'],
        ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
      );
      const byEpc = new Map(units.map((u) => [u.epc, u]));
      for (const [e, iv] of Object.entries(CUSTODY)) {
        const u = byEpc.get(e)!;
        expect(u.custody.map((c) => [c.locationId, c.enteredAt, c.leftAt])).toEqual(iv);
        expect(u.location).toBe(iv[iv.length - 1]![0]);
      }
      expect(byEpc.get(E1)).toMatchObject({ lockState: 'locked', locked: true });
      expect(byEpc.get(E2)).toMatchObject({ lockState: 'locked', locked: true });
      expect(byEpc.get(E3)).toMatchObject({ lockState: 'free', locked: false, locks: [] });
      expect(byEpc.get(E1)!.locks).toEqual([
        expect.objectContaining({ locationId: 'truck-1', state: 'active', lotId: 'LOT-T' }),
      ]);
      // The other lot's unit is not part of it.
      expect(byEpc.has(OTHER)).toBe(false);
      const other = await get('/api/v1/lots/LOT-O/trace');
      expect(other).toMatchObject({
        total: 1,
        nextAfter: null,
        units: [{ epc: OTHER, location: 'store-2' }],
      });
    });

    it('gives the lot’s MKT over its custody so far beside the MKT over its excursions', async () => {
      // By hand (USP <1079>, ΔH/R = 10000 K), from the stays above and one reading a minute per sensor, each
      // holding until the next: 12 °C for 15 min (the truck, minutes 35–49, while E1 and E2 were aboard);
      // 5 °C for 170 min 2 s: the room from 0 on (90 min, plus 1 s of the reading of minute −1, which holds
      // until 0:01), the truck 5–10 (5 min) and from 30 on (45 min, plus 1 s), store-1 from 60 on (30 min).
      const e = (c: number) => Math.exp(-10_000 / (c + 273.15));
      const w12 = 15;
      const w5 = 170 + 2 / 60;
      const byHand = 10_000 / -Math.log((w12 * e(12) + w5 * e(5)) / (w12 + w5)) - 273.15;
      const lot = await get('/api/v1/lots/LOT-T');
      expect(lot.custodyMktC).toBeCloseTo(byHand, 9);
      expect(lot.mktC).not.toBeCloseTo(byHand, 2); // over the excursion windows only: another figure
      // The excursion that locked E1 and E2 gives the same figure in its lot's assessment, the lot's
      // number, and the units by GTIN and serial.
      const locks = await get('/api/v1/locks?state=active');
      const ex = await get(`/api/v1/excursions/${encodeURIComponent(locks[0].excursionId)}`);
      const card = ex.affectedLots.find((l: { lotId: string }) => l.lotId === 'LOT-T');
      expect(card.lotNumber).toBe('T1');
      expect(card.assessment.custodyMktC).toBeCloseTo(byHand, 9);
      expect(card.assessment.mktC).toBe(lot.mktC);
      expect(card.units).toEqual([E1, E2].map((x, i) => ({ epc: x, gtin: GTIN, serial: String(11 + i) })));
    });

    it('documents both in the OpenAPI description', async () => {
      const doc = (await cloud.app.inject({ url: '/openapi.json' })).json();
      for (const p of ['/api/v1/lots/{id}/temperature', '/api/v1/lots/{id}/trace']) {
        const op = doc.paths[p]?.get;
        expect(op, p).toBeDefined();
        expect(op.responses['200'].content['application/json'].schema.properties).toHaveProperty('nextAfter');
        expect(op.parameters.map((x: { name: string }) => x.name)).toEqual(
          expect.arrayContaining(['id', 'limit', 'after']),
        );
      }
    });
  });
}
