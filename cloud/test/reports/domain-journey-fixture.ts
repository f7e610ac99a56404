import { encodeGatewayPayload, gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { bearer, createUser, login, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * A small demo journey through the real cloud (API + embedded broker + domain engine): cases of two lots
 * are commissioned, pass the dock door from the cold room into a truck, the truck's reefer goes out of
 * range (→ excursion → locks), lot A is unloaded at a store; QA releases lot A and rejects lot B with
 * e-signatures. The EPCIS export per lot and the PDF report must show all of it.
 */
export const MIN = 60_000;
const CP = '4012345';
export const EPCS_A = [1, 2].map((serial) => sgtin96Hex({ companyPrefix: CP, itemRef: '011111', serial }));
export const EPCS_B = [3, 4].map((serial) => sgtin96Hex({ companyPrefix: CP, itemRef: '022222', serial }));
export const GTIN_A = gtinOf(EPCS_A[0]!)!;
export const GTIN_B = gtinOf(EPCS_B[0]!)!;
const uri = (hex: string, serial: number) =>
  `urn:epc:id:sgtin:${CP}.${EPCS_A.includes(hex) ? '011111' : '022222'}.${serial}`;
export const URIS_A = [uri(EPCS_A[0]!, 1), uri(EPCS_A[1]!, 2)];
export const URIS_B = [uri(EPCS_B[0]!, 3), uri(EPCS_B[1]!, 4)];

export type Event = Record<string, unknown> & {
  bizStep: string;
  epcList: string[];
  eventTime: string;
  disposition?: string;
  persistentDisposition?: { set?: string[]; unset?: string[] };
  sensorElementList?: Array<{ sensorReport: Array<Record<string, number | string>> }>;
  bizLocation?: { id: string };
};

/** The journey starts 4 hours ago, so record times (locks, signatures) come after the events. */
export const T = Date.now() - 4 * 60 * MIN;

/** A response as the tests read it: status, body and its JSON, untyped like `JSON.parse`'s. */
export interface Reply {
  status: number;
  body: string;
  json: () => ReturnType<typeof JSON.parse>;
}

/** The journey's cloud, users and excursion, with request helpers (set in the file's beforeAll). */
export interface DomainJourney {
  cloud: TestCloud;
  /** Bearer headers of an admin: the helpers' default. */
  admin: { authorization: string };
  /** Anna Quality: released LOT-A and proposed releasing LOT-B. */
  qa: TestUser;
  /** Bruno Prüfer: rejected LOT-B. */
  qa2: TestUser;
  /** The truck's excursion, which locked both lots. */
  excursionId: string;
  api(method: string, url: string, payload?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** `api`, throwing on a status of 300 or more. */
  ok: DomainJourney['api'];
  /** The EPCIS document of one lot's events, as a viewer gets it. */
  exportLot(lot: string): Promise<{ epcisBody: { eventList: Event[] } }>;
}

/** Plays the journey before the file's tests (beforeAll) and stops the cloud after them. */
export function useDomainJourney(): DomainJourney {
  const j = {} as DomainJourney;
  j.api = async (
    method: string,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = j.admin,
  ) => {
    const res = await j.cloud.app.inject({
      method: method as 'GET',
      url,
      payload: payload as object,
      headers,
    });
    return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body) };
  };
  j.ok = async (
    method: string,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = j.admin,
  ) => {
    const r = await j.api(method, url, payload, headers);
    if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${r.body}`);
    return r;
  };
  j.exportLot = async (lot: string) => {
    const res = await j.api(
      'GET',
      `/api/v1/epcis/events?lot=${lot}`,
      undefined,
      await bearer(j.cloud, ['viewer']),
    );
    expect(res.status).toBe(200);
    return JSON.parse(res.body) as { epcisBody: { eventList: Event[] } };
  };
  beforeAll(async () => {
    j.cloud = await startTestCloud();
    j.admin = await bearer(j.cloud, ['admin']);
    const limits = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };
    for (const [id, name, kind] of [
      ['coldroom-1', 'Cold room 1', 'room'],
      ['truck-7', 'Truck 7', 'vehicle'],
      ['store-3', 'Store 3', 'store'],
    ] as const)
      await j.ok('PUT', `/api/v1/locations/${id}`, { name, kind, ...limits });
    await j.ok('PUT', `/api/v1/products/${GTIN_A}`, {
      name: 'Vaccine A',
      minC: 2,
      maxC: 8,
      stabilityBudgetMs: 120 * MIN,
    });
    await j.ok('PUT', `/api/v1/products/${GTIN_B}`, {
      name: 'Insulin B',
      minC: 2,
      maxC: 8,
      stabilityBudgetMs: 10 * MIN,
    });
    await j.ok('PUT', '/api/v1/lots/LOT-A', { gtin: GTIN_A, lotNumber: 'A-2026-01', expiry: '2027-06-30' });
    await j.ok('PUT', '/api/v1/lots/LOT-B', { gtin: GTIN_B, lotNumber: 'B-2026-07', expiry: '2027-03-31' });
    // The reefer's sensor by name: the report's chart legend names it (docs/qa-pages.md "Pages").
    await j.ok('PUT', '/api/v1/sensors/reefer-7', { name: 'Reefer probe A', locationId: 'truck-7' });
    await j.ok('POST', '/api/v1/lots/LOT-A/epcs', { epcs: EPCS_A });
    await j.ok('POST', '/api/v1/lots/LOT-B/epcs', { epcs: EPCS_B });

    const secret = await j.cloud.addGateway('gw-dc');
    const gw = await j.cloud.connect('gw-dc', secret);
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
      const r = (await j.api('GET', '/api/v1/locks?state=active')).json() as unknown[];
      return r.length === 4 ? r : null;
    }, 'four active locks');
    expect(locks).toHaveLength(4);
    const excursions = (await j.ok('GET', '/api/v1/excursions?locationId=truck-7')).json();
    expect(excursions).toHaveLength(1);
    j.excursionId = excursions[0].id;

    j.qa = await createUser(j.cloud.store, { roles: ['qa'], printedName: 'Anna Quality' });
    j.qa2 = await createUser(j.cloud.store, { roles: ['qa'], printedName: 'Bruno Prüfer' });
    // Each QA user signs in their own session (an e-signature is accepted only from its owner).
    const sign = async (user: TestUser, lotId: string, decision: string, reason: string) =>
      j.ok(
        'POST',
        `/api/v1/excursions/${encodeURIComponent(j.excursionId)}/dispositions`,
        { lotId, decision, reason, username: user.username, password: user.password },
        (await login(j.cloud, user.username, user.password)).headers,
      );
    await sign(j.qa, 'LOT-A', 'release', 'Within the stability budget; MKT acceptable');
    await twoPersonRuleOnLotB(j);
    await sign(j.qa2, 'LOT-B', 'reject', 'Stability budget exceeded');
  });
  afterAll(async () => j.cloud?.stop());
  return j;
}

/**
 * LOT-B is past its stability budget: the excursion says so before anyone signs; releasing it needs a
 * written justification and a second QA user (domain/release-guard.ts), and a rejection still decides it.
 */
async function twoPersonRuleOnLotB(j: DomainJourney) {
  const detail = (await j.ok('GET', `/api/v1/excursions/${encodeURIComponent(j.excursionId)}`)).json();
  const needs = (lot: string) =>
    detail.affectedLots.find((l: { lotId: string }) => l.lotId === lot).releaseNeeds;
  expect(needs('LOT-A')).toEqual([]);
  expect(needs('LOT-B')).toEqual([
    expect.stringMatching(/lot LOT-B is past its stability budget \(400 % used\)/),
  ]);
  const anna = (await login(j.cloud, j.qa.username, j.qa.password)).headers;
  const url = `/api/v1/excursions/${encodeURIComponent(j.excursionId)}/dispositions`;
  const release = {
    lotId: 'LOT-B',
    decision: 'release',
    reason: 'x',
    username: j.qa.username,
    password: j.qa.password,
  };
  const short = await j.api('POST', url, { ...release, justification: 'fine' }, anna);
  expect(short.status).toBe(400);
  expect(short.json().message).toMatch(/justification of at least 50 characters/);
  const proposed = await j.api(
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
  expect((await j.ok('GET', '/api/v1/lots/LOT-B')).json().units).toMatchObject({ locked: 2 });
  const self = await j.api(
    'POST',
    `/api/v1/release-proposals/${proposal.id}/approve`,
    { username: j.qa.username, password: j.qa.password },
    anna,
  );
  expect(self.status).toBe(403);
  expect(self.json().message).toMatch(/two-person rule/);
  expect((await j.ok('GET', '/api/v1/release-proposals?state=pending')).json()).toHaveLength(1);
}
