import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problems, verifyExactlyOnce } from './exactly-once.js';
import { expectEveryCaseMoved, holdAcks, POLL, passAndWait, storedReadings } from './faults.js';
import { type Rig, startRig } from './rig.js';

/**
 * docs/durability.md "Fault tests": the gateway is killed with SIGKILL in the middle of publishing and
 * restarted; every record reaches the cloud store exactly once, in sequence order per stream. Real
 * processes: `coldtrace cloud` (aedes + SQLite) and `coldtrace edge`, fed by Modbus buses on ptys and an
 * LLRP reader, both simulated in this process.
 */
let rig: Rig;
const GW = 'gw-kill';

beforeAll(async () => {
  rig = await startRig({ gatewayId: GW, pollMs: 30 });
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

describe('gateway SIGKILL while publishing', () => {
  it('every record reaches the cloud exactly once, in sequence order, after two kills and restarts', async () => {
    await until(() => storedReadings(rig) >= 150, 'readings flowing into the cloud', POLL);
    const moved: string[] = [];
    await passAndWait(rig, moved, 10);

    // Kill 1: at an arbitrary moment of steady publishing (four sensors polled every 30 ms).
    await rig.gw.kill();
    const afterKill1 = storedReadings(rig);
    rig.gw.start();
    await until(() => storedReadings(rig) > afterKill1 + 100, 'publishing to resume after restart 1', POLL);

    // Kill 2: inside the window "stored by the cloud, PUBACK not yet seen by the gateway".
    await passAndWait(rig, moved, 10);
    const held = await holdAcks(rig);
    await rig.gw.kill();
    // The gateway is dead: every reading stored since the hold is one it never saw acknowledged.
    const storedUnacked = storedReadings(rig) - held;
    rig.proxy.dropDownstream(); // the held PUBACKs belonged to the dead gateway's connection
    rig.gw.start();
    await passAndWait(rig, moved, 10);

    const seqs = await rig.drain();
    const duplicates = await rig.cloud.metric('coldtrace_ingest_records_total', { result: 'duplicate' });
    await rig.cloud.stop();
    const report = await verifyExactlyOnce(rig.cloudDb, GW, seqs.lastSeq);
    console.info(JSON.stringify({ test: 'gateway-kill', lastSeq: seqs.lastSeq, storedUnacked, duplicates }));

    expect(seqs.records).toBe(0);
    expect(seqs.lastSeq.readings).toBeGreaterThan(300);
    expectEveryCaseMoved(rig, seqs.lastSeq.movements, moved);
    expect(problems(report)).toEqual([]);
    expect(report.readings.thinned).toBe(0);
    // The test proves something: the restarted gateway re-sent records the cloud already had.
    expect(storedUnacked).toBeGreaterThan(0);
    expect(duplicates).toBeGreaterThanOrEqual(storedUnacked);
  }, 180_000);
});
