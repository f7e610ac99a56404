import { decodeEpc, gatewayTopic, type Scan } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { epcisErrors } from '../epcis/epcis-schema.js';
import { bearer } from '../helpers/auth.js';
import { readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const MIN = 60_000;
const GTIN = '80614141123458';
const at = (min: number) => T0 + min * MIN;

const scan = (seq: number, min: number, over: Partial<Scan> = {}): Scan => ({
  seq,
  kind: 'scan',
  stationId: 'fridge-2',
  locationId: 'fridge',
  direction: 'putaway',
  ts: at(min),
  code: `]d201${GTIN}10T1`,
  format: 'gs1-element-string',
  gtin: GTIN,
  sscc: null,
  hibc: null,
  lot: 'T1',
  serial: null,
  expiry: null,
  ...over,
});

/**
 * Scans through the real cloud (MQTT → ingest → engine → API): an untagged serialised unit and three vials
 * without serial put into a fridge that then warms up (docs/barcode.md "Scans in the cloud"). On SQLite
 * (scans-api.int.test.ts) and PostgreSQL (scans-api.pg.svc.test.ts): `store()` gives the database setting.
 */
export function scansApiSuite(name: string, store: () => Promise<Pick<CloudConfigInput, 'database'>>): void {
  describe(`barcode scans through the cloud: custody, locks, quantities, flags, trace, EPCIS (${name})`, () => {
    let cloud: TestCloud;
    let viewer: { authorization: string };
    const get = async (url: string) => {
      const res = await cloud.app.inject({ method: 'GET', url, headers: viewer });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      return res.json();
    };

    beforeAll(async () => {
      cloud = await startTestCloud({
        ...(await store()),
        ingest: {
          maxFutureSkewMs: Number.MAX_SAFE_INTEGER,
          maxEventAgeMs: Number.MAX_SAFE_INTEGER,
          scans: { companyPrefixes: ['0614141'] },
        },
      });
      const admin = await bearer(cloud, ['admin']);
      viewer = await bearer(cloud, ['viewer']);
      const put = async (url: string, payload: unknown) => {
        const res = await cloud.app.inject({
          method: 'PUT',
          url,
          payload: payload as object,
          headers: admin,
        });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      };
      for (const id of ['dock', 'fridge'])
        await put(`/api/v1/locations/${id}`, {
          name: id,
          kind: 'room',
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

      const secret = await cloud.addGateway('gw-1');
      const gw = await cloud.connect('gw-1', secret);
      const records = [
        // A serialised untagged unit received at the dock, put into the fridge; its label's expiry is not the lot's.
        scan(1, 0, {
          stationId: 'dock-1',
          locationId: 'dock',
          direction: 'receiving',
          serial: '501',
          expiry: '2027-05-31',
        }),
        scan(2, 5, { serial: '501' }),
        // Three vials without serial into the fridge, one picked out again before the fridge warms.
        scan(3, 6),
        scan(4, 6),
        scan(5, 7),
        scan(6, 8, { direction: 'picking' }),
      ];
      await gw.publishAsync(
        gatewayTopic('gw-1', 'movements'),
        JSON.stringify({ gatewayId: 'gw-1', firstSeq: 1, lastSeq: records.length, sentAt: T0, records }),
        { qos: 1 },
      );
      // The fridge is at 12 °C from minute 20 to 45: an excursion with the unit and two vials inside.
      const readings = Array.from({ length: 61 }, (_, m) => ({
        seq: m + 1,
        sensorId: 's-fridge',
        locationId: 'fridge',
        ts: at(m) + 1000,
        tempC: m >= 20 && m < 45 ? 12 : 5,
        quality: 'ok' as const,
      }));
      await gw.publishAsync(
        gatewayTopic('gw-1', 'readings'),
        JSON.stringify(readingsBatch('gw-1', readings)),
        {
          qos: 1,
        },
      );
      await gw.endAsync();
      await until(async () => {
        await cloud.evaluator.flush();
        const res = await cloud.app.inject({ url: '/api/v1/locks?state=active', headers: viewer });
        return res.json().length === 1;
      }, 'the scanned unit locked');
    });
    afterAll(async () => {
      await cloud?.stop();
    });

    it('the untagged serialised unit has custody under its SGTIN, is locked by the excursion and in the recall trace', async () => {
      const [lock] = await get('/api/v1/locks?state=active');
      expect(decodeEpc(lock.epc)).toMatchObject({ pureIdentityUri: 'urn:epc:id:sgtin:0614141.812345.501' });
      expect(lock).toMatchObject({ lotId: 'LOT-T', locationId: 'fridge' });
      const trace = await get('/api/v1/lots/LOT-T/trace');
      expect(trace.units).toHaveLength(1);
      expect(trace.units[0]).toMatchObject({ epc: lock.epc, location: 'fridge', locked: true });
      expect(trace.units[0].custody.map((c: { locationId: string }) => c.locationId)).toEqual([
        'dock',
        'fridge',
      ]);
    });

    it('units without serial are counted per location, with the excursion they were exposed to', async () => {
      const q = await get('/api/v1/lots/LOT-T/quantities');
      const [excursion] = await get('/api/v1/excursions');
      expect(q).toEqual({
        lotId: 'LOT-T',
        locations: [
          {
            locationId: 'fridge',
            scannedIn: 3,
            scannedOut: 1,
            onHand: 2,
            firstScanAt: at(6),
            lastScanAt: at(8),
            // The two vials on hand are held by the excursion (quantity hold).
            exposures: [
              {
                excursionId: excursion.id,
                from: at(20) + 1000,
                to: at(45) + 1000,
                units: 2,
                hold: expect.objectContaining({ state: 'active', units: 2, dispositionId: null }),
              },
            ],
          },
        ],
      });
    });

    it('the excursion names the lots whose units without serial were on hand during it', async () => {
      const [excursion] = await get('/api/v1/excursions');
      expect(await get(`/api/v1/excursions/${encodeURIComponent(excursion.id)}/quantities`)).toEqual({
        excursionId: excursion.id,
        locationId: 'fridge',
        lots: [{ lotId: 'LOT-T', units: 2, hold: expect.objectContaining({ state: 'active', units: 2 }) }],
      });
    });

    it('a code contradicting master data is flagged, visible per lot', async () => {
      const flagged = await get('/api/v1/scans?flagged=true&lotId=LOT-T');
      expect(flagged).toHaveLength(1);
      expect(flagged[0]).toMatchObject({
        seq: 1,
        stationId: 'dock-1',
        lotId: 'LOT-T',
        flags: [{ code: 'scan_expiry_mismatch', detail: expect.stringContaining('2027-05-31') }],
      });
      expect(await get('/api/v1/scans?lotId=LOT-T')).toHaveLength(6);
    });

    it('pages by cursor in a total order (ties in time across a page boundary) and filters by location and time', async () => {
      const all = await get('/api/v1/scans');
      expect(all.map((s: { seq: number }) => s.seq)).toEqual([6, 5, 4, 3, 2, 1]);
      expect(all[0]).toMatchObject({ lotId: 'LOT-T', lot: 'T1', lotNumber: 'T1' });
      // Scans 4 and 3 share their time: three a page puts the boundary between them.
      const first = await get('/api/v1/scans?limit=3');
      expect(first.items.map((s: { seq: number }) => s.seq)).toEqual([6, 5, 4]);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await get(`/api/v1/scans?limit=3&cursor=${first.nextCursor}`);
      expect(second).toMatchObject({ nextCursor: null });
      expect(second.items.map((s: { seq: number }) => s.seq)).toEqual([3, 2, 1]);
      expect([...first.items, ...second.items]).toEqual(all);
      const dock = await get('/api/v1/scans?limit=10&locationId=dock');
      expect(dock.items.map((s: { seq: number }) => s.seq)).toEqual([1]);
      const window = await get(`/api/v1/scans?limit=10&from=${at(6)}&to=${at(8)}`);
      expect(window.items.map((s: { seq: number }) => s.seq)).toEqual([5, 4, 3]);
      expect(await get('/api/v1/scans?flagged=true')).toHaveLength(1); // scan 1, at minute 0
      const flaggedInWindow = await get(`/api/v1/scans?flagged=true&from=${at(1)}`);
      expect(flaggedInWindow).toEqual([]);
    });

    it('the lot’s EPCIS export holds the scans (receiving, storing, picking) and is valid against the official schema', async () => {
      const res = await cloud.app.inject({ url: '/api/v1/epcis/events?lot=LOT-T', headers: viewer });
      expect(res.statusCode, res.body).toBe(200);
      const doc = res.json();
      expect(epcisErrors(doc)).toEqual([]);
      const scans = doc.epcisBody.eventList.filter((e: Record<string, unknown>) => 'ct:scanDirection' in e);
      // Scans minutes apart are separate events (one per station, direction and grouping window).
      expect(scans.map((e: Record<string, unknown>) => e.bizStep)).toEqual([
        'receiving',
        'storing',
        'storing',
        'storing',
        'picking',
      ]);
      expect(scans[1]).toMatchObject({ epcList: ['urn:epc:id:sgtin:0614141.812345.501'] });
      expect(scans[1]).not.toHaveProperty('quantityList');
      expect(scans.slice(2).map((e: Record<string, unknown>) => e.quantityList)).toEqual([
        [{ epcClass: 'urn:epc:class:lgtin:0614141.812345.T1', quantity: 2 }],
        [{ epcClass: 'urn:epc:class:lgtin:0614141.812345.T1', quantity: 1 }],
        [{ epcClass: 'urn:epc:class:lgtin:0614141.812345.T1', quantity: 1 }],
      ]);
    });
  });
}
