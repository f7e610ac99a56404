import { gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * The contract retains only `status` (shared/src/contract.ts). A gateway that sets retain on another topic
 * gets its records stored and acknowledged as any others, but nothing retained (a retained batch would be
 * replayed to every new subscriber), with a warning and `coldtrace_mqtt_retain_refused_total`.
 */
const ERP = 'erp-secret-0123456789';
let cloud: TestCloud;
let secret: string;

beforeAll(async () => {
  cloud = await startTestCloud({
    mqtt: { embedded: { host: '127.0.0.1', port: 0 }, serviceAccounts: { erp: ERP } },
  });
  secret = await cloud.addGateway('gw-a');
});
afterAll(async () => {
  await cloud?.stop();
});

/** The broker's retained messages: topic → payload. */
async function retained(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // aedes' persistence (typed in aedes-persistence, not on Aedes): its store of retained messages.
  const { persistence } = cloud.broker!.aedes as unknown as {
    persistence: { createRetainedStream(pattern: string): AsyncIterable<unknown> };
  };
  for await (const p of persistence.createRetainedStream('coldtrace/v1/#')) {
    const packet = p as { topic: string; payload: Buffer };
    out.set(packet.topic, packet.payload.toString('utf8'));
  }
  return out;
}

const retainRefusals = async (stream: string) => {
  const body = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
  const m = new RegExp(`coldtrace_mqtt_retain_refused_total\\{stream="${stream}"\\} (\\d+)`).exec(body);
  return Number(m?.[1] ?? 0);
};

describe('retain as the contract declares it', () => {
  it('stores a retained readings batch without retaining it; a status stays retained', async () => {
    const gw = await cloud.connect('gw-a', secret);
    const status = JSON.stringify({ gatewayId: 'gw-a', state: 'online', ts: T0, reason: 'started' });
    await gw.publishAsync(gatewayTopic('gw-a', 'status'), status, { qos: 1, retain: true });
    const batch = JSON.stringify(readingsBatch('gw-a', readings(5)));
    await gw.publishAsync(gatewayTopic('gw-a', 'readings'), batch, { qos: 1, retain: true });

    expect(await cloud.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(5);
    expect(await retainRefusals('readings')).toBe(1);
    expect(await retained()).toEqual(new Map([[gatewayTopic('gw-a', 'status'), status]]));

    // A new subscriber gets the retained status (retained delivery works) and, after a live batch that
    // follows on the same connection, has still seen no readings but the live ones.
    const erp = await mqtt.connectAsync(cloud.mqttUrl!, {
      clientId: 'erp@retain',
      username: 'erp',
      password: ERP,
      reconnectPeriod: 0,
    });
    const seen: Array<{ topic: string; retain: boolean; payload: string }> = [];
    erp.on('message', (topic, payload, packet) =>
      seen.push({ topic, retain: packet.retain, payload: payload.toString() }),
    );
    await erp.subscribeAsync('coldtrace/v1/gw/+/+', { qos: 1 });
    await until(() => seen.some((m) => m.topic.endsWith('/status')), 'the retained status');
    const live = JSON.stringify(readingsBatch('gw-a', readings(1, { firstSeq: 6 })));
    await gw.publishAsync(gatewayTopic('gw-a', 'readings'), live, { qos: 1 });
    await until(() => seen.some((m) => m.payload === live), 'the live batch');
    expect(seen.filter((m) => m.topic.endsWith('/readings')).map((m) => m.payload)).toEqual([live]);
    expect(seen.find((m) => m.topic.endsWith('/status'))).toMatchObject({ retain: true, payload: status });
    await erp.endAsync();
    await gw.endAsync();
  });

  it('does not let a rejected status replace the retained one', async () => {
    const gw = await cloud.connect('gw-a', secret);
    const before = (await retained()).get(gatewayTopic('gw-a', 'status'));
    expect(before).toContain('"state":"online"');
    await gw.publishAsync(gatewayTopic('gw-a', 'status'), '{"gatewayId": "gw-a", ', { qos: 1, retain: true });
    expect((await cloud.store.listDeadLetters(1, 0))[0]).toMatchObject({ code: 'malformed_json' });
    expect((await retained()).get(gatewayTopic('gw-a', 'status'))).toBe(before);
    // Not a contract violation of retain: status is a retained topic.
    expect(await retainRefusals('status')).toBe(0);
    await gw.endAsync();
  });
});
