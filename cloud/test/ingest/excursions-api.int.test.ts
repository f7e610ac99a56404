import { gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';
import { evaluated, startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

let cloud: TestCloud;
let auth: { authorization: string };
beforeAll(async () => {
  cloud = await startTestCloud();
  auth = await bearer(cloud, ['operator']);
});
afterAll(async () => cloud?.stop());

const MIN = 60_000;

describe('excursion evaluation of stored readings', () => {
  it('rejects impossible location limits with a clear 400', async () => {
    const res = await cloud.app.inject({
      headers: auth,
      method: 'PUT',
      url: '/api/v1/locations/truck-1',
      payload: {
        name: 'Truck 1',
        kind: 'vehicle',
        minC: 8,
        maxC: 2,
        alarmDelayMs: 0,
        criticalMarginC: 0,
        maxGapMs: 1,
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/minC/);
  });

  it('finds an excursion after the alarm delay, with its statistics, over MQTT ingest', async () => {
    const put = await cloud.app.inject({
      headers: auth,
      method: 'PUT',
      url: '/api/v1/locations/truck-1',
      payload: {
        name: 'Truck 1',
        kind: 'vehicle',
        minC: 2,
        maxC: 8,
        alarmDelayMs: 10 * MIN,
        criticalMarginC: 5,
        maxGapMs: 5 * MIN,
      },
    });
    expect(put.statusCode).toBe(200);
    const secret = await cloud.addGateway('truck-gw');
    const c = await cloud.connect('truck-gw', secret);
    // One reading a minute: 5 °C, then 10 °C for 12 minutes, then 5 °C again.
    const temps = [5, 5, ...Array(12).fill(10), 5, 5];
    const recs = readings(temps.length, { sensorId: 'reefer-1', locationId: 'truck-1', stepMs: MIN }).map(
      (r, i) => ({
        ...r,
        tempC: temps[i]!,
      }),
    );
    await c.publishAsync(
      gatewayTopic('truck-gw', 'readings'),
      JSON.stringify(readingsBatch('truck-gw', recs)),
      { qos: 1 },
    );
    const list = await until(async () => {
      const res = await cloud.app.inject({
        headers: auth,
        method: 'GET',
        url: '/api/v1/excursions?locationId=truck-1',
      });
      const body = res.json();
      return body.length ? body : null;
    }, 'an excursion');
    expect(list).toHaveLength(1);
    const e = list[0];
    // readings at T0 + seq·1 min; the first 10 °C reading is seq 3, the first 5 °C after it seq 15.
    expect(e).toMatchObject({
      locationId: 'truck-1',
      startTs: T0 + 3 * MIN,
      endTs: T0 + 15 * MIN,
      durationMs: 12 * MIN,
      excursionAt: T0 + 13 * MIN,
      minC: 10,
      maxC: 10,
      peakC: 10,
      critical: false,
      sensorIds: ['reefer-1'],
      state: 'closed',
    });
    // 2 °C above the limit for 12 minutes.
    expect(e.degreeMinutes).toBeCloseTo(24, 6);
    expect(e.mktC).toBeCloseTo(10, 6);
    await c.endAsync();
  });

  it('a run shorter than the delay is not an excursion', async () => {
    const secret = await cloud.addGateway('truck-gw2');
    const c = await cloud.connect('truck-gw2', secret);
    const put = await cloud.app.inject({
      headers: auth,
      method: 'PUT',
      url: '/api/v1/locations/truck-2',
      payload: {
        name: 'Truck 2',
        kind: 'vehicle',
        minC: 2,
        maxC: 8,
        alarmDelayMs: 10 * MIN,
        criticalMarginC: 5,
        maxGapMs: 5 * MIN,
      },
    });
    expect(put.statusCode).toBe(200);
    const temps = [5, 9, 9, 9, 5];
    const recs = readings(temps.length, { sensorId: 'reefer-2', locationId: 'truck-2', stepMs: MIN }).map(
      (r, i) => ({ ...r, tempC: temps[i]! }),
    );
    await c.publishAsync(
      gatewayTopic('truck-gw2', 'readings'),
      JSON.stringify(readingsBatch('truck-gw2', recs)),
      { qos: 1 },
    );
    // Stored (the PUBACK follows the commit) and evaluated: only then does "no excursion" mean anything.
    expect((await cloud.store.listReadings({ gatewayId: 'truck-gw2' })).map((r) => r.temp_c)).toEqual(temps);
    await evaluated(cloud, 'truck-2');
    const res = await cloud.app.inject({
      headers: auth,
      method: 'GET',
      url: '/api/v1/excursions?locationId=truck-2',
    });
    expect(res.json()).toEqual([]);
    await c.endAsync();
  });
});
