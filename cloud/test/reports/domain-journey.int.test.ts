import { describe, expect, it } from 'vitest';
import { epcisErrors } from '../epcis/epcis-schema.js';
import { login } from '../helpers/auth.js';
import { type Event, MIN, T, URIS_A, URIS_B, useDomainJourney } from './domain-journey-fixture.js';

const j = useDomainJourney();

describe('EPCIS export by lot, wired to the domain engine', () => {
  it('lot A: schema-valid; shipping and receiving passes, truck sensor data with the excursion max, lock set/unset (release)', async () => {
    const doc = await j.exportLot('LOT-A');
    expect(epcisErrors(doc)).toEqual([]);
    const events = doc.epcisBody.eventList;
    for (const e of events) for (const u of e.epcList) expect(URIS_A).toContain(u);

    const shipping = events.filter((e) => e.bizStep === 'shipping');
    expect(shipping).toHaveLength(1);
    expect(shipping[0]!.epcList).toEqual(URIS_A);
    expect(shipping[0]!.disposition).toBe('in_transit');
    expect(shipping[0]!.eventTime).toBe(new Date(T + 20 * MIN).toISOString());
    const receiving = events.filter((e) => e.bizStep === 'receiving');
    expect(receiving).toHaveLength(1);
    expect(receiving[0]!.bizLocation!.id).toMatch(/\/api\/v1\/locations\/store-3$/);

    const truck = events.filter(
      (e) => e.bizStep === 'sensor_reporting' && e.bizLocation!.id.endsWith('/locations/truck-7'),
    );
    expect(truck).toHaveLength(1);
    const el = truck[0]!.sensorElementList![0]!;
    expect((el as unknown as { sensorMetadata: Record<string, string> }).sensorMetadata).toMatchObject({
      startTime: new Date(T + 20 * MIN).toISOString(),
      endTime: new Date(T + 130 * MIN).toISOString(),
    });
    expect(el.sensorReport[0]).toMatchObject({
      type: 'Temperature',
      uom: 'CEL',
      minValue: 5,
      maxValue: 13.5,
    });
    // The cold room interval before the pass is not known (custody starts at the first pass); the store
    // interval is ongoing.
    const store = events.find(
      (e) => e.bizStep === 'sensor_reporting' && e.bizLocation!.id.endsWith('/store-3'),
    );
    expect(store).toBeUndefined(); // no sensor in store-3: no sensor data, no event

    const set = events.filter((e) => e.persistentDisposition?.set?.includes('non_sellable_other'));
    const unset = events.filter((e) => e.persistentDisposition?.unset?.includes('non_sellable_other'));
    expect(set).toHaveLength(1);
    expect(set[0]).toMatchObject({ bizStep: 'holding', disposition: 'non_sellable_other', epcList: URIS_A });
    expect(set[0]!['ct:excursionId']).toBe(j.excursionId);
    expect(unset).toHaveLength(1);
    expect(unset[0]).toMatchObject({
      bizStep: 'inspecting',
      disposition: 'sellable_accessible',
      epcList: URIS_A,
      'ct:outcome': 'released',
      'ct:lockId': set[0]!['ct:lockId'],
    });
    expect(unset[0]!.persistentDisposition!.set).toBeUndefined();
    const dispositions = (await j.ok('GET', '/api/v1/dispositions')).json() as Array<{
      lotId: string;
      signature: { signedAt: number };
    }>;
    const signedA = dispositions.find((d) => d.lotId === 'LOT-A')!.signature.signedAt;
    expect(unset[0]!.eventTime).toBe(new Date(signedA).toISOString());
    expect(Date.parse(set[0]!.eventTime)).toBeLessThanOrEqual(signedA);
  });

  it('lot B: rejected → unset non_sellable_other and set non_conformant; the truck interval is ongoing', async () => {
    const doc = await j.exportLot('LOT-B');
    expect(epcisErrors(doc)).toEqual([]);
    const events = doc.epcisBody.eventList;
    for (const e of events) for (const u of e.epcList) expect(URIS_B).toContain(u);
    expect(events.filter((e) => e.bizStep === 'shipping').map((e) => e.epcList)).toEqual([URIS_B]);
    expect(events.some((e) => e.bizStep === 'receiving')).toBe(false);
    const truck = events.find((e) => e.bizStep === 'sensor_reporting')!;
    expect(truck['ct:custodyOngoing']).toBe(true);
    expect(truck.sensorElementList![0]!.sensorReport[0]).toMatchObject({ maxValue: 13.5, uom: 'CEL' });
    const unset = events.filter((e) => e.persistentDisposition?.unset);
    expect(unset).toHaveLength(1);
    expect(unset[0]).toMatchObject({
      disposition: 'non_conformant',
      persistentDisposition: { unset: ['non_sellable_other'], set: ['non_conformant'] },
      'ct:outcome': 'rejected',
      epcList: URIS_B,
    });
  });

  it('answers 404 for an unknown lot, and all lots together stay schema-valid', async () => {
    const res = await j.api('GET', '/api/v1/epcis/events?lot=LOT-NOPE');
    expect(res.status).toBe(404);
    expect(res.json().message).toMatch(/LOT-NOPE/);
    const all = (await j.ok('GET', '/api/v1/epcis/events')).json();
    expect(epcisErrors(all)).toEqual([]);
    const locks = (all.epcisBody.eventList as Event[]).filter((e) =>
      e.persistentDisposition?.set?.includes('non_sellable_other'),
    );
    expect(locks.map((e) => e.epcList).sort()).toEqual([URIS_A, URIS_B]);
  });
});

describe('rejected stock followed to its end (docs/domain.md "Rejected stock to its end")', () => {
  it('shows LOT-B as rejected and awaiting destruction or return until a signed closing record', async () => {
    const awaiting = (await j.ok('GET', '/api/v1/rejected-stock')).json();
    expect(awaiting).toEqual([
      {
        lotId: 'LOT-B',
        units: 2,
        rejectedAt: expect.any(Number),
        whereNow: { 'truck-7': 2 },
        heldUnits: 0,
        held: [],
      },
    ]);
    const summary = (await j.ok('GET', '/api/v1/summary')).json();
    expect(summary.rejectedAwaitingClosure).toBe(2);
    const bruno = (await login(j.cloud, j.qa2.username, j.qa2.password)).headers;
    const close = (payload: object) =>
      j.api(
        'POST',
        '/api/v1/stock-closures',
        { lotId: 'LOT-B', username: j.qa2.username, password: j.qa2.password, ...payload },
        bruno,
      );
    // Nothing closes without its reference; LOT-A (released) has nothing to close.
    expect((await close({ outcome: 'returned', reference: ' ', reason: 'back to supplier' })).status).toBe(
      400,
    );
    expect(
      (await close({ lotId: 'LOT-A', outcome: 'destroyed', reference: 'DC-1', reason: 'x' })).status,
    ).toBe(409);
    const closed = await close({
      outcome: 'returned',
      reference: 'RMA-2026-0117',
      reason: 'returned to supplier',
    });
    expect(closed.status).toBe(201);
    expect(closed.json()).toMatchObject({
      outcome: 'returned',
      reference: 'RMA-2026-0117',
      units: 2,
      signature: { printedName: 'Bruno Prüfer', meaning: expect.stringMatching(/^Return recorded/) },
      manifestHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect((await j.ok('GET', '/api/v1/rejected-stock')).json()).toEqual([]);
    expect((await j.ok('GET', '/api/v1/summary')).json().rejectedAwaitingClosure).toBe(0);
    // Closed once: a second record finds nothing to close.
    expect((await close({ outcome: 'destroyed', reference: 'DC-9', reason: 'again' })).status).toBe(409);
    // ERP/WMS are told, and the trail has the signed record.
    const events = await j.cloud.store.db
      .selectFrom('outbox')
      .select(['payload'])
      .where('event', '=', 'stock_closed')
      .where('target', '=', 'mqtt')
      .execute();
    expect(events.map((e) => JSON.parse(e.payload))).toEqual([
      expect.objectContaining({
        type: 'stock_closed',
        outcome: 'returned',
        reference: 'RMA-2026-0117',
        lotId: 'LOT-B',
      }),
    ]);
    const trail = (await j.ok('GET', '/api/v1/audit?action=stock')).json();
    expect(trail.map((e: { action: string }) => e.action)).toContain('stock.returned');
    // EPCIS carries the CBV 2.0 terms of a return (bizStep shipping, disposition returned), schema-valid.
    const doc = await j.exportLot('LOT-B');
    expect(epcisErrors(doc)).toEqual([]);
    const returned = doc.epcisBody.eventList.filter((e) => e.disposition === 'returned');
    expect(returned).toEqual([
      expect.objectContaining({
        bizStep: 'shipping',
        'ct:reference': 'RMA-2026-0117',
        epcList: [...URIS_B].sort(),
      }),
    ]);
  });
});
