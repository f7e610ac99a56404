import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@coldtrace/shared/testing';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import type { IngestSource } from '../../src/ingest/ingest-source.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { CONTRACT_GATEWAY, connectContractGateway, ingestSourceContract } from './ingest-source-contract.js';

// The embedded aedes broker as an ingest source: it ingests inside authorizePublish, before the PUBACK, so
// "redelivered" means the gateway sends again what was not acknowledged once it reconnects. Restarted on
// the same port, as a restarted cloud would be.
ingestSourceContract('embedded aedes broker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-embedded-source-'));
  const store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  const secret = await registerGateway(store, { id: CONTRACT_GATEWAY, now: Date.now() });
  const port = await freePort();
  const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  let gateway: MqttClient | undefined;
  return {
    store,
    async start(ingestor) {
      const broker = await startEmbeddedBroker({ host: '127.0.0.1', port, store, ingestor, log });
      gateway ??= connectContractGateway(`mqtt://127.0.0.1:${port}`, secret);
      return broker;
    },
    async crash(source: IngestSource) {
      // Closing aedes drops every connection at once; the PUBACK held in authorizePublish is never sent.
      await source.close();
    },
    publish(topic, payload) {
      gateway!.publish(topic, payload, { qos: 1 });
    },
    maxInFlight: {
      none: 'each connection holds what its gateway sent before the PUBACK (the gateway config’s batch.inflightWindow, default 4 per stream) and at most one socket read of it (aedes reads the next once that read’s packets are handled)',
    },
    async close() {
      await gateway?.endAsync(true);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
