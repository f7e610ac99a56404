import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import type { IngestSource } from '../../src/ingest/ingest-source.js';
import { startMqttSubscriber } from '../../src/ingest/mqtt-subscriber.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { CONTRACT_GATEWAY, connectContractGateway, ingestSourceContract } from './ingest-source-contract.js';

// Needs `mosquitto` (deploy/dev-services.sh). The external-broker subscription as an ingest source, on our
// own Mosquitto with deploy/mosquitto/'s config.

const INGESTOR = { username: 'coldtrace-ingestor', password: 'ingestor-secret-0123456789' };

ingestSourceContract('external MQTT subscription (Mosquitto)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-subscriber-source-'));
  const store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  const secret = await registerGateway(store, { id: CONTRACT_GATEWAY, now: Date.now() });
  const broker = await Mosquitto.create({
    [INGESTOR.username]: INGESTOR.password,
    [CONTRACT_GATEWAY]: secret,
  });
  const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const gateway = connectContractGateway(broker.url, secret);
  const clients = new WeakMap<IngestSource, MqttClient>();
  return {
    store,
    async start(ingestor) {
      const sub = await startMqttSubscriber({
        url: broker.url,
        ...INGESTOR,
        clientId: 'coldtrace-ingestor-1',
        ingestor,
        log,
      });
      clients.set(sub, sub.client);
      return sub;
    },
    async crash(source) {
      // The socket goes without DISCONNECT or PUBACK; the persistent session keeps what was in flight.
      await clients.get(source)!.endAsync(true);
    },
    publish(topic, payload) {
      gateway.publish(topic, payload, { qos: 1 });
    },
    // MQTT.js reads the next packet only once the previous PUBACK went out (customHandleAcks), so the
    // subscription ingests one message at a time, below Mosquitto's window of 100.
    maxInFlight: 1,
    async close() {
      await gateway.endAsync(true);
      await broker.destroy();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
