import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudMaxSeqs, problems, verifyExactlyOnce } from './exactly-once.js';
import { expectEveryCaseMoved, gatewaySeqs, holdAcks, POLL, passAndWait, storedReadings } from './faults.js';
import { type Rig, startRig } from './rig.js';

/**
 * docs/durability.md "Fault tests": the cloud is killed with SIGKILL during ingest and restarted, and the
 * uplink is cut for a while (a TCP proxy on loopback that refuses and drops connections, then is
 * restored): zero loss and zero duplicates in the store. With the embedded default the broker is inside
 * the cloud process, so the cloud's SIGKILL is also the broker's.
 */
let rig: Rig;
const GW = 'gw-cloudkill';
/** Readings the gateway must buffer during each outage before it ends. */
const OUTAGE_READINGS = 60;

beforeAll(async () => {
  rig = await startRig({ gatewayId: GW, pollMs: 30 });
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

const duplicates = () => rig.cloud.metric('coldtrace_ingest_records_total', { result: 'duplicate' });
const connected = () => rig.gw.metric('coldtrace_gateway_uplink_connected');

describe('cloud + broker SIGKILL, uplink cut', () => {
  it('zero loss and zero duplicates in the store, with real redelivery after each fault', async () => {
    await until(() => storedReadings(rig) >= 150, 'readings flowing into the cloud', POLL);
    const moved: string[] = [];
    await passAndWait(rig, moved, 10);

    // 1. The cloud (and its embedded aedes broker) dies during ingest, with batches stored but not
    //    acknowledged to the gateway; readings accumulate at the gateway while it is down.
    const held1 = await holdAcks(rig);
    await rig.cloud.kill();
    rig.proxy.dropDownstream();
    // The cloud is dead, so what it stored is final: every reading stored since the hold comes again.
    const unacked1 = storedReadings(rig) - held1;
    await until(async () => (await connected()) === 0, 'the gateway to notice the broker is gone', POLL);
    const down1 = await gatewaySeqs(rig);
    const attempts = rig.proxy.connections;
    await until(
      async () =>
        rig.proxy.connections > attempts &&
        (await gatewaySeqs(rig)).readings >= down1.readings + OUTAGE_READINGS,
      'the gateway to buffer readings and try to reconnect while the broker is down',
      POLL,
    );
    await rig.cloud.start();
    await until(
      async () => (await duplicates()) >= unacked1 && storedReadings(rig) >= down1.readings + OUTAGE_READINGS,
      'the unacknowledged readings to come again (as duplicates) and the outage backlog to arrive',
      POLL,
    );
    const dup1 = await duplicates();

    // 2. The uplink is cut (the proxy refuses and drops connections) while readings and an LLRP pass
    //    accumulate; again with batches stored upstream but unacknowledged.
    await passAndWait(rig, moved, 10);
    const held2 = await holdAcks(rig);
    rig.proxy.cut(); // the held PUBACKs go with the connections it destroys
    rig.proxy.dropDownstream();
    await until(async () => (await connected()) === 0, 'the gateway to see the uplink down', POLL);
    // What the gateway appends from here on can reach the cloud only over a new connection, which the cut
    // refuses: nothing above these sequence numbers may be stored until the restore.
    const atCut = await gatewaySeqs(rig);
    const refusedAtCut = rig.proxy.refused;
    moved.push(...(await rig.pass(10)));
    await until(
      async () => {
        const s = await gatewaySeqs(rig);
        return (
          s.readings >= atCut.readings + OUTAGE_READINGS &&
          s.movements >= atCut.movements + 10 &&
          rig.proxy.refused > refusedAtCut
        );
      },
      'readings and the pass buffered, and a reconnect refused, while the uplink is cut',
      POLL,
    );
    const backlog = (await rig.gw.health()).gateway.backlog?.records ?? 0;
    const unacked2 = storedReadings(rig) - held2;
    // Nothing gets through a cut uplink: the precondition (records made and buffered during the cut) is
    // the wait above.
    const maxStored = cloudMaxSeqs(rig.cloudDb, GW);
    expect(maxStored.readings).toBeLessThanOrEqual(atCut.readings);
    expect(maxStored.movements).toBeLessThanOrEqual(atCut.movements);
    expect(backlog).toBeGreaterThanOrEqual(OUTAGE_READINGS + 10);
    rig.proxy.restore();
    await passAndWait(rig, moved, 0);
    // Movements are replayed before readings after a reconnect: wait for the readings' redelivery. The
    // cloud's counter runs since its restart; the readings held back by each fault are different ones.
    await until(
      async () => (await duplicates()) >= unacked1 + unacked2,
      'the unacknowledged readings to come again (as duplicates) after the cut',
      POLL,
    );
    const dup2 = await duplicates();

    const seqs = await rig.drain();
    await rig.cloud.stop();
    const report = await verifyExactlyOnce(rig.cloudDb, GW, seqs.lastSeq);
    console.info(
      JSON.stringify({
        test: 'cloud-uplink',
        lastSeq: seqs.lastSeq,
        unacked1,
        dup1,
        unacked2,
        dup2,
        backlog,
      }),
    );

    expect(seqs.records).toBe(0);
    expectEveryCaseMoved(rig, seqs.lastSeq.movements, moved);
    expect(problems(report)).toEqual([]);
    // Redelivery really happened (and was deduplicated) after both faults.
    expect(unacked1).toBeGreaterThan(0);
    expect(dup1).toBeGreaterThanOrEqual(unacked1);
    expect(unacked2).toBeGreaterThan(0);
    expect(dup2).toBeGreaterThanOrEqual(unacked1 + unacked2);
  }, 180_000);
});
