import { sgtin96Hex } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudConfigSchema } from '../../src/config.js';
import { DEFAULT_EPCIS_BASE_URI } from '../../src/epcis/epcis-identifiers.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { epcisErrors } from '../epcis/epcis-schema.js';
import { bearer } from '../helpers/auth.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { hasPoppler, pdfToText } from './pdf-tools.js';

const MIN = 60_000;
const EPC1 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 });
const EPC2 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 2 });

let cloud: TestCloud;
let viewer: { authorization: string };

/** A real cloud (temp SQLite): cold room → truck pass, a reefer excursion on the truck, truck → store. */
beforeAll(async () => {
  cloud = await startTestCloud();
  viewer = await bearer(cloud, ['viewer']);
  const now = Date.now();
  const limits = { min_c: 2, max_c: 8, alarm_delay_ms: 10 * MIN, critical_margin_c: 5, max_gap_ms: 5 * MIN };
  await cloud.store.upsertLocation({ id: 'room-1', name: 'Cold room 1', kind: 'room', ...limits }, now);
  await cloud.store.upsertLocation({ id: 'truck-1', name: 'Truck 1', kind: 'vehicle', ...limits }, now);
  await cloud.store.upsertLocation({ id: 'store-1', name: 'Store 1', kind: 'store', ...limits }, now);
  await cloud.store.upsertGateway({ id: 'gw', now });
  const temps = [5, 5, ...Array(20).fill(11), 5, 5, 5];
  await cloud.store.ingestReadings(
    'gw',
    readingsBatch(
      'gw',
      readings(temps.length, { sensorId: 'reefer-1', locationId: 'truck-1', stepMs: MIN }).map((r, i) => ({
        ...r,
        tempC: temps[i]!,
      })),
    ),
    now,
  );
  const moves = [
    movement(1, EPC1, { from: 'room-1', to: 'truck-1', ts: T0, firstSeen: T0 - 500, lastSeen: T0 + 500 }),
    movement(2, EPC2, { from: 'room-1', to: 'truck-1', ts: T0, firstSeen: T0 - 500, lastSeen: T0 + 500 }),
    movement(3, EPC1, {
      portalId: 'store-door',
      from: 'truck-1',
      to: 'store-1',
      direction: 'in',
      ts: T0 + 40 * MIN,
      firstSeen: T0 + 40 * MIN - 500,
      lastSeen: T0 + 40 * MIN + 500,
    }),
  ];
  await cloud.store.ingestMovements(
    'gw',
    { gatewayId: 'gw', firstSeq: 1, lastSeq: 3, sentAt: T0, records: moves },
    now,
  );
  // Stored directly (not through the ingestor): derive custody as the ingest hook would.
  await cloud.evaluator.engine.reconcileEpcs([EPC1, EPC2]);
  await cloud.evaluator.evaluate('truck-1');
});
afterAll(async () => cloud?.stop());

describe('GET /api/v1/excursions/:id/report.pdf', () => {
  it('serves the PDF report of a stored excursion', async () => {
    const [exc] = await listExcursions(cloud.store.db, { locationId: 'truck-1' });
    expect(exc).toBeDefined();
    const res = await cloud.app.inject({
      headers: viewer,
      url: `/api/v1/excursions/${encodeURIComponent(exc!.id)}/report.pdf`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    if (!hasPoppler()) {
      console.warn('SKIPPED PDF text check: poppler-utils is not installed');
      return;
    }
    const text = pdfToText(res.rawPayload);
    expect(text).toContain('Truck 1 (truck-1)');
    expect(text).toContain('Software: coldtrace');
    expect(text).toContain('11.0 °C'); // peak
    // The domain is wired: the exposed units are commissioned to no lot, which the report notes.
    expect(text).not.toContain('not available from this cloud build');
    expect(text.replace(/\s+/g, ' ')).toContain(
      'Note: 2 exposed unit(s) are commissioned to no lot (no product tolerance to assess): GTIN 80614141123458 serial 1, GTIN 80614141123458 serial 2.',
    );
    expect(text).toContain('No lot is affected by this excursion');
  });

  it('answers 404 for an unknown excursion and 401 without credentials', async () => {
    const res = await cloud.app.inject({ headers: viewer, url: '/api/v1/excursions/nope/report.pdf' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
    const anon = await cloud.app.inject({ url: '/api/v1/excursions/nope/report.pdf' });
    expect(anon.statusCode).toBe(401);
  });
});

describe('GET /api/v1/epcis/events', () => {
  it('exports passes and sensor data as a schema-valid EPCIS 2.0 document', async () => {
    const res = await cloud.app.inject({ headers: viewer, url: '/api/v1/epcis/events' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/ld\+json/);
    const doc = res.json();
    expect(epcisErrors(doc)).toEqual([]);
    const events = doc.epcisBody.eventList as Array<Record<string, unknown> & { epcList: string[] }>;
    const shipping = events.find((e) => e.bizStep === 'shipping')!;
    expect(shipping.epcList).toEqual([
      'urn:epc:id:sgtin:0614141.812345.1',
      'urn:epc:id:sgtin:0614141.812345.2',
    ]);
    // Private identifiers under the configured base (default: docs/epcis.md), never the request's Host.
    expect((shipping.readPoint as { id: string }).id).toBe(`${DEFAULT_EPCIS_BASE_URI}/portals/dock-1`);
    expect(events.some((e) => e.bizStep === 'receiving')).toBe(true);
    const sensor = events.find(
      (e) => e.bizStep === 'sensor_reporting' && (e.bizLocation as { id: string }).id.endsWith('/truck-1'),
    )!;
    const report = (sensor.sensorElementList as Array<{ sensorReport: Array<Record<string, unknown>> }>)[0]!
      .sensorReport[0]!;
    expect(report).toMatchObject({ type: 'Temperature', uom: 'CEL', maxValue: 11 });
  });

  it('filters by EPC and time range, and validates its parameters', async () => {
    const byEpc = (
      await cloud.app.inject({ headers: viewer, url: `/api/v1/epcis/events?epc=${EPC2}` })
    ).json();
    expect(epcisErrors(byEpc)).toEqual([]);
    for (const e of byEpc.epcisBody.eventList)
      expect(e.epcList).toEqual(['urn:epc:id:sgtin:0614141.812345.2']);
    const from = new Date(T0 + 30 * MIN).toISOString();
    const late = (
      await cloud.app.inject({ headers: viewer, url: `/api/v1/epcis/events?from=${from}` })
    ).json();
    expect(late.epcisBody.eventList.some((e: { bizStep: string }) => e.bizStep === 'shipping')).toBe(false);
    expect(late.epcisBody.eventList.some((e: { bizStep: string }) => e.bizStep === 'receiving')).toBe(true);
    const bad = await cloud.app.inject({ headers: viewer, url: '/api/v1/epcis/events?from=yesterday' });
    expect(bad.statusCode).toBe(400);
    const inverted = await cloud.app.inject({
      headers: viewer,
      url: `/api/v1/epcis/events?from=${T0 + 1}&to=${T0}`,
    });
    expect(inverted.statusCode).toBe(400);
    const lot = await cloud.app.inject({ headers: viewer, url: '/api/v1/epcis/events?lot=LOT-1' });
    expect(lot.statusCode).toBe(404);
    expect(lot.json().message).toMatch(/LOT-1/);
  });
});

/** Every readPoint, bizLocation and sensor deviceID of an EPCIS document. */
function identifiers(doc: { epcisBody: { eventList: Array<Record<string, unknown>> } }): string[] {
  const ids = new Set<string>();
  for (const e of doc.epcisBody.eventList) {
    for (const k of ['readPoint', 'bizLocation'] as const) {
      const v = e[k] as { id?: string } | undefined;
      if (v?.id) ids.add(v.id);
    }
    for (const el of (e.sensorElementList as Array<{ sensorMetadata?: { deviceID?: string } }>) ?? [])
      if (el.sensorMetadata?.deviceID) ids.add(el.sensorMetadata.deviceID);
  }
  return [...ids].sort();
}

describe('EPCIS identifiers do not depend on how the cloud is reached', () => {
  it('gives the same location, portal and sensor URIs whatever the Host header says', async () => {
    const get = async (headers: Record<string, string>) => {
      const res = await cloud.app.inject({ headers: { ...viewer, ...headers }, url: '/api/v1/epcis/events' });
      expect(res.statusCode).toBe(200);
      return identifiers(res.json());
    };
    const plain = await get({});
    expect(plain).toEqual(
      expect.arrayContaining([
        `${DEFAULT_EPCIS_BASE_URI}/portals/dock-1`,
        `${DEFAULT_EPCIS_BASE_URI}/locations/truck-1`,
        `${DEFAULT_EPCIS_BASE_URI}/sensors/reefer-1`,
      ]),
    );
    expect(plain.every((id) => id.startsWith(`${DEFAULT_EPCIS_BASE_URI}/`))).toBe(true);
    for (const host of ['10.0.0.7:8080', 'cloud.example.com', 'evil.example'])
      expect(await get({ host, 'x-forwarded-host': host, 'x-forwarded-proto': 'https' })).toEqual(plain);
  });

  it('uses the configured epcis.baseUri (trailing slash trimmed) and refuses a non-http(s) one', async () => {
    expect(cloudConfigSchema.parse({}).epcis.baseUri).toBe(DEFAULT_EPCIS_BASE_URI);
    expect(cloudConfigSchema.safeParse({ epcis: { baseUri: 'ftp://cold.example.com' } }).success).toBe(false);
    expect(cloudConfigSchema.safeParse({ epcis: { baseUri: '/api/v1' } }).success).toBe(false);
    const other = await startTestCloud({ epcis: { baseUri: 'https://cold.example.com/api/v1/' } });
    try {
      const now = Date.now();
      const limits = { min_c: 2, max_c: 8, alarm_delay_ms: MIN, critical_margin_c: 5, max_gap_ms: MIN };
      await other.store.upsertLocation({ id: 'room-1', name: 'Room', kind: 'room', ...limits }, now);
      await other.store.upsertGateway({ id: 'gw', now });
      await other.store.ingestMovements(
        'gw',
        {
          gatewayId: 'gw',
          firstSeq: 1,
          lastSeq: 1,
          sentAt: T0,
          records: [movement(1, EPC1, { to: 'room-1' })],
        },
        now,
      );
      await other.evaluator.engine.reconcileEpcs([EPC1]);
      const res = await other.app.inject({
        headers: { ...(await bearer(other, ['viewer'])), host: 'somewhere.else:1234' },
        url: '/api/v1/epcis/events',
      });
      expect(res.statusCode).toBe(200);
      const ids = identifiers(res.json());
      expect(ids).toContain('https://cold.example.com/api/v1/portals/dock-1');
      expect(ids).toContain('https://cold.example.com/api/v1/locations/room-1');
      expect(ids.every((id) => id.startsWith('https://cold.example.com/api/v1/'))).toBe(true);
    } finally {
      await other.stop();
    }
  });
});
