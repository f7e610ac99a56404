import { encodeGatewayPayload, type Movement, type Reading, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { StoreReportSource } from '../../src/reports/report-source.js';
import { createUser, login, type Session, type TestUser } from '../helpers/auth.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

export const MIN = 60_000;
export const GTIN = '80614141123458';
export const [U1, U2, U3] = [1, 2, 3].map((serial) =>
  sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial }),
);
export const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };
export const ROOM = { name: 'Cold room 1', kind: 'room', ...LIMITS };
export const FRIDGE = { name: 'Fridge', kind: 'store', ...LIMITS, maxC: 12 };
/** At most 30 min in total above +8 °C. */
export const RULE = { kind: 'above', thresholdC: 8, limitMs: 30 * MIN };
export const SPEC = { minC: 2, maxC: 8, stabilityBudgetMs: 600 * MIN, cumulativeRules: [RULE] };
export const RULE_KEY = 'cumulative:LOT-2:above:8:1800000';

/** What the limit-change tests share, set in their beforeAll. */
interface LimitChangeState {
  cloud: TestCloud;
  operator: Session;
  /** Quinn Assurance, role qa, signing in `qaSession`. */
  qa: TestUser;
  qaSession: Session;
  /** Another QA user, in whose name `qa` may not sign. */
  otherQa: TestUser;
  /** Room 1's excursion, which locks both units of LOT-1. */
  excursionId: string;
}

/** Requests, signatures and reads of the cloud in `j`. */
function helpers(j: LimitChangeState) {
  const call = async (method: string, url: string, headers: object, payload?: object) => {
    const res = await j.cloud.app.inject({
      method: method as 'GET',
      url,
      payload,
      headers: headers as never,
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const ok = async (method: string, url: string, headers: object, payload?: object) => {
    const r = await call(method, url, headers, payload);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const get = (url: string) => ok('GET', url, j.qaSession.headers);
  const signedBy = (u: TestUser, reason = 'temperature mapping study TM-7') => ({
    reason,
    username: u.username,
    password: u.password,
  });
  const audit = async (entityType: string, entityId: string) =>
    (await get(`/api/v1/audit?entityType=${entityType}&entityId=${encodeURIComponent(entityId)}`)) as Array<{
      action: string;
      actor: string;
      reason: string;
      after: Record<string, unknown> | null;
    }>;
  const lockStates = async (lotId: string) =>
    (
      (await get(`/api/v1/lots/${lotId}/units`)) as Array<{
        epc: string;
        locks: Array<Record<string, unknown>>;
      }>
    )
      .flatMap((u) => u.locks.map((l) => ({ epc: u.epc, state: l.state, held: l.holdReason !== null })))
      .sort((a, b) => (a.epc < b.epc ? -1 : 1));
  const unlockEvents = () =>
    j.cloud.evaluator.engine.db.selectFrom('outbox').select('id').where('event', '=', 'unlock').execute();
  const publish = async (name: 'readings' | 'movements', records: Array<Reading | Movement>) => {
    const out = await j.cloud.ingestor.handle({
      topic: `coldtrace/v1/gw/gw-a/${name}`,
      payload: Buffer.from(encodeGatewayPayload(name, readingsBatch('gw-a', records as never) as never)),
    });
    expect(out.kind).toBe('stored');
  };
  const move = (seq: number, epc: string, to: string) =>
    movement(seq, epc, {
      from: 'dock',
      to,
      direction: 'in',
      ts: T0 - MIN,
      firstSeen: T0 - MIN,
      lastSeen: T0 - MIN,
    });
  const reportLimits = async (id: string) =>
    (await new StoreReportSource(j.cloud.store).excursionReport(id, { generatedAt: 0, version: 'test' }))!
      .limits;
  const settle = async () => {
    await j.cloud.evaluator.flush();
  };
  return { call, ok, get, signedBy, audit, lockStates, unlockEvents, publish, move, reportLimits, settle };
}

export type LimitChanges = LimitChangeState & ReturnType<typeof helpers>;

/**
 * A cloud (no broker: records go straight to ingest) with room 1 (an excursion locking LOT-1's two units) and
 * a fridge (LOT-2's unit locked by the product's cumulative rule), set up before the file's tests.
 */
export function useLimitChanges(): LimitChanges {
  const j = {} as LimitChangeState;
  const tools = helpers(j);
  const { ok, get, publish, move, settle } = tools;
  beforeAll(async () => {
    j.cloud = await startTestCloud({ mqtt: { embedded: { enabled: false } } });
    const op = await createUser(j.cloud.store, { roles: ['operator'] });
    j.operator = await login(j.cloud, op.username, op.password);
    j.qa = await createUser(j.cloud.store, { roles: ['qa'], printedName: 'Quinn Assurance' });
    j.qaSession = await login(j.cloud, j.qa.username, j.qa.password);
    j.otherQa = await createUser(j.cloud.store, { roles: ['qa'] });
    const h = j.operator.headers;
    await ok('PUT', '/api/v1/locations/room1', h, ROOM);
    await ok('PUT', '/api/v1/locations/fridge', h, FRIDGE);
    await ok('PUT', `/api/v1/products/${GTIN}`, h, { name: 'Vaccine X', ...SPEC });
    for (const lot of ['LOT-1', 'LOT-2'])
      await ok('PUT', `/api/v1/lots/${lot}`, h, { gtin: GTIN, lotNumber: lot, expiry: '2027-12-31' });
    await ok('POST', '/api/v1/lots/LOT-1/epcs', h, { epcs: [U1, U2] });
    await ok('POST', '/api/v1/lots/LOT-2/epcs', h, { epcs: [U3] });
    await j.cloud.addGateway('gw-a');
    await publish('movements', [move(1, U1!, 'room1'), move(2, U2!, 'room1'), move(3, U3!, 'fridge')]);
    // Room 1: 12 °C from +10 to +30 min (an excursion; 20 min above +8 °C is under the product's rule).
    // Fridge: 10 °C from 0 to +40 (inside its 2–12 °C; 40 min above +8 °C reaches the product's rule).
    const room = readings(31, { sensorId: 's-room1', locationId: 'room1', stepMs: 2 * MIN });
    const fridge = readings(7, { firstSeq: 32, sensorId: 's-fridge', locationId: 'fridge' });
    await publish('readings', [
      ...room.map((r, k) => ({ ...r, ts: T0 + 2 * k * MIN, tempC: k >= 5 && k < 15 ? 12 : 5 })),
      ...fridge.map((r, k) => ({ ...r, ts: T0 + 10 * k * MIN, tempC: k < 4 ? 10 : 5 })),
    ]);
    await until(async () => {
      await settle();
      const [a, b] = [await get('/api/v1/lots/LOT-1'), await get('/api/v1/lots/LOT-2')];
      return a.units.locked === 2 && b.units.locked === 1;
    }, 'both room units locked by the excursion, the fridge unit by the cumulative rule');
    [{ id: j.excursionId }] = await get('/api/v1/excursions?locationId=room1');
  });
  afterAll(async () => {
    await j.cloud?.stop();
  });
  return Object.assign(j, tools);
}
