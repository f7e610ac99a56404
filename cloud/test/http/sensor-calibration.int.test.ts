import { type ManualClock, manualClock } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * EU GDP §3.3.2 / §9.2: temperature is monitored with calibrated devices. Sensors carry serial number and
 * calibration; one that falls due raises an alarm (trail, integration event, metric) once, and a new
 * calibration clears it (docs/domain.md "Sensor calibration").
 */
const DAY = 24 * 3600_000;
let wall: ManualClock;
let cloud: TestCloud;
let admin: { authorization: string };

const call = (method: 'GET' | 'PUT', url: string, payload?: object) =>
  cloud.app.inject({ method, url, payload, headers: admin });
const sensor = (calibration: object | null, serialNumber: string | null = 'SN-4711') =>
  call('PUT', '/api/v1/sensors/t1', {
    name: 'Fridge probe',
    locationId: 'fridge',
    serialNumber,
    calibration,
  });
const openAlarms = async () => (await call('GET', '/api/v1/calibration-alarms')).json();
const outboxEvents = async () =>
  (
    await cloud.store.db
      .selectFrom('outbox')
      .select(['event', 'payload'])
      .where('target', '=', 'mqtt')
      .execute()
  )
    .filter((r) => r.event.startsWith('calibration_'))
    .map((r) => ({ event: r.event, ...JSON.parse(r.payload) }));
const gauge = async () =>
  Number(
    /^coldtrace_sensors_calibration_overdue (\d+)$/m.exec(
      (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body,
    )?.[1],
  );

beforeAll(async () => {
  wall = manualClock(Date.UTC(2026, 11, 6, 9, 0, 0));
  cloud = await startTestCloud({}, { wallClock: wall });
  admin = await bearer(cloud, ['admin']);
  const loc = await call('PUT', '/api/v1/locations/fridge', {
    name: 'Fridge',
    kind: 'store',
    minC: 2,
    maxC: 8,
    alarmDelayMs: 10 * 60_000,
    criticalMarginC: 5,
    maxGapMs: 30 * 60_000,
  });
  expect(loc.statusCode).toBe(200);
});
afterAll(async () => cloud?.stop());

describe('sensor calibration', () => {
  it('refuses an impossible calibration with a clear error, changing nothing', async () => {
    const now = wall.now();
    const res = await sensor({ certificate: 'CAL-1', calibratedAt: now, dueAt: now - DAY });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid' });
    expect(res.json().message).toMatch(/dueAt > calibratedAt/);
    expect((await call('GET', '/api/v1/sensors')).json()).toEqual([]);
  });

  it('shows serial and state; raises one alarm when due, cleared by a recalibration', async () => {
    const now = wall.now();
    const first = { certificate: 'CAL-2025-17', calibratedAt: now - 360 * DAY, dueAt: now + 2 * DAY };
    expect((await sensor(first)).statusCode).toBe(200);
    const [t1] = (await call('GET', '/api/v1/sensors')).json();
    expect(t1).toMatchObject({
      id: 't1',
      serialNumber: 'SN-4711',
      calibration: { ...first, state: 'due_soon' },
    });
    expect(await openAlarms()).toEqual([]);
    expect(await outboxEvents()).toEqual([]);

    // Three days later (wall clock): the periodic check (run here at once) finds it overdue.
    wall.advance(3 * DAY);
    await cloud.calibration.check();
    const alarms = await openAlarms();
    expect(alarms).toEqual([
      expect.objectContaining({
        sensorId: 't1',
        serialNumber: 'SN-4711',
        dueAt: first.dueAt,
        clearedAt: null,
      }),
    ]);
    expect((await call('GET', '/api/v1/sensors?calibration=overdue')).json()).toHaveLength(1);
    expect(await gauge()).toBe(1);
    // Checked again: still one alarm, one event.
    await cloud.calibration.check();
    expect(await openAlarms()).toHaveLength(1);
    expect(await outboxEvents()).toEqual([
      expect.objectContaining({ event: 'calibration_overdue', sensorId: 't1', dueAt: first.dueAt }),
    ]);
    const trail = await cloud.store.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'entity_id'])
      .where('action', 'like', 'calibration.%')
      .execute();
    expect(trail).toEqual([{ action: 'calibration.overdue', actor: 'coldtrace', entity_id: 't1' }]);

    // Recalibrated: the alarm is cleared at once, with its event and trail entry; the change is audited.
    const second = { certificate: 'CAL-2026-03', calibratedAt: wall.now(), dueAt: wall.now() + 365 * DAY };
    expect((await sensor(second)).statusCode).toBe(200);
    expect(await openAlarms()).toEqual([]);
    const all = (await call('GET', '/api/v1/calibration-alarms?all=true')).json();
    expect(all).toEqual([expect.objectContaining({ sensorId: 't1', clearedAt: wall.now() })]);
    expect((await outboxEvents()).map((e) => e.event)).toEqual([
      'calibration_overdue',
      'calibration_cleared',
    ]);
    const change = await cloud.store.db
      .selectFrom('audit_log')
      .select(['after_json'])
      .where('action', '=', 'sensor.updated')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(change.after_json!)).toMatchObject({ calibration_certificate: 'CAL-2026-03' });
    await cloud.calibration.check();
    expect(await gauge()).toBe(0);
  });
});
