import { encodeGatewayPayload, type Reading } from '@coldtrace/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const MIN = 60_000;

describe('GET /api/v1/rule-alarms', () => {
  let cloud: TestCloud | undefined;
  afterEach(async () => {
    await cloud?.stop();
    cloud = undefined;
  });

  it('lists the rate-of-change alarms a configured profile raised, by their public id', async () => {
    cloud = await startTestCloud({
      evaluation: {
        debounceMs: 20,
        rateOfChange: [{ locations: ['room-a'], maxRiseCPerMin: 0.3, windowMs: 10 * MIN, lock: false }],
      },
    });
    const auth = await bearer(cloud, ['viewer']);
    const list = async (query = '') =>
      (await cloud!.app.inject({ method: 'GET', url: `/api/v1/rule-alarms${query}`, headers: auth })).json();
    expect(await list()).toEqual([]);
    await cloud.store.upsertLocation(
      {
        id: 'room-a',
        name: 'Room A',
        kind: 'room',
        min_c: 2,
        max_c: 8,
        alarm_delay_ms: 10 * MIN,
        critical_margin_c: 2,
        max_gap_ms: 30 * MIN,
      },
      T0,
    );
    await cloud.addGateway('gw-a');
    // 4 °C, then 4 → 7.5 °C in 4 min: inside the limits, but more than 3 °C within 10 min.
    const temps = [4, 4, 4, 4, 4, 5.5, 7.5, 6, 5];
    const records: Reading[] = temps.map((tempC, k) => ({
      seq: k + 1,
      sensorId: 's-1',
      locationId: 'room-a',
      ts: T0 + k * 2 * MIN,
      tempC,
      quality: 'ok',
    }));
    const payload = encodeGatewayPayload('readings', {
      gatewayId: 'gw-a',
      firstSeq: 1,
      lastSeq: records.length,
      sentAt: T0,
      records,
    });
    await cloud.ingestor.handle({ topic: 'coldtrace/v1/gw/gw-a/readings', payload: Buffer.from(payload) });
    await cloud.evaluator.flush();
    const alarms = await list();
    expect(alarms).toEqual([
      {
        id: `rate:room-a@${new Date(T0 + 8 * MIN).toISOString()}`,
        rule: 'rate_of_change',
        locationId: 'room-a',
        fromTs: T0 + 8 * MIN,
        toTs: T0 + 12 * MIN,
        detail: { peakRiseC: 3.5, sensors: ['s-1'], maxRiseCPerMin: 0.3, windowMs: 10 * MIN },
        createdAt: expect.any(Number),
        updatedAt: expect.any(Number),
      },
    ]);
    expect(await list('?locationId=room-b')).toEqual([]);
    expect(await list(`?fromTs=${T0 + 13 * MIN}`)).toEqual([]);
    expect(await list(`?fromTs=${T0 + 12 * MIN}`)).toHaveLength(1);
  });
});
