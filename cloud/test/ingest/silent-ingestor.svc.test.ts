import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestorChild, RabbitmqIngestRig } from './rabbitmq-ingest-rig.js';

// Needs PostgreSQL on 127.0.0.1:5432 and Debian's rabbitmq-server (deploy/dev-services.sh). An ingestor
// that goes silent without closing its connection (a frozen process, a host that lost power or network):
// no reset tells the broker or PostgreSQL, only their timeouts do (docs/operations.md "A cloud that goes
// silent"). The process is frozen with SIGSTOP while it holds batches in ingest: the broker must close its
// connection after missed heartbeats and make the other process the active consumer of its partitions,
// PostgreSQL must end its session idle in a transaction so the other can take the gateways' stream locks,
// and the frozen process, resumed, must rejoin without storing anything twice.

const GATEWAYS = Array.from({ length: 6 }, (_, i) => `gw-${i + 1}`);
const REBALANCE_MS = 500;
/** Asked of the broker by both processes; RabbitMQ closes a connection after two missed heartbeats. */
const HEARTBEAT_S = 2;
/** PostgreSQL ends the frozen process's session, and releases its stream locks, after this long. */
const IDLE_IN_TRANSACTION_MS = 3_000;
const PACE_MS = 100;

type Child = IngestorChild & { name: string };

describe('an ingestor gone silent on RabbitMQ', { timeout: 300_000 }, () => {
  let f: RabbitmqIngestRig;
  /** Per gateway, the processes that ingested its batches since `track()`. */
  let tracked = new Map<string, Set<Child>>();
  /** Every process that ingested anything since `track()`. */
  let active = new Set<Child>();

  beforeAll(async () => {
    f = await RabbitmqIngestRig.create(GATEWAYS);
  }, 180_000);
  afterAll(async () => {
    for (const c of f?.children ?? []) if (c.proc.exitCode === null) c.proc.kill('SIGCONT');
    await f?.destroy();
  });

  const track = () => {
    tracked = new Map(GATEWAYS.map((id) => [id, new Set<Child>()]));
    active = new Set();
  };
  const startChild = (name: string): Child => {
    const c: Child = Object.assign(
      f.start(3, {
        rebalanceMs: REBALANCE_MS,
        heartbeatS: HEARTBEAT_S,
        idleInTransactionMs: IDLE_IN_TRANSACTION_MS,
        onTopic: (topic) => {
          tracked.get(topic.split('/')[3]!)?.add(c);
          active.add(c);
        },
      }),
      { name },
    );
    return c;
  };

  it('hands a frozen ingestor’s partitions to the other within 10 s, and takes it back once resumed', async () => {
    track();
    const [a, b] = [startChild('a'), startChild('b')];
    await until(() => a.ready && b.ready, 'two ingestors consuming', { timeoutMs: 60_000 });
    const pub = await f.publishPaced(GATEWAYS, PACE_MS);

    // Both ingest once the partitions are shared out.
    await until(() => active.size === 2, 'both ingestors ingesting', { timeoutMs: 60_000, intervalMs: 50 });
    const victim = a;
    const survivor = b;
    await until(() => victim.entered - victim.done > 0, 'the victim holding batches in ingest', {
      intervalMs: 1,
    });
    victim.proc.kill('SIGSTOP');
    const queuedAtStop = [...pub.acked];
    const stoppedAt = Date.now();
    track();
    // Nothing reset the frozen process's connections: what it held is released only when the broker gives
    // up on its heartbeats and PostgreSQL on its idle transaction. Within 10 s, the survivor ingests every
    // gateway and everything queued at the freeze is stored.
    await until(
      async () =>
        GATEWAYS.every((id) => tracked.get(id)?.has(survivor)) && (await f.holdsAll(GATEWAYS, queuedAtStop)),
      'the survivor ingesting every gateway, and what was queued at the freeze stored',
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    // The takeover took the broker's heartbeat timeout, not a reset (precondition of the scenario: had
    // the connection closed at once, this would test SIGKILL again).
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(HEARTBEAT_S * 1000);
    expect(victim.proc.exitCode).toBeNull();

    // Resumed, the process finds its connection closed: the batch it held commits (a duplicate of what the
    // survivor stored, so nothing twice), its acknowledgement goes nowhere, and it reconnects and takes
    // back its share of the partitions.
    track();
    victim.proc.kill('SIGCONT');
    await until(() => active.has(victim), 'the resumed ingestor ingesting again', {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    expect(victim.proc.exitCode).toBeNull();

    await pub.stop();
    await f.allStored(GATEWAYS, pub.acked);
    for (const [i, id] of GATEWAYS.entries()) expect(await f.storedSeqs(id)).toEqual(upTo(2 * pub.acked[i]!));
  });
});

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
