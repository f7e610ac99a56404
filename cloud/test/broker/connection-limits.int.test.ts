import net from 'node:net';
import { gatewayTopic, type ManualClock, manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../src/broker/connection-admission.js';
import { DEFAULT_CONNECTION_RATE } from '../../src/broker/connection-rate-limiter.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * Half-open connections (TCP open, no CONNECT) from one address: the defaults accept a burst of 100 (a site
 * behind one NAT address reconnecting at once), close the rest at once, and close those accepted once the
 * CONNECT timeout passes, on the wall clock (manual here, so nothing refills or times out unless moved).
 */
let cloud: TestCloud;
let wall: ManualClock;
let secret: string;

beforeAll(async () => {
  wall = manualClock(Date.now());
  cloud = await startTestCloud({}, { wallClock: wall });
  secret = await cloud.addGateway('gw-a');
});
afterAll(async () => {
  await cloud?.stop();
});

const refused = async (reason: string) => {
  const body = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
  const m = new RegExp(`coldtrace_mqtt_connections_refused_total\\{reason="${reason}"\\} (\\d+)`).exec(body);
  return Number(m?.[1] ?? 0);
};

/** Opens `n` TCP connections that never send a CONNECT; counts those the server has closed. */
async function halfOpen(n: number): Promise<{ sockets: net.Socket[]; closed: () => number }> {
  const port = Number(new URL(cloud.mqttUrl!).port);
  let closed = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1');
          s.on('error', () => undefined); // ECONNRESET once the server closed it
          s.once('close', () => closed++);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        }),
    ),
  );
  return { sockets, closed: () => closed };
}

describe('embedded broker connection limits', () => {
  it('closes half-open connections over the per-source rate at once, and the rest at the CONNECT timeout', async () => {
    const { burst } = DEFAULT_CONNECTION_RATE;
    const gw = await cloud.connect('gw-a', secret); // takes one connection of the burst
    const { sockets, closed } = await halfOpen(150);
    const over = 150 - (burst - 1);
    await until(() => closed() === over, 'the connections over the rate closed');
    expect(await refused('rate_limited')).toBe(over);
    // One of them sends the start of a CONNECT (header, 1 byte of 32): not a CONNECT either.
    sockets.at(-1)!.write(Buffer.from([0x10, 0x20, 0x00]));

    wall.advance(DEFAULT_CONNECT_TIMEOUT_MS - 1);
    expect(await refused('connect_timeout')).toBe(0);
    expect(closed()).toBe(over);
    wall.advance(1);
    await until(() => closed() === 150, 'the half-open connections closed at the CONNECT timeout');
    expect(await refused('connect_timeout')).toBe(burst - 1);

    // The gateway had sent its CONNECT: still connected, and its batch is stored.
    const batch = readingsBatch('gw-a', readings(2));
    await gw.publishAsync(gatewayTopic('gw-a', 'readings'), JSON.stringify(batch), { qos: 1 });
    expect(await cloud.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(2);
    // The bucket refilled in those 10 s: the address connects again.
    const again = await cloud.connect('gw-a', secret, { clientId: 'gw-a/again' });
    expect(again.connected).toBe(true);
    await again.endAsync();
    await gw.endAsync();
  });
});
