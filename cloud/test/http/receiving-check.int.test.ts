import { gatewayTopic, type Movement, type Scan, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const MIN = 60_000;
const GTIN = '80614141123458';
const at = (min: number) => T0 + min * MIN;
/** The SGTIN-96 of serial n of GTIN 80614141123458 (company prefix 0614141, indicator 8 + item 12345). */
const epc = (serial: number) =>
  sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial, filter: 1 });

const pass = (
  seq: number,
  min: number,
  serial: number,
  from: string,
  to: string,
  portalId: string,
): Movement => ({
  seq,
  epc: epc(serial),
  portalId,
  kind: 'pass',
  from,
  to,
  direction: 'in',
  ts: at(min),
  firstSeen: at(min) - 500,
  lastSeen: at(min) + 500,
  reads: 9,
  peakRssi: -50,
});
const scan = (
  seq: number,
  min: number,
  locationId: string,
  direction: Scan['direction'],
  serial: number | null,
): Scan => ({
  seq,
  kind: 'scan',
  stationId: `${locationId}-station`,
  locationId,
  direction,
  ts: at(min),
  code: `]d201${GTIN}10T1${serial === null ? '' : `\u001d21${serial}`}`,
  format: 'gs1-element-string',
  gtin: GTIN,
  sscc: null,
  hibc: null,
  lot: 'T1',
  serial: serial === null ? null : String(serial),
  expiry: null,
});

/**
 * A delivery from the warehouse to a store through the real cloud (MQTT → ingest → engine → API): tagged
 * cases leave through the dock door, untagged units and loose vials are scanned out; at the store some
 * arrive by scan, one through the store's RFID door, one never, and one that was never shipped turns up.
 */
describe('receiving check: what arrived compared with what was shipped', () => {
  let cloud: TestCloud;
  let viewer: { authorization: string };
  const check = async (query: string) => {
    const res = await cloud.app.inject({
      method: 'GET',
      url: `/api/v1/receiving-check?${query}`,
      headers: viewer,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const WINDOW = `locationId=store&fromLocationId=warehouse&since=${at(30)}&until=${at(180)}`;

  beforeAll(async () => {
    cloud = await startTestCloud({
      ingest: {
        maxFutureSkewMs: Number.MAX_SAFE_INTEGER,
        maxEventAgeMs: Number.MAX_SAFE_INTEGER,
        scans: { companyPrefixes: ['0614141'] },
      },
    });
    const admin = await bearer(cloud, ['admin']);
    viewer = await bearer(cloud, ['viewer']);
    const send = async (method: 'PUT' | 'POST', url: string, payload: unknown) => {
      const res = await cloud.app.inject({ method, url, payload: payload as object, headers: admin });
      expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(300);
    };
    for (const id of ['warehouse', 'truck', 'store', 'other-store'])
      await send('PUT', `/api/v1/locations/${id}`, {
        name: id,
        kind: 'room',
        minC: 2,
        maxC: 8,
        alarmDelayMs: 10 * MIN,
        criticalMarginC: 10,
        maxGapMs: 30 * MIN,
      });
    await send('PUT', `/api/v1/products/${GTIN}`, {
      name: 'Vaccine',
      minC: 2,
      maxC: 8,
      stabilityBudgetMs: 3_600_000,
    });
    await send('PUT', '/api/v1/lots/LOT-T', { gtin: GTIN, lotNumber: 'T1', expiry: '2027-06-30' });
    await send('POST', '/api/v1/lots/LOT-T/epcs', { epcs: [1, 2, 3, 9].map(epc) });

    const publish = async (gatewayId: string, records: Array<Movement | Scan>) => {
      const gw = await cloud.connect(gatewayId, await cloud.addGateway(gatewayId));
      await gw.publishAsync(
        gatewayTopic(gatewayId, 'movements'),
        JSON.stringify({ gatewayId, firstSeq: 1, lastSeq: records.length, sentAt: T0, records }),
        { qos: 1 },
      );
      await gw.endAsync();
    };
    await publish('gw-warehouse', [
      // Stock in the warehouse before the delivery: cases 1-3 through its door, units 501 and 502 scanned in.
      pass(1, 0, 1, 'dock', 'warehouse', 'wh-door'),
      pass(2, 0, 2, 'dock', 'warehouse', 'wh-door'),
      pass(3, 0, 3, 'dock', 'warehouse', 'wh-door'),
      scan(4, 1, 'warehouse', 'receiving', 501),
      scan(5, 1, 'warehouse', 'receiving', 502),
      // The delivery: the cases onto the truck, the untagged units and three loose vials scanned out.
      pass(6, 40, 1, 'warehouse', 'truck', 'wh-dock'),
      pass(7, 40, 2, 'warehouse', 'truck', 'wh-dock'),
      pass(8, 40, 3, 'warehouse', 'truck', 'wh-dock'),
      scan(9, 41, 'warehouse', 'dispatch', 501),
      scan(10, 41, 'warehouse', 'dispatch', 502),
      scan(11, 42, 'warehouse', 'dispatch', null),
      scan(12, 42, 'warehouse', 'dispatch', null),
      scan(13, 42, 'warehouse', 'dispatch', null),
    ]);
    await publish('gw-store', [
      // Case 9 was at the other store, never in the warehouse.
      pass(1, 10, 9, 'dock', 'other-store', 'os-door'),
      // At the store: case 1 scanned (a tagged unit scanned is the same unit), case 2 through the RFID door,
      // unit 501 scanned, case 9 scanned in by mistake; case 3 and unit 502 never arrive; two loose vials.
      scan(2, 120, 'store', 'receiving', 1),
      pass(3, 121, 2, 'truck', 'store', 'store-door'),
      scan(4, 122, 'store', 'receiving', 501),
      scan(5, 123, 'store', 'receiving', 9),
      scan(6, 124, 'store', 'receiving', null),
      scan(7, 124, 'store', 'receiving', null),
    ]);
    await until(async () => {
      await cloud.evaluator.flush();
      return (await check(WINDOW)).matched === 3;
    }, 'the delivery received in custody');
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('names the missing units with where they are now, the unexpected ones with where they came from', async () => {
    const r = await check(WINDOW);
    expect(r).toMatchObject({
      locationId: 'store',
      fromLocationId: 'warehouse',
      since: at(30),
      until: at(180),
    });
    expect(r.matched).toBe(3);
    expect(r.missing).toEqual([
      { epc: epc(3), gtin: GTIN, serial: '3', lotId: 'LOT-T', leftAt: at(40), nowAt: 'truck' },
      { epc: epc(502), gtin: GTIN, serial: '502', lotId: 'LOT-T', leftAt: at(41), nowAt: null },
    ]);
    expect(r.unexpected).toEqual([
      {
        epc: epc(9),
        gtin: GTIN,
        serial: '9',
        lotId: 'LOT-T',
        receivedAt: at(123),
        via: { kind: 'scan', id: 'store-station' },
        cameFrom: 'other-store',
      },
    ]);
    expect(r.quantities).toEqual([{ lotId: 'LOT-T', shipped: 3, received: 2, difference: -1 }]);
  });

  it('a window before the delivery finds nothing shipped and nothing received', async () => {
    const r = await check(`locationId=store&fromLocationId=warehouse&since=${at(0)}&until=${at(30)}`);
    expect(r).toMatchObject({ matched: 0, missing: [], unexpected: [], quantities: [] });
  });
});
