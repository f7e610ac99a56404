import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestorChild, RabbitmqIngestRig } from './rabbitmq-ingest-rig.js';

// Needs PostgreSQL on 127.0.0.1:5432 and Debian's rabbitmq-server (deploy/dev-services.sh). Gateway-affine
// delivery (docs/operations.md "Queue layout"): two ingest processes (amqp-ingestor-child.ts) on the
// consistent-hash exchange's partitions with single active consumer. Once the active partitions are shared
// out, every batch of a gateway is ingested by one process; when that process is SIGKILLed, the other
// takes its partitions over and stores what was queued within 10 s, every record once.

const GATEWAYS = Array.from({ length: 8 }, (_, i) => `gw-${i + 1}`);
const REBALANCE_MS = 500;
/** The gateways' pace: one batch of 2 readings per gateway about every 100 ms, well within what one ingestor stores. */
const PACE_MS = 100;

type Child = IngestorChild & { name: string };

describe('gateway-affine delivery on RabbitMQ', { timeout: 300_000 }, () => {
  let f: RabbitmqIngestRig;
  /** Per gateway: the process that ingested its latest batch, and since when it has been that one. */
  const owner = new Map<string, { child: Child; since: number }>();
  /** Per gateway: the processes that ingested its batches since `track()` was called. */
  let tracked = new Map<string, Set<Child>>();

  beforeAll(async () => {
    f = await RabbitmqIngestRig.create(GATEWAYS);
  }, 180_000);
  afterAll(async () => {
    await f?.destroy();
  });

  const startChild = (name: string): Child => {
    const c: Child = Object.assign(
      f.start(3, {
        rebalanceMs: REBALANCE_MS,
        onTopic: (topic) => {
          const gw = topic.split('/')[3]!;
          if (owner.get(gw)?.child !== c) owner.set(gw, { child: c, since: Date.now() });
          tracked.get(gw)?.add(c);
        },
      }),
      { name },
    );
    return c;
  };
  const track = () => {
    tracked = new Map(GATEWAYS.map((id) => [id, new Set<Child>()]));
  };
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('ingests each gateway in one process at a time, and hands a killed one’s partitions to the other', async () => {
    const [a, b] = [startChild('a'), startChild('b')];
    await until(() => a.ready && b.ready, 'two ingestors consuming', { timeoutMs: 60_000 });
    const pub = await f.publishPaced(GATEWAYS, PACE_MS);
    // Batches each gateway has had acknowledged (so queued) so far.
    const acked = pub.acked;

    // 1. Whichever process was first on a partition is its active consumer; the busier one gives partitions
    // up until each is active on its share. Settled: both ingest, and no gateway moved for 6 periods.
    await until(
      () => {
        const owners = GATEWAYS.map((id) => owner.get(id));
        if (owners.some((o) => o === undefined)) return false;
        const since = Math.max(...owners.map((o) => o!.since));
        return new Set(owners.map((o) => o!.child)).size === 2 && Date.now() - since > 6 * REBALANCE_MS;
      },
      'the partitions shared out between the two ingestors',
      { timeoutMs: 60_000, intervalMs: 50 },
    );

    // 2. Affinity: from now on each gateway's batches go to the one process that owns it.
    track();
    const before = [...acked];
    await until(
      () => GATEWAYS.every((_, i) => acked[i]! >= before[i]! + 30),
      '30 more batches from every gateway',
      { timeoutMs: 60_000 },
    );
    const ownerOf = new Map(GATEWAYS.map((id) => [id, owner.get(id)!.child]));
    for (const id of GATEWAYS)
      expect(
        [...tracked.get(id)!].map((c) => c.name),
        id,
      ).toEqual([ownerOf.get(id)!.name]);
    const victim = ownerOf.get(GATEWAYS[0]!)!;
    const survivor = victim === a ? b : a;
    const victimGateways = GATEWAYS.filter((id) => ownerOf.get(id) === victim);
    expect(victimGateways.length).toBeLessThan(GATEWAYS.length);

    // 3. Takeover: SIGKILL the owner of gw-1 while it holds batches in ingest.
    await f.signalOnEntry([victim], 'SIGKILL');
    await new Promise((r) => victim.proc.once('exit', r));
    const queuedAtKill = [...acked];
    track();
    // Within 10 s, everything queued when it died is stored (its unacknowledged batches included: they may
    // have committed before the kill, so storage alone does not show a takeover) and the survivor receives
    // the dead process's gateways: the broker made it the active consumer of their partitions.
    await until(
      async () =>
        victimGateways.every((id) => tracked.get(id)?.has(survivor)) &&
        (await f.holdsAll(GATEWAYS, queuedAtKill)),
      'what was queued at the kill stored, and the survivor receiving the dead process’s gateways',
      { timeoutMs: 10_000, intervalMs: 100 },
    );

    await pub.stop();
    // Every record once: stored = published, per gateway in full.
    await f.allStored(GATEWAYS, acked);
    for (const [i, id] of GATEWAYS.entries()) expect(await f.storedSeqs(id)).toEqual(upTo(2 * acked[i]!));
  });
});
