import { until } from '@coldtrace/shared/testing';
import type { AuthorizePublishHandler } from 'aedes';
import mqtt, { type IClientOptions, type MqttClient, Store } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdOnlyStore } from '../../src/publisher/id-only-store.js';
import { startBroker, type TestBroker } from './helpers.js';

const PAYLOAD = 'x'.repeat(64 * 1024);

describe('MQTT.js with the id-only outgoing store, against a real aedes broker', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  /**
   * A broker that holds the PUBACK of the first publish until `release()` (authorizePublish not answered)
   * and acknowledges every later one (MQTT.js emits `connect` after a reconnect only once what it re-sent
   * from its store is acknowledged).
   */
  async function holdingBroker() {
    const held: Array<() => void> = [];
    let received = 0;
    const authorizePublish: AuthorizePublishHandler = (_client, _packet, cb) => {
      received++;
      if (received === 1) held.push(() => cb(null));
      else cb(null);
    };
    const b: TestBroker = await startBroker({ authorizePublish });
    cleanups.push(() => b.close());
    return {
      b,
      held,
      received: () => received,
      release: () => {
        for (const f of held.splice(0)) f();
      },
    };
  }

  async function client(port: number, opts: Partial<IClientOptions>): Promise<MqttClient> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: `gw-${Math.random().toString(16).slice(2)}`,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 50,
      ...opts,
    });
    cleanups.push(() => c.endAsync(true));
    return c;
  }

  it('keeps the message id of an unacknowledged publish but never its payload', async () => {
    const broker = await holdingBroker();
    const store = createIdOnlyStore();
    const c = await client(broker.b.port, { outgoingStore: store });
    let acked: Error | undefined | null = null;
    c.publish('coldtrace/v1/gw/gw-1/readings', PAYLOAD, { qos: 1 }, (err) => {
      acked = err;
    });
    await until(() => broker.received() === 1, 'publish at the broker');
    const messageId = Number(Object.keys(c.outgoing)[0]);
    const inStore = await new Promise<unknown>((resolve) =>
      store.get({ messageId }, (_err, p) => resolve(p)),
    );
    expect(inStore).toEqual({ cmd: 'publish', messageId });
    broker.release();
    await until(() => acked !== null, 'PUBACK handled');
    expect(acked).toBeUndefined(); // MQTT.js matched the PUBACK against the stored id: no 'missing packet'
    const after = await new Promise<Error | undefined>((resolve) =>
      store.get({ messageId }, (err) => resolve(err)),
    );
    expect(after?.message).toBe('missing packet');
  });

  it('re-sends nothing by itself after a reconnect (the buffer is the only queue); the default store does', async () => {
    for (const [name, outgoingStore, resent] of [
      ['id-only', createIdOnlyStore(), 0],
      ['MQTT.js default', new Store(), 1],
    ] as const) {
      const broker = await holdingBroker();
      const c = await client(broker.b.port, { outgoingStore });
      c.publish('coldtrace/v1/gw/gw-1/readings', PAYLOAD, { qos: 1 });
      await until(() => broker.received() === 1, `${name}: publish at the broker`);
      const reconnected = new Promise<void>((resolve) => c.once('connect', () => resolve()));
      c.stream.destroy();
      await reconnected;
      // MQTT.js writes what its store re-sends before anything published after 'connect', and the broker
      // takes one connection's publishes in order: once a probe published now is acknowledged, any resend
      // has been counted.
      await c.publishAsync('coldtrace/v1/gw/gw-1/status', 'probe', { qos: 1 });
      expect(broker.received() - 2, name).toBe(resent);
    }
  });
});
