import { Backoff, errorMessage, gatewayTopic } from '@coldtrace/shared';
import type { Logger } from 'pino';
import { amqpUrl, closeWithin, reconnectLoop } from './amqp-reconnect.js';
import type { HealthCheck } from './ingest-health.js';
import type { IngestSource } from './ingest-source.js';
import type { Ingestor } from './ingestor.js';
import { partitionsToYield } from './partition-share.js';
import {
  ingestLayout,
  MAX_PARTITIONS,
  MQTT_EXCHANGE,
  PARTITION_QUEUE_ARGUMENTS,
  parseGatewayRoutingKey,
  partitionQueue,
  presenceQueue,
} from './rabbitmq-routing.js';

/** One delivery, as amqplib hands it over (its `ConsumeMessage`, the fields used here). */
export interface AmqpMessage {
  content: Buffer;
  fields: { deliveryTag: number; redelivered: boolean; routingKey: string };
}

/** The channel operations the source uses; amqplib's `Channel` has exactly these. */
export interface AmqpChannel {
  assertExchange(exchange: string, type: string, options: { durable: boolean }): Promise<unknown>;
  bindExchange(destination: string, source: string, pattern: string): Promise<unknown>;
  assertQueue(
    queue: string,
    options: { durable: boolean; arguments: Record<string, string | boolean> },
  ): Promise<unknown>;
  bindQueue(queue: string, exchange: string, pattern: string): Promise<unknown>;
  unbindQueue(queue: string, exchange: string, pattern: string): Promise<unknown>;
  prefetch(count: number): Promise<unknown>;
  consume(
    queue: string,
    onMessage: (msg: AmqpMessage | null) => void,
    options: { noAck: false },
  ): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<unknown>;
  ack(msg: AmqpMessage, allUpTo?: boolean): void;
  /** The queue's ready messages and consumers (AMQP queue.declare passive; a missing queue closes the channel). */
  checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }>;
  close(): Promise<void>;
  on(event: 'close' | 'error', listener: (err?: Error) => void): unknown;
}

/** A connection (amqplib's `ChannelModel`): one channel, and `close` once it is gone. */
export interface AmqpConnection {
  createChannel(): Promise<AmqpChannel>;
  on(event: 'close' | 'error', listener: (err?: Error) => void): unknown;
  close(): Promise<void>;
}

/** Opens a connection (amqplib's `connect`); the URL carries `heartbeat`. */
export type AmqpConnect = (url: string) => Promise<AmqpConnection>;

export interface AmqpSourceOptions {
  /** `amqp://user:password@host:5672/vhost` (config `mqtt.rabbitmq.amqpUrl`). */
  url: string;
  /** Deliveries held unacknowledged per queue (config `mqtt.rabbitmq.prefetch`, default 64). */
  prefetch: number;
  /** The queues are `<queuePrefix>.<stream>.<k>` (deploy/rabbitmq/definitions.json). */
  queuePrefix: string;
  /** Partition queues per stream kind (config `mqtt.rabbitmq.partitions`). */
  partitions: number;
  ingestor: Ingestor;
  log: Logger;
  connect: AmqpConnect;
  /** Reconnect policy (default 500 ms doubling to 30 s). */
  backoff?: Backoff | undefined;
  /**
   * Each queue's ready messages, checked at every connect and then every `queueDepthIntervalMs` (default
   * 15 s); `undefined` once the connection is lost (unknown). `coldtrace_broker_queue_messages`.
   */
  onQueueDepth?: ((queue: string, messages: number | undefined) => void) | undefined;
  queueDepthIntervalMs?: number | undefined;
  /** How often the share of active partitions is looked at (default 2 s; `partitionsToYield`). */
  rebalanceIntervalMs?: number | undefined;
}

/** A consumed queue: its channel, its consumer, and whether it delivered since the last balance look. */
interface Consumed {
  queue: string;
  ch: AmqpChannel;
  onMessage: (msg: AmqpMessage | null) => void;
  tag: string;
  delivered: boolean;
}

/**
 * Ingest from RabbitMQ's quorum queues (docs/operations.md "Several machines: RabbitMQ", "Queue layout").
 * At start and on every reconnect it declares the gateway-affine layout (rabbitmq-routing.ts `ingestLayout`:
 * per stream kind a consistent-hash exchange fed from `amq.topic` and its partition queues with single
 * active consumer; idempotent, the same as definitions.json) before it consumes, and it is ready only once
 * every partition is consumed. Queues of an earlier layout (the one queue per stream kind, partitions
 * above the configured count) are unbound and consumed too while they exist, so what they hold is
 * drained, never stranded. Each delivery goes to the one ingest path; deliveries are acknowledged in order
 * once ingest resolved for them and for every earlier one on its queue's channel, with one
 * `ack(last, allUpTo)` for each run that completed: an ingestor holds at most `prefetch` per queue, and
 * whatever it holds when it dies is redelivered to the consumer the broker makes active next. Every
 * `rebalanceIntervalMs` it gives up busy partitions above its share (`partitionsToYield`). A store failure
 * closes the connection (so nothing after it is acknowledged either) and reconnects with backoff.
 */
export async function startAmqpSource(opts: AmqpSourceOptions): Promise<IngestSource> {
  const { ingestor, log } = opts;
  const backoff = opts.backoff ?? new Backoff({ initialMs: 500, maxMs: 30_000 });
  const url = amqpUrl(opts.url);
  const layout = ingestLayout(opts.queuePrefix, opts.partitions);
  let conn: AmqpConnection | undefined;
  let ready = false;
  let lastError = 'not connected yet';
  let timers: NodeJS.Timeout[] = [];
  /** The queues whose depth was last reported, so a lost connection reports each unknown. */
  let reported: string[] = [];
  const stopTimers = () => {
    for (const t of timers) clearInterval(t);
    timers = [];
    for (const q of reported) opts.onQueueDepth?.(q, undefined);
  };

  const session = async (): Promise<void> => {
    const c = await opts.connect(url.toString());
    conn = c;
    let gone = false;
    const lost = (err?: Error) => {
      if (gone) return;
      gone = true;
      ready = false;
      conn = undefined;
      lastError = err ? errorMessage(err) : 'connection closed';
      stopTimers();
      // Whatever was lost (a channel, a delivery's commit), the whole connection goes: its unacknowledged
      // deliveries return to the queues, and the next session starts from a clean state.
      void c.close().catch(() => {});
      if (!loop.stopped()) {
        log.warn({ err: lastError }, 'AMQP connection lost; reconnecting');
        loop.schedule();
      }
    };
    c.on('error', (err) => lost(err));
    c.on('close', (err) => lost(err));
    /**
     * The consumer of one channel. Delivery tags increase per channel; `settled` holds those whose ingest
     * resolved, and the oldest unsettled one holds back every later acknowledgement.
     */
    const consumer = (ch: AmqpChannel, delivered: () => void) => {
      const pending: AmqpMessage[] = [];
      const settled = new Set<number>();
      const ackRun = () => {
        let last: AmqpMessage | undefined;
        while (pending.length > 0 && settled.has(pending[0]!.fields.deliveryTag)) {
          last = pending.shift()!;
          settled.delete(last.fields.deliveryTag);
        }
        if (!last || gone) return;
        try {
          ch.ack(last, true);
        } catch (err) {
          // The channel is closing (a stop, or the connection going): amqplib throws rather than send. The
          // broker redelivers what was not acknowledged, and ingest is idempotent, so nothing is lost; an
          // uncaught throw here would end the process.
          log.debug({ err: errorMessage(err) }, 'acknowledgement not sent: the channel is closing');
        }
      };
      return (msg: AmqpMessage | null) => {
        if (msg === null) {
          // The server cancelled the consumer (queue deleted): start over, declaring it again.
          lost(new Error('consumer cancelled by the broker'));
          return;
        }
        delivered();
        pending.push(msg);
        const parsed = parseGatewayRoutingKey(msg.fields.routingKey);
        // A key no binding of ours routes: ingest dead-letters it as an unknown topic, with the key as topic.
        const topic = parsed ? gatewayTopic(parsed.gatewayId, parsed.stream) : msg.fields.routingKey;
        ingestor.handle({ topic, payload: msg.content }).then(
          () => {
            settled.add(msg.fields.deliveryTag);
            ackRun();
          },
          (err) => {
            log.error(
              { err: errorMessage(err), topic },
              'ingest failed; closing the AMQP connection for redelivery',
            );
            lost(err instanceof Error ? err : new Error(String(err)));
          },
        );
      };
    };
    /** Does `queue` exist? Asked on a channel of its own: the broker closes it when the queue does not. */
    const exists = async (queue: string): Promise<boolean> => {
      const probe = await c.createChannel();
      probe.on('error', () => {});
      probe.on('close', () => {});
      try {
        await probe.checkQueue(queue);
        await probe.close().catch(() => {});
        return true;
      } catch {
        return false;
      }
    };
    // One channel per queue: delivery tags and the in-order acknowledgement below are per channel, so a
    // slow batch of one queue never holds back another's acknowledgements.
    const consume = async (queue: string): Promise<Consumed> => {
      const ch = await c.createChannel();
      // A channel the broker closes (e.g. a precondition failed) would stop its consumer silently.
      ch.on('close', (err) => lost(err ?? new Error(`channel of ${queue} closed`)));
      ch.on('error', (err) => lost(err));
      await ch.prefetch(opts.prefetch);
      const entry = { queue, ch, tag: '', delivered: false } as Consumed;
      entry.onMessage = consumer(ch, () => {
        entry.delivered = true;
      });
      entry.tag = (await ch.consume(queue, entry.onMessage, { noAck: false })).consumerTag;
      return entry;
    };
    const ctl = await c.createChannel();
    ctl.on('close', (err) => lost(err ?? new Error('declaration channel closed')));
    ctl.on('error', (err) => lost(err));
    // Every ingestor consumes this queue, into which nothing is routed: its consumers count the ingestors.
    const presence = presenceQueue(opts.queuePrefix);
    await ctl.assertQueue(presence, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await consume(presence);
    const partitions: Consumed[][] = [];
    const draining: Consumed[] = [];
    for (const l of layout) {
      await ctl.assertExchange(l.exchange, 'x-consistent-hash', { durable: true });
      for (const q of l.queues) {
        await ctl.assertQueue(q, { durable: true, arguments: { ...PARTITION_QUEUE_ARGUMENTS } });
        // The binding key of a consistent-hash exchange is the queue's weight on the hash ring.
        await ctl.bindQueue(q, l.exchange, '1');
      }
      // Only once the exchange has its queues: a message it routes to none would be dropped.
      await ctl.bindExchange(l.exchange, MQTT_EXCHANGE, l.bindingKey);
      // An earlier layout's queues get nothing more and are consumed until they are deleted.
      if (await exists(l.legacyQueue)) {
        await ctl.unbindQueue(l.legacyQueue, MQTT_EXCHANGE, l.bindingKey);
        draining.push(await consume(l.legacyQueue));
      }
      for (let k = l.queues.length; k < MAX_PARTITIONS; k++) {
        const q = partitionQueue(opts.queuePrefix, l.stream, k);
        if (!(await exists(q))) break;
        await ctl.unbindQueue(q, l.exchange, '1');
        draining.push(await consume(q));
      }
      const consumed: Consumed[] = [];
      for (const q of l.queues) consumed.push(await consume(q));
      partitions.push(consumed);
    }
    if (gone) throw new Error(lastError);
    ready = true;
    const all = [...partitions.flat(), ...draining];
    const onDepth = opts.onQueueDepth;
    if (onDepth) {
      reported = all.map((x) => x.queue);
      const check = () => {
        for (const { queue, ch } of all) {
          // A failure closes the channel, which `lost` handles.
          ch.checkQueue(queue).then(
            (q) => {
              if (!gone) onDepth(queue, q.messageCount);
            },
            () => {},
          );
        }
      };
      check();
      timers.push(setInterval(check, opts.queueDepthIntervalMs ?? 15_000));
    }
    if (opts.partitions > 1) {
      let looking = false;
      const rebalance = async () => {
        for (const consumed of partitions) {
          const busy = consumed.filter((x) => x.delivered);
          for (const x of consumed) x.delivered = false;
          if (busy.length <= 1 || gone) continue;
          // A partition's count is its active consumer alone (RabbitMQ 3.10 leaves the waiting ones out).
          const { consumerCount } = await ctl.checkQueue(presence);
          for (const x of partitionsToYield(busy, opts.partitions, consumerCount)) {
            if (gone) return;
            // Its deliveries in ingest are still acknowledged on this channel; the next consumer in line
            // becomes active for what follows.
            await x.ch.cancel(x.tag);
            x.tag = (await x.ch.consume(x.queue, x.onMessage, { noAck: false })).consumerTag;
            // What its cancelled consumer still had on the way is no sign of being active.
            x.delivered = false;
            log.info({ queue: x.queue, consumers: consumerCount }, 'gave up an active partition');
          }
        }
      };
      timers.push(
        setInterval(
          // A failure closes the channel, which `lost` handles.
          () => {
            if (looking) return;
            looking = true;
            rebalance()
              .catch(() => {})
              .finally(() => {
                looking = false;
              });
          },
          opts.rebalanceIntervalMs ?? 2_000,
        ),
      );
    }
    for (const t of timers) t.unref();
    log.info(
      {
        host: url.host,
        queues: partitions.flat().map((x) => x.queue),
        draining: draining.map((x) => x.queue),
        prefetch: opts.prefetch,
      },
      'ingesting from RabbitMQ',
    );
  };

  const loop = reconnectLoop({
    backoff,
    session,
    failed(why) {
      lastError = why;
      log.warn({ err: why }, 'AMQP ingest could not start; retrying');
      const c = conn;
      conn = undefined;
      return c;
    },
  });

  await loop.attempt();
  return {
    health: (): HealthCheck =>
      ready
        ? { ok: true }
        : {
            ok: false,
            detail: `not consuming the RabbitMQ queues at ${url.host}: ${lastError}; reconnecting`,
          },
    async close() {
      loop.stop();
      stopTimers();
      ready = false;
      // Its unacknowledged deliveries return to the queues, whether or not the broker answers the close.
      await closeWithin(conn);
    },
  };
}
