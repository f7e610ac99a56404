import { gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movement, readings, readingsBatch, room, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const EPC = '3074257BF7194E4000001A85';

/** The `readings-live` topic on the embedded broker: the readings stream, one ingest path (docs/architecture.md "Live readings"). */
describe('live readings topic on the embedded broker', () => {
  let cloud: TestCloud;
  let gw: MqttClient;

  beforeAll(async () => {
    cloud = await startTestCloud({ mqtt: { embedded: { host: '127.0.0.1', port: 0 } } });
    gw = await cloud.connect('gw-a', await cloud.addGateway('gw-a'));
    await cloud.store.upsertLocation(room('room-1'), T0);
  });
  afterAll(async () => {
    await gw?.endAsync();
    await cloud?.stop();
  });

  const locked = async () =>
    (
      await cloud.store.db
        .selectFrom('locks')
        .select('epc')
        .where('epc', '=', EPC)
        .where('state', '=', 'active')
        .execute()
    ).length > 0;

  it('stores a live batch in the readings stream, dedups it against readings, and locks on it', async () => {
    await gw.publishAsync(
      gatewayTopic('gw-a', 'movements'),
      JSON.stringify({
        gatewayId: 'gw-a',
        firstSeq: 1,
        lastSeq: 1,
        sentAt: T0,
        records: [movement(1, EPC, { from: 'dock', to: 'room-1', direction: 'in' })],
      }),
      { qos: 1 },
    );
    await until(
      async () => (await cloud.store.listMovements({ gatewayId: 'gw-a' })).length === 1,
      'unit in custody',
    );
    // Backlog on readings (in range), then a critical reading on readings-live continuing the sequence.
    await gw.publishAsync(
      gatewayTopic('gw-a', 'readings'),
      JSON.stringify(readingsBatch('gw-a', readings(5))),
      { qos: 1 },
    );
    // Precondition of the lock assertion below: in-range readings lock nothing.
    expect(await locked()).toBe(false);
    const hot = readingsBatch('gw-a', readings(2, { firstSeq: 6, tempC: 15 }));
    await gw.publishAsync(gatewayTopic('gw-a', 'readings-live'), JSON.stringify(hot), { qos: 1 });
    // PUBACK after commit: the rows are there.
    const rows = await cloud.store.listReadings({ gatewayId: 'gw-a' });
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(rows.at(-1)).toMatchObject({ location_id: 'room-1', temp_c: 15 });
    await until(locked, 'the unit locked by the live reading');
    // The same batch again on readings (a gateway's replay after a lost PUBACK): stored once.
    await gw.publishAsync(gatewayTopic('gw-a', 'readings'), JSON.stringify(hot), { qos: 1 });
    await gw.publishAsync(gatewayTopic('gw-a', 'readings-live'), JSON.stringify(hot), { qos: 1 });
    expect((await cloud.store.listReadings({ gatewayId: 'gw-a' })).map((r) => r.seq)).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(await cloud.store.listDeadLetters(100)).toEqual([]);
  });

  it('dead-letters a live batch that breaks the readings contract, as on readings', async () => {
    const bad = { ...readingsBatch('gw-a', readings(1, { firstSeq: 8 })), gatewayId: 'gw-b' };
    await gw.publishAsync(gatewayTopic('gw-a', 'readings-live'), JSON.stringify(bad), { qos: 1 });
    const dl = await cloud.store.listDeadLetters(100);
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ topic: 'coldtrace/v1/gw/gw-a/readings-live', code: 'gateway_mismatch' });
  });
});
