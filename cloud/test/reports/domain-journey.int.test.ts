import { encodeGatewayPayload, gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_BOX } from '../../src/reports/excursion-report-pdf.js';
import { pdfText } from '../../src/reports/pdf-text.js';
import { LIMIT_COLOURS, SERIES_COLOURS } from '../../src/reports/temperature-chart.js';
import { epcisErrors } from '../epcis/epcis-schema.js';
import { bearer, createUser, login, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { colourMatch, hasPoppler, hexRgb, pdfToText, renderPageRgb } from './pdf-tools.js';

/**
 * A small demo journey through the real cloud (API + embedded broker + domain engine): cases of two lots
 * are commissioned, pass the dock door from the cold room into a truck, the truck's reefer goes out of
 * range (→ excursion → locks), lot A is unloaded at a store; QA releases lot A and rejects lot B with
 * e-signatures. The EPCIS export per lot and the PDF report must show all of it.
 */
const MIN = 60_000;
const CP = '4012345';
const EPCS_A = [1, 2].map((serial) => sgtin96Hex({ companyPrefix: CP, itemRef: '011111', serial }));
const EPCS_B = [3, 4].map((serial) => sgtin96Hex({ companyPrefix: CP, itemRef: '022222', serial }));
const GTIN_A = gtinOf(EPCS_A[0]!)!;
const GTIN_B = gtinOf(EPCS_B[0]!)!;
const uri = (hex: string, serial: number) =>
  `urn:epc:id:sgtin:${CP}.${EPCS_A.includes(hex) ? '011111' : '022222'}.${serial}`;
const URIS_A = [uri(EPCS_A[0]!, 1), uri(EPCS_A[1]!, 2)];
const URIS_B = [uri(EPCS_B[0]!, 3), uri(EPCS_B[1]!, 4)];

type Event = Record<string, unknown> & {
  bizStep: string;
  epcList: string[];
  eventTime: string;
  disposition?: string;
  persistentDisposition?: { set?: string[]; unset?: string[] };
  sensorElementList?: Array<{ sensorReport: Array<Record<string, number | string>> }>;
  bizLocation?: { id: string };
};

let cloud: TestCloud;
let admin: { authorization: string };
let qa: TestUser;
let qa2: TestUser;
let excursionId: string;
/** The journey starts 4 hours ago, so record times (locks, signatures) come after the events. */
const T = Date.now() - 4 * 60 * MIN;

const api = async (
  method: string,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = admin,
) => {
  const res = await cloud.app.inject({ method: method as 'GET', url, payload: payload as object, headers });
  return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body) };
};
const ok = async (
  method: string,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = admin,
) => {
  const r = await api(method, url, payload, headers);
  if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${r.body}`);
  return r;
};

beforeAll(async () => {
  cloud = await startTestCloud();
  admin = await bearer(cloud, ['admin']);
  const limits = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };
  for (const [id, name, kind] of [
    ['coldroom-1', 'Cold room 1', 'room'],
    ['truck-7', 'Truck 7', 'vehicle'],
    ['store-3', 'Store 3', 'store'],
  ] as const)
    await ok('PUT', `/api/v1/locations/${id}`, { name, kind, ...limits });
  await ok('PUT', `/api/v1/products/${GTIN_A}`, {
    name: 'Vaccine A',
    minC: 2,
    maxC: 8,
    stabilityBudgetMs: 120 * MIN,
  });
  await ok('PUT', `/api/v1/products/${GTIN_B}`, {
    name: 'Insulin B',
    minC: 2,
    maxC: 8,
    stabilityBudgetMs: 10 * MIN,
  });
  await ok('PUT', '/api/v1/lots/LOT-A', { gtin: GTIN_A, lotNumber: 'A-2026-01', expiry: '2027-06-30' });
  await ok('PUT', '/api/v1/lots/LOT-B', { gtin: GTIN_B, lotNumber: 'B-2026-07', expiry: '2027-03-31' });
  // The reefer's sensor by name: the report's chart legend names it (docs/qa-pages.md "Pages").
  await ok('PUT', '/api/v1/sensors/reefer-7', { name: 'Reefer probe A', locationId: 'truck-7' });
  await ok('POST', '/api/v1/lots/LOT-A/epcs', { epcs: EPCS_A });
  await ok('POST', '/api/v1/lots/LOT-B/epcs', { epcs: EPCS_B });

  const secret = await cloud.addGateway('gw-dc');
  const gw = await cloud.connect('gw-dc', secret);
  const pass = (seq: number, epc: string, portalId: string, from: string, to: string, ts: number) => ({
    seq,
    epc,
    portalId,
    kind: 'pass',
    from,
    to,
    direction: 'out',
    ts,
    firstSeen: ts - 800,
    lastSeen: ts + 800,
    reads: 9,
    peakRssi: -47,
  });
  const moves = [
    ...[...EPCS_A, ...EPCS_B].map((e, i) =>
      pass(i + 1, e, 'dock-door-1', 'coldroom-1', 'truck-7', T + 20 * MIN),
    ),
    ...EPCS_A.map((e, i) => pass(i + 5, e, 'store-3-door', 'truck-7', 'store-3', T + 130 * MIN)),
  ];
  await gw.publishAsync(
    'coldtrace/v1/gw/gw-dc/movements',
    encodeGatewayPayload('movements', {
      gatewayId: 'gw-dc',
      firstSeq: 1,
      lastSeq: moves.length,
      sentAt: T + 130 * MIN,
      records: moves,
    } as never),
    { qos: 1 },
  );
  // Cold room at 4–5 °C; the reefer at 5 °C, 12–13.5 °C from +40 to +75 min, back to 5 °C.
  const readings = [];
  let seq = 1;
  for (let i = 0; i <= 36; i++) {
    const ts = T + i * 5 * MIN;
    readings.push({
      seq: seq++,
      sensorId: 'cr-1',
      locationId: 'coldroom-1',
      ts,
      tempC: 4 + (i % 2),
      quality: 'ok',
    });
    const hot = ts >= T + 40 * MIN && ts < T + 80 * MIN;
    const tempC = hot ? (ts === T + 60 * MIN ? 13.5 : 12) : 5;
    readings.push({ seq: seq++, sensorId: 'reefer-7', locationId: 'truck-7', ts, tempC, quality: 'ok' });
  }
  await gw.publishAsync(
    'coldtrace/v1/gw/gw-dc/readings',
    encodeGatewayPayload('readings', {
      gatewayId: 'gw-dc',
      firstSeq: 1,
      lastSeq: readings.length,
      sentAt: T + 180 * MIN,
      records: readings,
    } as never),
    { qos: 1 },
  );
  await gw.endAsync();

  const locks = await until(async () => {
    const r = (await api('GET', '/api/v1/locks?state=active')).json() as unknown[];
    return r.length === 4 ? r : null;
  }, 'four active locks');
  expect(locks).toHaveLength(4);
  const excursions = (await ok('GET', '/api/v1/excursions?locationId=truck-7')).json();
  expect(excursions).toHaveLength(1);
  excursionId = excursions[0].id;

  qa = await createUser(cloud.store, { roles: ['qa'], printedName: 'Anna Quality' });
  qa2 = await createUser(cloud.store, { roles: ['qa'], printedName: 'Bruno Prüfer' });
  // Each QA user signs in their own session (an e-signature is accepted only from its owner).
  const sign = async (user: TestUser, lotId: string, decision: string, reason: string) =>
    ok(
      'POST',
      `/api/v1/excursions/${encodeURIComponent(excursionId)}/dispositions`,
      { lotId, decision, reason, username: user.username, password: user.password },
      (await login(cloud, user.username, user.password)).headers,
    );
  await sign(qa, 'LOT-A', 'release', 'Within the stability budget; MKT acceptable');
  await twoPersonRuleOnLotB();
  await sign(qa2, 'LOT-B', 'reject', 'Stability budget exceeded');
});

/**
 * LOT-B is past its stability budget: the excursion says so before anyone signs; releasing it needs a
 * written justification and a second QA user (domain/release-guard.ts), and a rejection still decides it.
 */
async function twoPersonRuleOnLotB() {
  const detail = (await ok('GET', `/api/v1/excursions/${encodeURIComponent(excursionId)}`)).json();
  const needs = (lot: string) =>
    detail.affectedLots.find((l: { lotId: string }) => l.lotId === lot).releaseNeeds;
  expect(needs('LOT-A')).toEqual([]);
  expect(needs('LOT-B')).toEqual([
    expect.stringMatching(/lot LOT-B is past its stability budget \(400 % used\)/),
  ]);
  const anna = (await login(cloud, qa.username, qa.password)).headers;
  const url = `/api/v1/excursions/${encodeURIComponent(excursionId)}/dispositions`;
  const release = {
    lotId: 'LOT-B',
    decision: 'release',
    reason: 'x',
    username: qa.username,
    password: qa.password,
  };
  const short = await api('POST', url, { ...release, justification: 'fine' }, anna);
  expect(short.status).toBe(400);
  expect(short.json().message).toMatch(/justification of at least 50 characters/);
  const proposed = await api(
    'POST',
    url,
    {
      ...release,
      justification: 'Stability study SD-114 covers 60 min at 15 °C for this insulin; MKT 12 °C.',
    },
    anna,
  );
  expect(proposed.status).toBe(202);
  const { proposal } = proposed.json();
  expect(proposal).toMatchObject({ state: 'pending', lotId: 'LOT-B', units: 2 });
  expect(proposal.signature.meaning).toMatch(/^Release proposed/);
  expect(proposal.manifestHash).toMatch(/^[0-9a-f]{64}$/);
  // Still locked; the proposer cannot give the second signature.
  expect((await ok('GET', '/api/v1/lots/LOT-B')).json().units).toMatchObject({ locked: 2 });
  const self = await api(
    'POST',
    `/api/v1/release-proposals/${proposal.id}/approve`,
    { username: qa.username, password: qa.password },
    anna,
  );
  expect(self.status).toBe(403);
  expect(self.json().message).toMatch(/two-person rule/);
  expect((await ok('GET', '/api/v1/release-proposals?state=pending')).json()).toHaveLength(1);
}

afterAll(async () => cloud?.stop());

const exportLot = async (lot: string) => {
  const res = await api('GET', `/api/v1/epcis/events?lot=${lot}`, undefined, await bearer(cloud, ['viewer']));
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as { epcisBody: { eventList: Event[] } };
};

describe('EPCIS export by lot, wired to the domain engine', () => {
  it('lot A: schema-valid; shipping and receiving passes, truck sensor data with the excursion max, lock set/unset (release)', async () => {
    const doc = await exportLot('LOT-A');
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
    expect(set[0]!['ct:excursionId']).toBe(excursionId);
    expect(unset).toHaveLength(1);
    expect(unset[0]).toMatchObject({
      bizStep: 'inspecting',
      disposition: 'sellable_accessible',
      epcList: URIS_A,
      'ct:outcome': 'released',
      'ct:lockId': set[0]!['ct:lockId'],
    });
    expect(unset[0]!.persistentDisposition!.set).toBeUndefined();
    const dispositions = (await ok('GET', '/api/v1/dispositions')).json() as Array<{
      lotId: string;
      signature: { signedAt: number };
    }>;
    const signedA = dispositions.find((d) => d.lotId === 'LOT-A')!.signature.signedAt;
    expect(unset[0]!.eventTime).toBe(new Date(signedA).toISOString());
    expect(Date.parse(set[0]!.eventTime)).toBeLessThanOrEqual(signedA);
  });

  it('lot B: rejected → unset non_sellable_other and set non_conformant; the truck interval is ongoing', async () => {
    const doc = await exportLot('LOT-B');
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
    const res = await api('GET', '/api/v1/epcis/events?lot=LOT-NOPE');
    expect(res.status).toBe(404);
    expect(res.json().message).toMatch(/LOT-NOPE/);
    const all = (await ok('GET', '/api/v1/epcis/events')).json();
    expect(epcisErrors(all)).toEqual([]);
    const locks = (all.epcisBody.eventList as Event[]).filter((e) =>
      e.persistentDisposition?.set?.includes('non_sellable_other'),
    );
    expect(locks.map((e) => e.epcList).sort()).toEqual([URIS_A, URIS_B]);
  });
});

describe('PDF excursion report, wired to the domain engine', () => {
  it('lists the affected lots with their assessment, both signatures and the audit excerpt, with the chart', async () => {
    const res = await api('GET', `/api/v1/excursions/${encodeURIComponent(excursionId)}/report.pdf`);
    expect(res.status).toBe(200);
    const pdf = (
      await cloud.app.inject({
        headers: admin,
        url: `/api/v1/excursions/${encodeURIComponent(excursionId)}/report.pdf`,
      })
    ).rawPayload;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    if (!hasPoppler()) {
      console.warn('SKIPPED PDF text and chart checks: poppler-utils (pdftotext, pdftoppm) is not installed');
      return;
    }
    const text = pdfToText(pdf);
    const flat = text.replace(/\s+/g, ' ');
    // Affected lots: lot numbers, GTIN, product, exposed / locked / total, where now, budget, MKT.
    expect(flat).toContain('A-2026-01');
    expect(flat).toContain('B-2026-07');
    expect(flat).toContain(GTIN_A);
    expect(flat).toContain('Vaccine A');
    expect(flat).toContain('Insulin B');
    expect(flat).toContain('2 / 0 / 2');
    expect(flat).toContain('Store 3: 2');
    expect(flat).toContain('Truck 7: 2');
    expect(flat).toMatch(/EXCEEDED/); // lot B: 40 min outside 2..8 °C vs a 10 min budget
    expect(flat).not.toContain('not available from this cloud build');
    const lotB = (await ok('GET', '/api/v1/lots/LOT-B')).json();
    expect(lotB.timeOutsideMs).toBeGreaterThan(10 * MIN);
    expect(lotB.mktC).not.toBeNull();
    expect(flat).toContain(`${lotB.mktC.toFixed(2)} °C`);
    // Both lot MKTs, labelled: over its excursions and over its custody so far (lot-mkt.test.ts has the math).
    // (The narrow cells wrap, so they are read in the order they were drawn.)
    const drawn = pdfToText(pdf, { layout: false }).replace(/\s+/g, ' ');
    expect(drawn).toContain('MKT °C over its excursions / over custody so far');
    expect(lotB.custodyMktC).not.toBeNull();
    expect(lotB.custodyMktC).not.toBeCloseTo(lotB.mktC, 2);
    expect(drawn).toContain(`${lotB.mktC.toFixed(2)} / ${lotB.custodyMktC.toFixed(2)}`);
    // Names instead of ids: lots by their number (the id beside it), units by GTIN and serial, the
    // sensor by its name; no hex EPC and no EPC URI anywhere.
    expect(flat).toContain('RELEASE — lot A-2026-01 (LOT-A) (2 units)');
    expect(flat).toContain('REJECT — lot B-2026-07 (LOT-B) (2 units)');
    expect(flat).toContain(`GTIN ${GTIN_A} serial 1`);
    expect(flat).toContain(`GTIN ${GTIN_B} serial 4`);
    expect(flat).toContain('Reefer probe A');
    for (const hex of [...EPCS_A, ...EPCS_B]) expect(flat).not.toContain(hex);
    expect(flat).not.toContain('urn:epc:id');
    expect(flat).toContain(`Signed by: Anna Quality (${qa.username})`);
    expect(flat).toContain('Signed by: Bruno Pr');
    expect(flat).toContain('Meaning: Release: I have reviewed the temperature excursion');
    expect(flat).toContain('Meaning: Reject: I have reviewed the temperature excursion');
    expect(flat).toContain('Reason: Stability budget exceeded');
    // Audit excerpt: the excursion's entries, the locks, the signed dispositions.
    for (const action of [
      'excursion.opened',
      'lock.created',
      'disposition.release',
      'disposition.reject',
      'excursion.decided',
    ])
      expect(flat).toContain(action);
    // The excerpt says what the excursion page's audit history says (GET /api/v1/audit, which the page
    // shows): the same plain-language entry and the printed name of who acted, for every entry.
    const history = (
      await ok(
        'GET',
        `/api/v1/audit?entityType=excursion&entityId=${encodeURIComponent(excursionId)}&limit=10000`,
      )
    ).json() as Array<{ summary: string; actorName: string; actor: string }>;
    expect(history.length).toBeGreaterThan(2);
    for (const e of history) {
      expect(drawn).toContain(pdfText(e.summary).replace(/\s+/g, ' '));
      expect(drawn).toContain(e.actorName === e.actor ? e.actor : `${e.actorName} (${e.actor})`);
    }
    expect(history.some((e) => e.actorName === 'Anna Quality')).toBe(true);
    // Per lot: the decision signed on it; review and approval; the units' lock entries in the annex; an id
    // stable for this revision (the same download twice gives the same id).
    expect(flat).toContain('release (2 units) by');
    expect(flat).toContain('reject (2 units) by');
    expect(flat).toContain('Review and approval');
    expect(flat.indexOf('Annex A — units locked and decided')).toBeGreaterThan(
      flat.indexOf('Audit trail excerpt'),
    );
    const id = /Report ID: (RPT-[0-9A-F]{12}) \(supersedes (RPT-[0-9A-F]{12})\)/.exec(flat);
    expect(id).not.toBeNull();
    const again = pdfToText(
      (
        await cloud.app.inject({
          headers: admin,
          url: `/api/v1/excursions/${encodeURIComponent(excursionId)}/report.pdf`,
        })
      ).rawPayload,
    );
    expect(again).toContain(`Report ID: ${id![1]}`);
    // The chart: inside the plot on page 1, the first sensor's line (its colour, fully covered pixels)
    // and both limit lines; shading alone would not give these colours (excursion-report-pdf.test.ts
    // checks the line's position reading by reading).
    const k = 2;
    const img = renderPageRgb(pdf, 1, 72 * k);
    const inPlot = (hex: string, minAlpha: number, maxError: number) => {
      let n = 0;
      for (let y = Math.ceil(CHART_BOX.y * k) + 2; y < (CHART_BOX.y + CHART_BOX.height) * k - 2; y++)
        for (let x = Math.ceil(CHART_BOX.x * k) + 2; x < (CHART_BOX.x + CHART_BOX.width) * k - 2; x++) {
          const m = colourMatch(img, x, y, hexRgb(hex));
          if (m.alpha > minAlpha && m.error < maxError) n++;
        }
      return n;
    };
    expect(inPlot(SERIES_COLOURS[0]!, 0.85, 12)).toBeGreaterThan(300);
    expect(inPlot(LIMIT_COLOURS.max, 0.85, 12)).toBeGreaterThan(300);
    expect(inPlot(LIMIT_COLOURS.min, 0.85, 12)).toBeGreaterThan(300);
  });
});

describe('rejected stock followed to its end (docs/domain.md "Rejected stock to its end")', () => {
  it('shows LOT-B as rejected and awaiting destruction or return until a signed closing record', async () => {
    const awaiting = (await ok('GET', '/api/v1/rejected-stock')).json();
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
    const summary = (await ok('GET', '/api/v1/summary')).json();
    expect(summary.rejectedAwaitingClosure).toBe(2);
    const bruno = (await login(cloud, qa2.username, qa2.password)).headers;
    const close = (payload: object) =>
      api(
        'POST',
        '/api/v1/stock-closures',
        { lotId: 'LOT-B', username: qa2.username, password: qa2.password, ...payload },
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
    expect((await ok('GET', '/api/v1/rejected-stock')).json()).toEqual([]);
    expect((await ok('GET', '/api/v1/summary')).json().rejectedAwaitingClosure).toBe(0);
    // Closed once: a second record finds nothing to close.
    expect((await close({ outcome: 'destroyed', reference: 'DC-9', reason: 'again' })).status).toBe(409);
    // ERP/WMS are told, and the trail has the signed record.
    const events = await cloud.store.db
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
    const trail = (await ok('GET', '/api/v1/audit?action=stock')).json();
    expect(trail.map((e: { action: string }) => e.action)).toContain('stock.returned');
    // EPCIS carries the CBV 2.0 terms of a return (bizStep shipping, disposition returned), schema-valid.
    const doc = await exportLot('LOT-B');
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
