import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudCounts, cloudCovers, problems, verifyExactlyOnce } from './exactly-once.js';
import { expectEveryCaseMoved, gatewaySeqs, POLL, passAndWait, storedReadings } from './faults.js';
import { type Mosquitto, mosquitto, mosquittoAvailable } from './mosquitto.js';
import { type Rig, startRig } from './rig.js';

/**
 * docs/durability.md "Fault tests", scaled deployment: the broker (Mosquitto, persistence on) restarts mid-stream
 * and the cloud (ingesting through `mqtt.external`, persistent session) is SIGKILLed during ingest:
 * zero loss and zero duplicates in the store. Needs the Debian package `mosquitto`.
 */
const GW = 'gw-mosq';
const INGESTOR = { username: 'coldtrace-ingestor', password: 'ingestor-secret-for-tests-only' };
const available = mosquittoAvailable();
if (!available)
  console.warn('mosquitto-restart.svc: skipped, `mosquitto` is not installed (apt-get install -y mosquitto)');

let dir: string;
let broker: Mosquitto;
let rig: Rig;

beforeAll(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-mosq-'));
  broker = await mosquitto(dir);
  broker.addUser(INGESTOR.username, INGESTOR.password);
  rig = await startRig({
    gatewayId: GW,
    pollMs: 30,
    // A plain persistent subscription (the subscriber always speaks MQTT 5): Mosquitto 2.0 keeps it
    // across a restart. It does NOT keep shared subscriptions ($share/…): with `sharedGroup`, what
    // gateways publish between the restart and the ingestors' resubscribe is acknowledged and dropped
    // (this test showed seqs 403..629 lost). See docs/operations.md "Shared subscriptions".
    externalBroker: { host: '127.0.0.1', port: broker.port, ...INGESTOR },
    onSecret: async (id, secret) => {
      broker.addUser(id, secret);
      await broker.start();
    },
  });
}, 60_000);

afterAll(async () => {
  await rig?.close();
  await broker?.kill();
  if (dir && !process.env.KEEP_FAULT_DIRS) rmSync(dir, { recursive: true, force: true });
});

const duplicates = () => rig.cloud.metric('coldtrace_ingest_records_total', { result: 'duplicate' });

/** Records the gateway has had acknowledged by the broker (appended minus still buffered; nothing thinned). */
async function acknowledged(): Promise<number> {
  const backlog = (await rig.gw.health()).gateway.backlog;
  const last = backlog?.lastSeq ?? {};
  return (last.readings ?? 0) + (last.movements ?? 0) + (last.alarms ?? 0) - (backlog?.records ?? 0);
}

describe.skipIf(!available)('Mosquitto restart and cloud SIGKILL (external broker)', () => {
  it('zero loss and zero duplicates in the store', async () => {
    await until(() => storedReadings(rig) >= 150, 'readings flowing through Mosquitto into the cloud', POLL);
    const moved: string[] = [];
    await passAndWait(rig, moved, 10);

    // 1. Mosquitto restarts (clean shutdown writes its persistence) with PUBACKs held from the gateway:
    //    Mosquitto acknowledges on receipt, so a held PUBACK (4 bytes; the only other packet it sends the
    //    gateway is a 2-byte PINGRESP per 30 s keepalive) is a publish the gateway must send again, and
    //    the cloud then gets it twice (once from Mosquitto's queue, once re-sent).
    rig.proxy.holdDownstream();
    await until(() => rig.proxy.heldBytes >= 4, 'a PUBACK from Mosquitto held from the gateway', POLL);
    await broker.stop();
    rig.proxy.dropDownstream();
    const down1 = await gatewaySeqs(rig);
    const attempts = rig.proxy.connections;
    await until(
      async () =>
        rig.proxy.connections > attempts && (await gatewaySeqs(rig)).readings >= down1.readings + 30,
      'the gateway to buffer readings and try to reconnect while Mosquitto is down',
      POLL,
    );
    await broker.start();
    await until(
      async () => storedReadings(rig) >= down1.readings + 30 && (await duplicates()) > 0,
      'ingest to resume after the broker restart, with the held publishes sent again',
      POLL,
    );
    const dup1 = await duplicates();

    // 2. The cloud dies during ingest; Mosquitto keeps its persistent session's queue and redelivers.
    await passAndWait(rig, moved, 10);
    await rig.cloud.kill();
    const atKill = cloudCounts(rig.cloudDb, GW); // final: the cloud is dead
    const storedAtKill = atKill.readings + atKill.movements + atKill.alarms;
    await until(
      async () => (await acknowledged()) >= storedAtKill + 50,
      'Mosquitto to acknowledge 50 records the dead cloud never stored (queued for its session)',
      POLL,
    );
    await rig.cloud.start();
    await until(
      () => {
        const c = cloudCounts(rig.cloudDb, GW);
        return c.readings + c.movements + c.alarms >= storedAtKill + 50;
      },
      'ingest to resume after the cloud restart, from the session queue',
      POLL,
    );
    await passAndWait(rig, moved, 10);

    const seqs = await rig.drain();
    // The drainer is done when Mosquitto acknowledged it; the ingestor may still be consuming its queue.
    await until(
      () => cloudCovers(rig.cloudDb, GW, seqs.lastSeq),
      'the cloud to store what Mosquitto still holds for it',
      POLL,
    );
    await rig.cloud.stop();
    const report = await verifyExactlyOnce(rig.cloudDb, GW, seqs.lastSeq);
    console.info(JSON.stringify({ test: 'mosquitto-restart', lastSeq: seqs.lastSeq, dup1 }));

    expect(seqs.records).toBe(0);
    expectEveryCaseMoved(rig, seqs.lastSeq.movements, moved);
    // Out-of-order arrival is allowed for the external broker path (redelivery of a resumed session),
    // so only presence and coverage are required here.
    expect(problems(report).filter((p) => !p.includes('out of sequence order'))).toEqual([]);
    // Redelivery really happened after the broker restart (a held PUBACK was proven above).
    expect(dup1).toBeGreaterThan(0);
  }, 240_000);
});
