import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AMQP_HEARTBEAT_S } from '../../src/ingest/amqp-reconnect.js';
import { type IngestorChild, RabbitmqIngestRig } from './rabbitmq-ingest-rig.js';

// Needs PostgreSQL on 127.0.0.1:5432 and Debian's rabbitmq-server (deploy/dev-services.sh). An ingestor
// that goes silent without closing its connection (a frozen process, a host that lost power or network):
// no reset tells the broker or PostgreSQL, only their timeouts do (docs/operations.md "A cloud that goes
// silent"). The process is frozen with SIGSTOP while it holds batches in ingest: the broker must close its
// connection after missed heartbeats and make the other process the active consumer of its partitions,
// PostgreSQL must end its session idle in a transaction so the other can take the gateways' stream locks,
// and the frozen process, resumed, must rejoin without storing anything twice.

/** Each case has gateways of its own, so its stored sequences are its own. */
const CASE_GATEWAYS = [0, 1].map((k) => Array.from({ length: 6 }, (_, i) => `gw-${k * 6 + i + 1}`));
const REBALANCE_MS = 500;
const PACE_MS = 100;

/**
 * The AMQP heartbeat both processes ask for (RabbitMQ closes a connection after two to three missed
 * ones), PostgreSQL's idle in transaction limit, after which it ends the frozen process's session and
 * releases its stream locks (the store's default when absent), and the takeover bound.
 */
interface Timeouts {
  heartbeatS?: number;
  idleInTransactionMs?: number;
  takeoverMs: number;
}
const SHORT: Timeouts = { heartbeatS: 2, idleInTransactionMs: 3_000, takeoverMs: 10_000 };
/** The defaults: docs/operations.md says 10–15 s. */
const DEFAULTS: Timeouts = { takeoverMs: 16_000 };

type Child = IngestorChild & { name: string };

describe('an ingestor gone silent on RabbitMQ', { timeout: 300_000 }, () => {
  let f: RabbitmqIngestRig;
  /** Per gateway, the processes that ingested its batches since `track()`. */
  let tracked = new Map<string, Set<Child>>();
  /** Every process that ingested anything since `track()`. */
  let active = new Set<Child>();

  beforeAll(async () => {
    f = await RabbitmqIngestRig.create(CASE_GATEWAYS.flat());
  }, 180_000);
  afterAll(async () => {
    for (const c of f?.children ?? []) if (c.proc.exitCode === null) c.proc.kill('SIGCONT');
    await f?.destroy();
  });

  const track = (gateways: string[]) => {
    tracked = new Map(gateways.map((id) => [id, new Set<Child>()]));
    active = new Set();
  };
  const startChild = (name: string, t: Timeouts): Child => {
    const c: Child = Object.assign(
      f.start(3, {
        rebalanceMs: REBALANCE_MS,
        heartbeatS: t.heartbeatS,
        idleInTransactionMs: t.idleInTransactionMs,
        onTopic: (topic) => {
          tracked.get(topic.split('/')[3]!)?.add(c);
          active.add(c);
        },
      }),
      { name },
    );
    return c;
  };

  it.each([
    ['a 2 s heartbeat and a 3 s idle limit', SHORT, CASE_GATEWAYS[0]!],
    ['the default heartbeat and idle limit', DEFAULTS, CASE_GATEWAYS[1]!],
  ])(
    'with %s, hands a frozen ingestor’s partitions to the other in time, and takes it back once resumed',
    async (_, t, gateways) => {
      track(gateways);
      const [a, b] = [startChild('a', t), startChild('b', t)];
      await until(() => a.ready && b.ready, 'two ingestors consuming', { timeoutMs: 60_000 });
      const pub = await f.publishPaced(gateways, PACE_MS);

      // Both ingest once the partitions are shared out.
      await until(() => active.size === 2, 'both ingestors ingesting', { timeoutMs: 60_000, intervalMs: 50 });
      const victim = a;
      const survivor = b;
      await f.signalOnEntry([victim], 'SIGSTOP');
      const queuedAtStop = [...pub.acked];
      const stoppedAt = Date.now();
      track(gateways);
      // Nothing reset the frozen process's connections: what it held is released only when the broker gives
      // up on its heartbeats and PostgreSQL on its idle transaction. In time, the survivor ingests every
      // gateway and everything queued at the freeze is stored.
      await until(
        async () =>
          gateways.every((id) => tracked.get(id)?.has(survivor)) &&
          (await f.holdsAll(gateways, queuedAtStop)),
        'the survivor ingesting every gateway, and what was queued at the freeze stored',
        { timeoutMs: t.takeoverMs, intervalMs: 100 },
      );
      // The takeover took the broker's heartbeat timeout, not a reset (precondition of the scenario: had
      // the connection closed at once, this would test SIGKILL again).
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(
        (t.heartbeatS ?? DEFAULT_AMQP_HEARTBEAT_S) * 1000,
      );
      expect(victim.proc.exitCode).toBeNull();

      // Resumed, the process finds its connection closed: the batch it held commits (a duplicate of what the
      // survivor stored, so nothing twice), its acknowledgement goes nowhere, and it reconnects and takes
      // back its share of the partitions.
      track(gateways);
      victim.proc.kill('SIGCONT');
      await until(() => active.has(victim), 'the resumed ingestor ingesting again', {
        timeoutMs: 60_000,
        intervalMs: 50,
      });
      expect(victim.proc.exitCode).toBeNull();

      await pub.stop();
      await f.allStored(gateways, pub.acked);
      for (const [i, id] of gateways.entries())
        expect(await f.storedSeqs(id)).toEqual(upTo(2 * pub.acked[i]!));
      // The next case starts its own pair.
      for (const c of [a, b]) c.proc.kill('SIGKILL');
    },
  );
});

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
