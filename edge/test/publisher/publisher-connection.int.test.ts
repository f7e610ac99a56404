import { until } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { readings, T0 } from '../buffer/fixtures.js';
import { firstArrivals, startBroker } from './helpers.js';
import { usePublisherRig } from './publisher-rig.js';

// Connection loss, refused connections, reconnects, the Last Will and stopping (the delivery itself:
// publisher.int.test.ts).

describe('publisher against a real aedes broker', () => {
  const rig = usePublisherRig();

  it('drops a connection whose PUBACK does not come within pubackTimeoutMs, and sends the batch again', async () => {
    // A broker that keeps the connection up (PINGREQ answered) but never acknowledges the first
    // connection's publishes, as RabbitMQ 3.10's MQTT plugin does after a timed-out auth call.
    let first: unknown;
    let held = 0;
    const b = await rig.broker({
      authorizePublish: (client, packet, cb) => {
        first ??= client;
        if (client === first && packet.topic.endsWith('/readings')) held++;
        else cb(null);
      },
    });
    const sub = await rig.subscriber(b.port);
    const pub = rig.publisher(b.port, {
      mqtt: {
        url: `mqtt://127.0.0.1:${b.port}`,
        reconnectMs: 100,
        connectTimeoutMs: 2000,
        pubackTimeoutMs: 1000,
      },
    });
    let disconnects = 0;
    pub.on('disconnected', () => disconnects++);
    const sent: string[] = [];
    pub.on('sent', (x) => {
      if (x.stream === 'readings') sent.push(`${x.firstSeq}..${x.lastSeq}`);
    });
    pub.start();
    await until(() => pub.connected, 'connected');
    rig.buffer.append('readings', readings(250));
    pub.notify('readings');
    // Precondition: the first connection's batches went unacknowledged and held the buffer.
    await until(() => held >= 1, 'a batch held without PUBACK');
    expect(rig.buffer.stats().records).toBe(250);
    await until(() => rig.buffer.stats().records === 0, 'acknowledged on the next connection');
    await until(() => firstArrivals(sub.of('readings')).length === 250, 'all at the subscriber');
    expect(disconnects).toBeGreaterThanOrEqual(1);
    expect(sent.filter((x) => x === '1..100').length).toBe(2);
    expect(firstArrivals(sub.of('readings'))).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(sub.invalid).toEqual([]);
  });

  it('keeps reconnecting after the broker refuses its CONNECT, and then sends what it buffered', async () => {
    const b = await rig.broker({ refuseFirst: 3 });
    const sub = await rig.subscriber(b.port);
    rig.buffer.append('readings', readings(10, 0));
    const pub = rig.publisher(b.port);
    pub.start();
    // Precondition: the broker did refuse it (MQTT.js stops reconnecting after a refused CONNACK by default).
    await until(() => b.refused.count >= 3, 'three refused CONNECTs');
    await until(() => pub.connected, 'connected on a later attempt');
    await until(() => firstArrivals(sub.of('readings')).length === 10, 'the buffered readings delivered');
  });

  it('replays the backlog oldest first after a reconnect while new records keep arriving', async () => {
    const b1 = await startBroker();
    const port = b1.port;
    const pub = rig.publisher(port, { batch: { maxRecords: 200, maxAgeMs: 20 }, inflightWindow: 2 });
    let maxInflight = 0;
    pub.on('sent', () => {
      maxInflight = Math.max(maxInflight, pub.inflight().readings);
    });
    pub.start();
    await until(() => pub.connected, 'connected');
    await b1.close();
    await until(() => !pub.connected, 'disconnected');
    // Uplink down: a backlog builds up.
    for (let i = 0; i < 20; i++) {
      rig.buffer.append('readings', readings(250, i * 250));
      pub.notify('readings');
    }
    expect(rig.buffer.stats().records).toBe(5000);
    const b2 = await rig.broker({ port, holdUntilSubscribed: true });
    const sub = await rig.subscriber(b2.port);
    // New records keep arriving during the replay.
    let n = 5000;
    const feeder = setInterval(() => {
      rig.buffer.append('readings', readings(20, n));
      n += 20;
      pub.notify('readings');
    }, 5);
    rig.cleanups.push(() => clearInterval(feeder));
    await until(() => n >= 6000, 'live records appended');
    clearInterval(feeder);
    await until(() => rig.buffer.stats().records === 0, 'backlog and live records delivered');
    await until(() => firstArrivals(sub.of('readings')).length === n, 'all at the subscriber');
    const seqs = firstArrivals(sub.of('readings'));
    expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(maxInflight).toBeLessThanOrEqual(2);
    for (const x of sub.of('readings')) expect(x.value.records.length).toBeLessThanOrEqual(200);
  });

  it('the broker publishes the retained Last Will when the socket dies; online again after reconnect', async () => {
    const b = await rig.broker();
    const pub = rig.publisher(b.port);
    pub.publishStatus({
      gatewayId: 'gw-1',
      state: 'online',
      ts: T0,
      reason: 'started',
      version: '0.1.0-test',
    });
    pub.start();
    await until(() => pub.connected && b.sockets.size === 1, 'connected');
    const gatewaySocket = [...b.sockets][0]!;
    const sub = await rig.subscriber(b.port);
    await until(() => sub.of('status').length === 1, 'retained online status');
    expect(sub.of('status')[0]).toMatchObject({ retain: true, value: { state: 'online' } });
    gatewaySocket.destroy(); // abrupt: no DISCONNECT packet, so the broker sends the will
    await until(() => sub.of('status').some((s) => s.value.state === 'offline'), 'last will');
    const will = sub.of('status').find((s) => s.value.state === 'offline')!;
    expect(will.value).toMatchObject({ gatewayId: 'gw-1', state: 'offline', reason: 'last_will' });
    await until(() => sub.of('status').at(-1)?.value.state === 'online', 'online after reconnect');
    // A late subscriber sees the retained online status.
    const late = await rig.subscriber(b.port);
    await until(() => late.of('status').length === 1, 'retained');
    expect(late.of('status')[0]).toMatchObject({ retain: true, value: { state: 'online' } });
  });

  it('stop() publishes a retained offline status (shutdown) and leaves unsent records buffered', async () => {
    const b = await rig.broker();
    const pub = rig.publisher(b.port, { batch: { maxRecords: 100, maxAgeMs: 3_600_000 } });
    pub.start();
    await until(() => pub.connected, 'connected');
    rig.buffer.append('readings', readings(5));
    pub.notify('readings');
    await pub.stop();
    expect(pub.connected).toBe(false);
    expect(rig.buffer.stats().records).toBe(5);
    const late = await rig.subscriber(b.port);
    await until(() => late.of('status').length === 1, 'retained status');
    expect(late.of('status')[0]).toMatchObject({
      retain: true,
      value: { gatewayId: 'gw-1', state: 'offline', reason: 'shutdown' },
    });
  });
});
