import net from 'node:net';
import { gatewayTopic } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const MAX_PACKET = 64 * 1024;
let cloud: TestCloud;
let secret: string;

beforeAll(async () => {
  cloud = await startTestCloud({
    mqtt: { embedded: { host: '127.0.0.1', port: 0, maxPacketBytes: MAX_PACKET } },
  });
  secret = await cloud.addGateway('gw-a');
});
afterAll(async () => {
  await cloud?.stop();
});

/**
 * Opens a raw TCP connection, writes `header`, then keeps writing body bytes in 16 KiB chunks until
 * the server closes the connection; resolves with how many body bytes got out before the close.
 */
function sendUntilClosed(port: number, header: Buffer, maxBodyBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let sent = 0;
    let closed = false;
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    sock.on('error', () => undefined); // EPIPE / ECONNRESET once the server closed
    sock.on('close', () => {
      closed = true;
      resolve(sent);
    });
    const pump = () => {
      if (closed) return;
      if (sent >= maxBodyBytes) return reject(new Error(`server still reading after ${sent} body bytes`));
      sent += chunk.length;
      // Paced by event-loop turns, not by time: the server, in this process, reads between two chunks.
      if (sock.write(chunk)) setImmediate(pump);
      else sock.once('drain', pump);
    };
    sock.on('connect', () => sock.write(header, () => setImmediate(pump)));
  });
}

const metric = async (code: string) => {
  const body = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
  const m = body.match(new RegExp(`coldtrace_mqtt_frame_violations_total\\{code="${code}"\\} (\\d+)`));
  return Number(m?.[1] ?? 0);
};

describe('embedded broker packet size limits', () => {
  it('closes an unauthenticated connection whose CONNECT announces 200 MiB, without reading it', async () => {
    const port = Number(new URL(cloud.mqttUrl!).port);
    // CONNECT (0x10) with Remaining Length 200 MiB (MQTT 3.1.1 §2.2.3 encoding).
    const header = Buffer.from([0x10, 0x80, 0x80, 0x80, 0x64]);
    const sent = await sendUntilClosed(port, header, 8 * 1024 * 1024);
    // Closed at once: a few chunks in flight at most, nowhere near the announced size.
    expect(sent).toBeLessThan(1024 * 1024);
    expect(await metric('packet_too_large')).toBe(1);
  });

  it('closes a connection with a malformed Remaining Length (five bytes)', async () => {
    const port = Number(new URL(cloud.mqttUrl!).port);
    const sent = await sendUntilClosed(
      port,
      Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]),
      8 * 1024 * 1024,
    );
    expect(sent).toBeLessThan(1024 * 1024);
    expect(await metric('malformed_length')).toBe(1);
  });

  it("closes a gateway's oversized PUBLISH, stores nothing of it, and the gateway carries on after reconnecting", async () => {
    const gw = await cloud.connect('gw-a', secret);
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    const big = JSON.stringify(readingsBatch('gw-a', readings(1))) + ' '.repeat(MAX_PACKET);
    gw.publish(gatewayTopic('gw-a', 'readings'), big, { qos: 1 }, () => undefined);
    await closed;
    gw.end(true);
    expect(await metric('packet_too_large')).toBe(2);
    expect(await cloud.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(0);
    expect(await cloud.store.listDeadLetters(10)).toHaveLength(0); // never read, so nothing to keep

    // A packet just under the limit still goes through, and is stored after the PUBACK.
    const again = await cloud.connect('gw-a', secret);
    const batch = readingsBatch('gw-a', readings(200));
    const payload = JSON.stringify(batch);
    expect(payload.length).toBeLessThan(MAX_PACKET - 100);
    await again.publishAsync(gatewayTopic('gw-a', 'readings'), payload, { qos: 1 });
    expect(await cloud.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(200);
    await again.endAsync();
  });
});
