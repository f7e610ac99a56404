import type { Clock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { MarkKind } from '../store/evaluation-marks.js';
import type { Database } from '../store/schema.js';

/** The PostgreSQL pool's counts (store/db.ts `PoolStats`). */
interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface LagMetricsOptions {
  registry: Registry;
  /** The data clock: a reading's age is data time (its event time) against the cloud's now. */
  clock: Clock;
  /** Where the pending evaluation marks are counted at each scrape. */
  db: Kysely<Database>;
  /** The PostgreSQL pool's counts; absent on SQLite (one connection, no pool gauges). */
  poolStats?: (() => PoolCounts) | undefined;
}

const MARK_KINDS: readonly MarkKind[] = ['location', 'epc', 'product'];

/** How long a scrape waits for the evaluation backlog count. */
const BACKLOG_QUERY_MS = 2_000;

/** `work`'s result, or undefined when it takes longer than `ms` (or fails). */
async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether ingest keeps up (docs/operations.md "Monitoring: lag"): how long a message takes from receipt to
 * commit, how old each gateway's newest stored reading is, how many messages this process holds in
 * ingest, how many wait in the broker's queues, how much evaluation is pending, and the store pool.
 * Per process: with several ingestors, aggregate over instances (the newest reading is the one with the
 * smallest age, `min by (gateway)`).
 */
export class LagMetrics {
  private readonly latency: Histogram<'outcome'>;
  private readonly queueMessages: Gauge<'queue'>;
  private readonly newest = new Map<string, number>();
  private inFlight = 0;

  constructor(opts: LagMetricsOptions) {
    const { registry, clock, db } = opts;
    this.latency = new Histogram({
      name: 'coldtrace_ingest_latency_seconds',
      help: 'Time from a message reaching ingest to its commit (records stored, or the dead letter written), by outcome',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    const newest = this.newest;
    new Gauge({
      name: 'coldtrace_ingest_data_age_seconds',
      help: 'Age of the newest reading this process stored per gateway: the cloud’s now minus its event time (a gateway offline, or its data stuck upstream, grows it)',
      labelNames: ['gateway'],
      registers: [registry],
      collect() {
        const now = clock.now();
        for (const [gateway, ts] of newest) this.set({ gateway }, Math.max(0, (now - ts) / 1000));
      },
    });
    const self = this;
    new Gauge({
      name: 'coldtrace_ingest_in_flight_messages',
      help: 'Messages this process has taken from its broker(s) and not yet committed (they are not acknowledged yet)',
      registers: [registry],
      collect() {
        this.set(self.inFlight);
      },
    });
    this.queueMessages = new Gauge({
      name: 'coldtrace_broker_queue_messages',
      help: 'Messages ready in a RabbitMQ ingest queue, waiting for an ingestor (checked periodically over AMQP)',
      labelNames: ['queue'],
      registers: [registry],
    });
    // Read before the backlog query below takes a connection: the scrape does not count itself.
    const pool = opts.poolStats;
    if (pool) {
      new Gauge({
        name: 'coldtrace_store_pool_connections',
        help: 'PostgreSQL pool: connections open (total), idle, and queries waiting for one (waiting)',
        labelNames: ['state'],
        registers: [registry],
        collect() {
          const s = pool();
          this.set({ state: 'total' }, s.total);
          this.set({ state: 'idle' }, s.idle);
          this.set({ state: 'waiting' }, s.waiting);
        },
      });
      new Gauge({
        name: 'coldtrace_store_pool_max_connections',
        help: 'PostgreSQL pool size (config databasePool.size)',
        registers: [registry],
        collect() {
          this.set(pool().max);
        },
      });
    }
    new Gauge({
      name: 'coldtrace_evaluation_backlog_marks',
      help: 'Evaluation marks pending: committed readings or limit changes (location), movements (epc) or product changes (product) whose derived state is not recomputed yet, by kind',
      labelNames: ['kind'],
      registers: [registry],
      async collect() {
        // A store that does not answer (pool exhausted, locks) must not hold up the scrape that shows
        // it: the last counts stay.
        const rows = await within(
          BACKLOG_QUERY_MS,
          db
            .selectFrom('evaluation_marks')
            .select((eb) => ['kind', eb.fn.countAll<number | string>().as('n')])
            .groupBy('kind')
            .execute(),
        );
        if (rows === undefined) return;
        this.reset();
        for (const kind of MARK_KINDS) this.set({ kind }, 0);
        for (const r of rows) this.set({ kind: r.kind }, Number(r.n));
      },
    });
  }

  /**
   * A message reached ingest: `committed` with how it ended (`stored`, `dead_letter`) once its transaction
   * committed, `left` when it is no longer in ingest (committed or failed).
   */
  received(): { committed(outcome: string): void; left(): void } {
    const stop = this.latency.startTimer();
    this.inFlight += 1;
    let done = false;
    return {
      committed: (outcome) => stop({ outcome }),
      left: () => {
        if (!done) this.inFlight -= 1;
        done = true;
      },
    };
  }

  /** Readings of `gatewayId` are stored (inserted, or there already): the newest of them counts. */
  readingsStored(gatewayId: string, records: readonly { ts: number }[]): void {
    let max = this.newest.get(gatewayId) ?? Number.NEGATIVE_INFINITY;
    for (const r of records) if (r.ts > max) max = r.ts;
    if (Number.isFinite(max)) this.newest.set(gatewayId, max);
  }

  /** A RabbitMQ queue's ready messages; `undefined` when unknown (not connected): the series goes. */
  queueDepth(queue: string, messages: number | undefined): void {
    if (messages === undefined) this.queueMessages.remove({ queue });
    else this.queueMessages.set({ queue }, messages);
  }
}
