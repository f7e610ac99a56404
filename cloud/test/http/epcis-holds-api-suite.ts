import { encodeGatewayPayload, type Reading, type Scan } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { epcisErrors } from '../epcis/epcis-schema.js';
import { createUser, login, type Session, type TestUser } from '../helpers/auth.js';
import { readingsBatch, T0, untaggedScan } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const MIN = 60_000;
const GTIN = '80614141123458';
/** No tag of the GTIN is commissioned: the lot's class is its GS1 Digital Link URI (docs/epcis.md). */
const CLASS = `https://id.gs1.org/01/${GTIN}/10/Q1`;
const at = (min: number) => T0 + min * MIN;
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 10, maxGapMs: 30 * MIN };

const scan = (min: number, direction: Scan['direction'] = 'putaway'): Scan =>
  untaggedScan({ ts: at(min), gtin: GTIN, lot: 'Q1', locationId: 'fridge', direction });

const reading = (min: number, tempC: number): Reading => ({
  seq: 0,
  sensorId: 's-fridge',
  locationId: 'fridge',
  ts: at(min),
  tempC,
  quality: 'ok',
});

type Ev = Record<string, unknown> & { eventTime: string };

/**
 * docs/epcis.md "Quantity holds" through the cloud (ingest → engine → QA decision → `GET /epcis/events`):
 * vials without serial held by a fridge's excursion appear in the lot's and the whole export as a holding
 * event with their lot's class and count, the QA reject as its end at the signature time, and their signed
 * destruction as a destroying event of the same class and count. On SQLite
 * (epcis-holds-api.int.test.ts) and PostgreSQL (epcis-holds-api.pg.svc.test.ts).
 */
export function epcisHoldsApiSuite(
  name: string,
  store: () => Promise<Pick<CloudConfigInput, 'database'>>,
): void {
  describe(`quantity holds in the EPCIS export, through the cloud (${name})`, () => {
    let cloud: TestCloud;
    let qa: TestUser;
    let session: Session;
    let seq = 0;
    let excursionId: string;

    const call = async (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) => {
      const res = await cloud.app.inject({ method, url, payload, headers: session.headers as never });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    const publish = async (topic: 'readings' | 'movements', records: Array<Reading | Scan>) => {
      const numbered = records.map((r) => ({ ...r, seq: ++seq }));
      const out = await cloud.ingestor.handle({
        topic: `coldtrace/v1/gw/gw-a/${topic}`,
        payload: Buffer.from(encodeGatewayPayload(topic, readingsBatch('gw-a', numbered as never) as never)),
      });
      expect(out.kind).toBe('stored');
    };
    const holdEvents = async (query: string): Promise<Ev[]> => {
      const doc = await call('GET', `/api/v1/epcis/events${query}`);
      expect(epcisErrors(doc)).toEqual([]);
      return doc.epcisBody.eventList.filter((e: Ev) => 'ct:holdId' in e);
    };
    const holdRow = () =>
      cloud.evaluator.engine.db
        .selectFrom('quantity_holds')
        .selectAll()
        .where('lot_id', '=', 'LOT-Q')
        .executeTakeFirstOrThrow();

    beforeAll(async () => {
      cloud = await startTestCloud({ mqtt: { embedded: { enabled: false } }, ...(await store()) });
      const admin = await createUser(cloud.store, { roles: ['admin'] });
      qa = await createUser(cloud.store, { roles: ['qa'], printedName: 'Quinn Assurance' });
      session = await login(cloud, admin.username, admin.password);
      await call('PUT', '/api/v1/locations/fridge', { name: 'fridge', kind: 'room', ...LIMITS });
      await call('PUT', `/api/v1/products/${GTIN}`, {
        name: 'Vaccine',
        minC: 2,
        maxC: 8,
        stabilityBudgetMs: 0,
      });
      await call('PUT', '/api/v1/lots/LOT-Q', { gtin: GTIN, lotNumber: 'Q1', expiry: '2027-12-31' });
      await call('PUT', '/api/v1/lots/LOT-L', { gtin: GTIN, lotNumber: 'L1', expiry: '2027-12-31' });
      session = await login(cloud, qa.username, qa.password);
      await cloud.addGateway('gw-a');
      // Three vials of LOT-Q into the fridge, one picked out before it warms: two on hand.
      await publish('movements', [scan(5), scan(6), scan(7), scan(8, 'picking')]);
      // 12 °C from minute 20 to 44: an excursion.
      await publish(
        'readings',
        Array.from({ length: 31 }, (_, k) => reading(2 * k, 2 * k >= 20 && 2 * k < 45 ? 12 : 5)),
      );
      await until(async () => {
        await cloud.evaluator.flush();
        return (await call('GET', '/api/v1/quantity-holds?state=active')).length === 1;
      }, 'LOT-Q held');
      [{ id: excursionId }] = await call('GET', '/api/v1/excursions?locationId=fridge');
    });
    afterAll(async () => {
      await cloud?.stop();
    });

    it('an active hold is a holding event of the lot class and count, in the lot’s and the whole export', async () => {
      const row = await holdRow();
      const id = `LOT-Q|fridge|${excursionId}`;
      const lot = await holdEvents('?lot=LOT-Q');
      expect(lot).toEqual([
        expect.objectContaining({
          eventTime: new Date(Number(row.created_at)).toISOString(),
          quantityList: [{ epcClass: CLASS, quantity: 2 }],
          action: 'OBSERVE',
          bizStep: 'holding',
          disposition: 'non_sellable_other',
          persistentDisposition: { set: ['non_sellable_other'] },
          bizLocation: { id: expect.stringMatching(/\/locations\/fridge$/) },
          'ct:holdId': id,
          'ct:excursionId': excursionId,
        }),
      ]);
      expect(await holdEvents('')).toEqual(lot);
      // Another lot's export has none of them.
      expect(await holdEvents('?lot=LOT-L')).toEqual([]);
    });

    it('a QA reject ends it at the signature time (unset, non_conformant set); a window after its end has none', async () => {
      const signed = await call(
        'POST',
        `/api/v1/excursions/${encodeURIComponent(excursionId)}/dispositions`,
        {
          lotId: 'LOT-Q',
          decision: 'reject',
          reason: 'held above 8 °C for 25 min',
          username: qa.username,
          password: qa.password,
        },
      );
      const d = await cloud.evaluator.engine.db
        .selectFrom('dispositions')
        .select('signed_at')
        .where('id', '=', signed.id)
        .executeTakeFirstOrThrow();
      const ev = await holdEvents('?lot=LOT-Q');
      expect(ev.map((e) => e.bizStep)).toEqual(['holding', 'inspecting']);
      expect(ev[1]).toMatchObject({
        eventTime: new Date(Number(d.signed_at)).toISOString(),
        quantityList: [{ epcClass: CLASS, quantity: 2 }],
        disposition: 'non_conformant',
        persistentDisposition: { unset: ['non_sellable_other'], set: ['non_conformant'] },
        'ct:outcome': 'rejected',
        'ct:reason': 'held above 8 °C for 25 min',
      });
      // The hold was in force across the window (held before it, ended in it): both of its events come.
      const row = await holdRow();
      const from = Number(row.created_at) + 1;
      expect(from).toBeLessThanOrEqual(Number(d.signed_at));
      expect(await holdEvents(`?lot=LOT-Q&from=${from}`)).toHaveLength(2);
      expect(await holdEvents(`?lot=LOT-Q&from=${Number(d.signed_at) + 1}`)).toEqual([]);
    });

    it('the signed destruction of the rejected held units is a destroying event of their class and count', async () => {
      const closure = await call('POST', '/api/v1/stock-closures', {
        lotId: 'LOT-Q',
        outcome: 'destroyed',
        reference: 'DC-2025-17',
        reason: 'incinerated by the contractor',
        username: qa.username,
        password: qa.password,
      });
      for (const query of ['?lot=LOT-Q', '']) {
        const doc = await call('GET', `/api/v1/epcis/events${query}`);
        expect(epcisErrors(doc)).toEqual([]);
        const ends = doc.epcisBody.eventList.filter((e: Ev) => 'ct:closureId' in e);
        expect(ends).toEqual([
          expect.objectContaining({
            quantityList: [{ epcClass: CLASS, quantity: 2 }],
            bizStep: 'destroying',
            disposition: 'destroyed',
            bizLocation: { id: expect.stringMatching(/\/locations\/fridge$/) },
            'ct:closureId': closure.id,
            'ct:reference': 'DC-2025-17',
          }),
        ]);
        expect(ends[0]).not.toHaveProperty('epcList');
      }
      // Another lot's export does not carry it.
      const other = await call('GET', '/api/v1/epcis/events?lot=LOT-L');
      expect(other.epcisBody.eventList.filter((e: Ev) => 'ct:closureId' in e)).toEqual([]);
    });
  });
}
