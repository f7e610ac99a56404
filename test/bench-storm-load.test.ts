import { until } from '@coldtrace/shared/testing';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { backlog, publishAll } from '../bench/storm-load.js';
import { startBroker, type TestBroker } from '../edge/test/publisher/helpers.js';

// The storm bench's simulated gateways (bench/storm-load.ts `publishAll`) keep the edge publisher's PUBACK
// deadline: a connection that stays up but stops acknowledging (RabbitMQ 3.10's MQTT plugin after a
// timed-out auth call) is dropped, and the batches in flight are sent again on the next connection.
describe('bench/storm-load.ts publishAll', () => {
  let b: TestBroker | undefined;
  let c: mqtt.MqttClient | undefined;
  afterEach(async () => {
    await c?.endAsync(true);
    await b?.close();
  });

  it('drops a connection whose oldest publish waits past the deadline and sends it again', async () => {
    let first: unknown;
    let held = 0;
    const acked = new Set<number>();
    b = await startBroker({
      authorizePublish: (client, packet, cb) => {
        first ??= client;
        if (client === first) {
          held++;
          return; // never authorised: no PUBACK on this connection
        }
        acked.add(JSON.parse(packet.payload.toString()).firstSeq);
        cb(null);
      },
    });
    const payloads = backlog(7, 2_000, Date.UTC(2026, 11, 6));
    c = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { clientId: 'gw-7', clean: false, reconnectPeriod: 100 });
    let drops = 0;
    const done = publishAll(c, 7, payloads, {
      pubackTimeoutMs: 1_000,
      onDrop: () => {
        drops++;
      },
    });
    // Precondition: the first connection's publishes went unacknowledged.
    await until(() => held >= 1, 'a publish held without PUBACK');
    expect(acked.size).toBe(0);
    await done;
    expect(drops).toBeGreaterThanOrEqual(1);
    expect([...acked].sort((x, y) => x - y)).toEqual([1, 501, 1001, 1501]);
  });
});
