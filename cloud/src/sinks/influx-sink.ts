import { Backoff, type Clock, type ClockTimer, ColdtraceError, errorMessage } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { withOutboxLane } from '../store/lane-lock.js';
import type { Dialect } from '../store/migrations.js';
import type { Database } from '../store/schema.js';
import { InfluxClient } from './influx-client.js';
import { type InfluxConfig, type InfluxConfigInput, influxConfigSchema } from './influx-config.js';
import { encodePoint } from './line-protocol.js';
import { type OutboxReading, SinkOutbox } from './sink-outbox.js';

export const INFLUX_SINK = 'influx';

export interface InfluxSinkOptions {
  db: Kysely<Database>;
  /**
   * PostgreSQL: several cloud processes share the outbox, and only the one holding the sink's lane sends
   * (store/lane-lock.ts), so each point goes out once; default sqlite (one process per database).
   */
  dialect?: Dialect | undefined;
  config: InfluxConfigInput;
  clock: Clock;
  log: Logger;
  registry?: Registry | undefined;
}

/** Line protocol for one stored reading: measurement `temperature`, tags gateway/sensor/location/quality. */
export function readingLine(measurement: string, r: OutboxReading): string | null {
  if (r.ts === null || r.sensor_id === null) return null;
  return encodePoint({
    measurement,
    tags: {
      gateway: r.gateway_id,
      sensor: r.sensor_id,
      location: r.location_id ?? undefined,
      quality: r.quality ?? undefined,
    },
    fields: { temp_c: r.temp_c, rh: r.rh, seq: { int: r.seq } },
    ts: r.ts,
  });
}

/**
 * Sends temperature readings to InfluxDB through the durable outbox: take a batch in enqueue order,
 * `POST /write`, and delete the batch only after InfluxDB answered 204. A failure keeps the batch and
 * retries with exponential backoff, so an InfluxDB outage loses nothing; a re-sent point has the same
 * series and timestamp and overwrites itself (InfluxDB 1.x "Duplicate points"), so sending twice is harmless.
 */
export class InfluxSink {
  readonly config: InfluxConfig;
  readonly client: InfluxClient;
  readonly outbox: SinkOutbox;
  private timer: ClockTimer | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  /** Consecutive failed writes; the delay before the next attempt (retryMinMs doubling to retryMaxMs). */
  private readonly backoff: Backoff;
  private databaseReady = false;
  private readonly metrics: {
    written: Counter;
    failures: Counter<'code'>;
    lastSuccess: Gauge;
  };

  constructor(private readonly opts: InfluxSinkOptions) {
    this.config = influxConfigSchema.parse(opts.config);
    // The config allows retryMinMs above retryMaxMs: then every retry waits retryMaxMs.
    this.backoff = new Backoff({
      initialMs: Math.min(this.config.retryMinMs, this.config.retryMaxMs),
      maxMs: this.config.retryMaxMs,
    });
    this.client = new InfluxClient(this.config);
    this.outbox = new SinkOutbox(opts.db, INFLUX_SINK);
    const registers = opts.registry ? [opts.registry] : [];
    const outbox = this.outbox;
    this.metrics = {
      written: new Counter({
        name: 'coldtrace_influx_points_written_total',
        help: 'Readings written to InfluxDB (re-sends after a failure count again)',
        registers,
      }),
      failures: new Counter({
        name: 'coldtrace_influx_write_failures_total',
        help: 'Failed InfluxDB writes by error code',
        labelNames: ['code'],
        registers,
      }),
      lastSuccess: new Gauge({
        name: 'coldtrace_influx_last_success_timestamp_seconds',
        help: 'Time of the last successful InfluxDB write',
        registers,
      }),
    };
    new Gauge({
      name: 'coldtrace_influx_outbox_backlog',
      help: 'Readings waiting in the InfluxDB outbox',
      registers,
      async collect() {
        this.set(await outbox.backlog().catch(() => -1));
      },
    });
  }

  /** Enables the outbox trigger for this sink and starts the send loop. */
  async start(): Promise<void> {
    await this.outbox.setEnabled(true, this.opts.clock.now(), { backfill: this.config.backfill });
    this.schedule(0);
    this.opts.log.info({ url: this.config.url, database: this.config.database }, 'InfluxDB sink started');
  }

  /**
   * Sends one batch; returns how many outbox rows it settled (0 when another process holds the sink's
   * lane: it is sending them). Throws on a failed write.
   */
  async sendOnce(): Promise<number> {
    const sent = await withOutboxLane(this.opts.db, this.opts.dialect ?? 'sqlite', 'sink:influx', (db) =>
      this.sendBatch(db === this.opts.db ? this.outbox : new SinkOutbox(db, INFLUX_SINK)),
    );
    return sent ?? 0;
  }

  private async sendBatch(outbox: SinkOutbox): Promise<number> {
    const rows = await outbox.take(this.config.batchSize);
    if (!rows.length) return 0;
    const lines: string[] = [];
    for (const r of rows) {
      const line = readingLine(this.config.measurement, r);
      if (line) lines.push(line);
    }
    if (lines.length) {
      if (this.config.createDatabase && !this.databaseReady) {
        await this.client.createDatabase();
        this.databaseReady = true;
      }
      await this.client.write(lines.join('\n'));
      this.metrics.written.inc(lines.length);
      this.metrics.lastSuccess.set(this.opts.clock.now() / 1000);
    }
    await outbox.ack(rows.map((r) => r.id));
    return rows.length;
  }

  /** Sends until the outbox is empty (tests, shutdown); throws on the first failure. */
  async drain(): Promise<void> {
    while ((await this.sendOnce()) > 0) {}
  }

  private schedule(ms: number) {
    if (this.closed) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.loop().finally(() => {
        this.running = undefined;
      });
    }, ms);
  }

  private async loop(): Promise<void> {
    let next: number;
    try {
      const n = await this.sendOnce();
      const failures = this.backoff.failures;
      if (failures > 0) this.opts.log.info({ after: failures }, 'InfluxDB writes recovered');
      this.backoff.succeed();
      next = n >= this.config.batchSize ? 0 : this.config.pollMs;
    } catch (err) {
      next = this.backoff.fail();
      const failures = this.backoff.failures;
      const code = err instanceof ColdtraceError ? err.code : 'error';
      if (code === 'influx_rejected') this.databaseReady = false; // e.g. the database was dropped
      this.metrics.failures.inc({ code });
      const log = failures === 1 || failures % 10 === 0 ? 'warn' : 'debug';
      this.opts.log[log](
        { err: errorMessage(err), code, failures, retryMs: next },
        'InfluxDB write failed; will retry',
      );
    }
    this.schedule(next);
  }

  /** Stops the loop (the outbox keeps what is unsent for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    this.opts.clock.clearTimeout(this.timer);
    await this.running;
  }
}
