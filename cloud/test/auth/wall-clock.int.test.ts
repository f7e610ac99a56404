import {
  encodeGatewayPayload,
  gatewayTopic,
  type ManualClock,
  manualClock,
  sgtin96Hex,
} from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmtTime } from '../../src/reports/pdf-text.js';
import { bearer, createUser, login, type TestUser } from '../helpers/auth.js';
import { movement, readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { hasPoppler, pdfToText } from '../reports/pdf-tools.js';

/**
 * docs/architecture.md "Time": the data clock is the time of the data only. Sessions, lockouts,
 * e-signatures, the audit times of people's actions and report times follow the wall clock, however
 * far the data clock runs (a scenario runs it ×1200). Both clocks are manual here and moved apart.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
/** The data's time (a scenario's day) and the wall clock's, far apart so a mix-up shows. */
const DATA_T0 = Date.UTC(2026, 0, 5, 6, 0, 0);
const WALL_T0 = Date.UTC(2026, 10, 22, 9, 0, 0);
const GTIN = '80614141123458';
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };
const EPC_A = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 });
const EPC_B = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 2 });

let data: ManualClock;
let wall: ManualClock;
let cloud: TestCloud;
let admin: { authorization: string };
let qa: TestUser;

const inject = async (method: string, url: string, headers: Record<string, string>, payload?: object) => {
  const res = await cloud.app.inject({ method: method as 'GET', url, headers, payload });
  return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body) };
};
const me = async (headers: Record<string, string>) =>
  (await inject('GET', '/api/v1/auth/me', headers)).status;

beforeAll(async () => {
  data = manualClock(DATA_T0);
  wall = manualClock(WALL_T0);
  // The outbox and the sweeps poll rarely: moving the data clock by hours fires few timers.
  cloud = await startTestCloud(
    {
      mqtt: { embedded: { host: '127.0.0.1', port: 0 }, serviceAccounts: { erp: 'erp-secret-0123456789' } },
      integrations: { outboxPollMs: 4 * HOUR },
      evaluation: { debounceMs: 20 },
    },
    { clock: data, wallClock: wall },
  );
  admin = await bearer(cloud, ['admin']);
  qa = await createUser(cloud.store, { roles: ['qa'], printedName: 'Quinn Assurance' });
});
afterAll(async () => {
  await cloud?.stop();
});

describe('sessions and lockouts run on the wall clock', () => {
  it('a session outlives 13 h of data time; 30 min of wall-clock idleness ends it', async () => {
    const s = await login(cloud, qa.username, qa.password);
    expect(await me(s.headers)).toBe(200);
    data.advance(13 * HOUR); // past both the idle (30 min) and the absolute (12 h) limit, in data time
    expect(await me(s.headers)).toBe(200);
    wall.advance(29 * MIN);
    expect(await me(s.headers)).toBe(200); // used: the idle limit counts from here
    wall.advance(30 * MIN);
    expect(await me(s.headers)).toBe(401);
  });

  it('the absolute limit is 12 h of wall-clock time, not of data time', async () => {
    const s = await login(cloud, qa.username, qa.password);
    for (let used = 0; used < 12 * HOUR - 20 * MIN; used += 20 * MIN) {
      wall.advance(20 * MIN);
      expect(await me(s.headers), `after ${used / MIN + 20} wall minutes`).toBe(200);
    }
    wall.advance(20 * MIN);
    expect(await me(s.headers)).toBe(401);
  });

  it('a locked username stays locked however far the data clock runs, and unlocks by the wall clock', async () => {
    const victim = await createUser(cloud.store, { roles: ['viewer'] });
    const attempt = (password: string) =>
      inject('POST', '/api/v1/auth/login', {}, { username: victim.username, password });
    for (let i = 0; i < 5; i++) expect((await attempt('wrong password')).status).toBe(401);
    expect((await attempt(victim.password)).status).toBe(429);
    data.advance(6 * HOUR);
    expect((await attempt(victim.password)).status).toBe(429);
    wall.advance(31_000); // the first lock lasts 30 s (auth.lockout.baseLockMs)
    expect((await attempt(victim.password)).status).toBe(200);
  });
});

describe('signatures, people’s actions and reports carry wall-clock times; derived changes keep data time', () => {
  let excursionId: string;
  let erp: MqttClient;
  const events: Array<{ type: string; at: number; decision?: string }> = [];

  beforeAll(async () => {
    const ok = async (method: string, url: string, payload: object) => {
      const r = await inject(method, url, admin, payload);
      if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.body}`);
      return r.json();
    };
    await ok('PUT', '/api/v1/locations/room-a', { name: 'Room A', kind: 'room', ...LIMITS });
    await ok('PUT', '/api/v1/locations/truck-1', { name: 'Truck 1', kind: 'vehicle', ...LIMITS });
    await ok('PUT', `/api/v1/products/${GTIN}`, {
      name: 'Vaccine',
      minC: 2,
      maxC: 8,
      stabilityBudgetMs: HOUR,
    });
    for (const [lot, epc] of [
      ['LOT-A', EPC_A],
      ['LOT-B', EPC_B],
    ] as const) {
      await ok('PUT', `/api/v1/lots/${lot}`, { gtin: GTIN, lotNumber: lot, expiry: '2027-06-30' });
      await ok('POST', `/api/v1/lots/${lot}/epcs`, { epcs: [epc] });
    }
    erp = await mqtt.connectAsync(cloud.mqttUrl!, {
      clientId: 'erp@events',
      username: 'erp',
      password: 'erp-secret-0123456789',
      reconnectPeriod: 0,
    });
    erp.on('message', (_topic, payload) => events.push(JSON.parse(payload.toString())));
    await erp.subscribeAsync('coldtrace/v1/events/#', { qos: 1 });

    // Data of the last three hours before the data clock's now: both units into the truck, whose reefer
    // is out of range for 25 min.
    const t = data.now() - 3 * HOUR;
    const gw = await cloud.connect('gw-truck', await cloud.addGateway('gw-truck'));
    const publish = (stream: 'movements' | 'readings', records: Array<{ seq: number }>) =>
      gw.publishAsync(
        `coldtrace/v1/gw/gw-truck/${stream}`,
        encodeGatewayPayload(stream, {
          gatewayId: 'gw-truck',
          firstSeq: records[0]!.seq,
          lastSeq: records[records.length - 1]!.seq,
          sentAt: t,
          records,
        } as never),
        { qos: 1 },
      );
    const into = { portalId: 'door', from: 'room-a', to: 'truck-1', ts: t, firstSeen: t, lastSeen: t };
    await publish('movements', [movement(1, EPC_A, into), movement(2, EPC_B, into)]);
    await publish(
      'readings',
      readings(13, { sensorId: 'reefer', locationId: 'truck-1' }).map((r, i) => ({
        ...r,
        ts: t + i * 5 * MIN,
        tempC: i >= 4 && i < 9 ? 12 : 5,
      })),
    );
    await gw.endAsync();
    // The engine's timers run on the (manual) data clock: evaluate explicitly until both units are locked.
    await until(async () => {
      await cloud.evaluator.flush();
      return (await inject('GET', '/api/v1/locks?state=active', admin)).json().length === 2;
    }, 'both units locked');
    excursionId = (await inject('GET', '/api/v1/excursions?locationId=truck-1', admin)).json()[0].id;
  });
  afterAll(async () => {
    await erp?.endAsync();
  });

  it('two signatures 10 s apart by the wall clock are stamped 10 s apart, while the data clock ran an hour', async () => {
    const session = await login(cloud, qa.username, qa.password);
    const sign = async (lotId: string, decision: string) => {
      const r = await inject(
        'POST',
        `/api/v1/excursions/${encodeURIComponent(excursionId)}/dispositions`,
        session.headers,
        {
          lotId,
          decision,
          reason: `${decision} ${lotId}`,
          username: qa.username,
          password: qa.password,
        },
      );
      expect(r.status, r.body).toBe(201);
      return r.json() as { id: string; signature: { signedAt: number } };
    };
    // Derived when the data clock stood where it still stands: locked at data time.
    const lockedAt = (await inject('GET', '/api/v1/locks', admin)).json()[0].createdAt as number;
    expect(lockedAt).toBe(data.now());
    const firstAt = wall.now();
    const a = await sign('LOT-A', 'release');
    data.advance(HOUR);
    wall.advance(10_000);
    const b = await sign('LOT-B', 'reject');
    expect(a.signature.signedAt).toBe(firstAt);
    expect(b.signature.signedAt).toBe(firstAt + 10_000);

    // The audit entries of the signings carry the signing times; the excursion's derived opening keeps
    // the data clock's time of its derivation.
    const audit = (
      await inject('GET', `/api/v1/audit?entityId=${encodeURIComponent(excursionId)}`, admin)
    ).json() as Array<{
      action: string;
      at: number;
    }>;
    const at = (action: string) => audit.filter((e) => e.action === action).map((e) => e.at);
    expect(at('disposition.release')).toEqual([firstAt]);
    expect(at('disposition.reject')).toEqual([firstAt + 10_000]);
    expect(at('excursion.opened')).toEqual([lockedAt]);
    expect((await inject('GET', '/api/v1/audit/verify', admin)).json()).toMatchObject({ ok: true });

    // The integration events say when each decision was signed, and are delivered although the
    // wall-clock time is far past the data clock the outbox is scheduled on.
    data.advance(0);
    await until(
      () => events.filter((e) => e.type === 'disposition').length === 2 || undefined,
      'both disposition events',
    );
    const decisions = events.filter((e) => e.type === 'disposition');
    expect(decisions.map((e) => [e.decision, e.at])).toEqual([
      ['release', firstAt],
      ['reject', firstAt + 10_000],
    ]);
  });

  it('a person’s master-data edit is audited at the wall-clock time', async () => {
    wall.advance(7_000);
    const r = await inject('PUT', '/api/v1/locations/store-1', admin, {
      name: 'Store 1',
      kind: 'store',
      ...LIMITS,
    });
    expect(r.status).toBe(200);
    const [entry] = (await inject('GET', '/api/v1/audit?entityType=location&entityId=store-1', admin)).json();
    expect(entry).toMatchObject({ action: 'location.created', at: wall.now() });
  });

  it('a dead letter replayed by a person is marked and audited at the wall-clock time; its receipt keeps data time', async () => {
    const batch = readingsBatch('gw-late', readings(3));
    const msg = { topic: gatewayTopic('gw-late', 'readings'), payload: Buffer.from(JSON.stringify(batch)) };
    expect(await cloud.ingestor.handle(msg)).toMatchObject({ kind: 'dead_letter', code: 'unknown_gateway' });
    const [dl] = await cloud.store.listDeadLetters(1, 0);
    expect(dl!.received_at).toBe(data.now());
    await cloud.addGateway('gw-late');
    wall.advance(3_000);
    const res = await inject('POST', `/api/v1/dead-letters/${dl!.id}/replay`, admin);
    expect(res.status, res.body).toBe(200);
    expect((await inject('GET', `/api/v1/dead-letters/${dl!.id}`, admin)).json()).toMatchObject({
      replayedAt: wall.now(),
    });
    const [entry] = (
      await inject('GET', `/api/v1/audit?entityType=dead_letter&entityId=${dl!.id}`, admin)
    ).json();
    expect(entry).toMatchObject({ action: 'dead_letter.replayed', at: wall.now() });
  });

  const poppler = hasPoppler();
  if (!poppler) console.warn('[skip] PDF wall-clock time: pdftotext (poppler-utils) is not installed');
  it.skipIf(!poppler)('the PDF report says it was generated at the wall-clock time', async () => {
    wall.advance(5_000);
    const res = await cloud.app.inject({
      method: 'GET',
      url: `/api/v1/excursions/${encodeURIComponent(excursionId)}/report.pdf`,
      headers: admin,
    });
    expect(res.statusCode).toBe(200);
    const text = pdfToText(res.rawPayload);
    expect(text).toContain(`Generated at: ${fmtTime(wall.now())}`);
    expect(text).not.toContain(fmtTime(data.now()));
  });
});
