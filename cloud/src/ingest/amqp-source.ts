import { Backoff, errorMessage, gatewayTopic } from '@coldtrace/shared';
import type { Logger } from 'pino';
import { amqpUrl, closeWithin, reconnectLoop } from './amqp-reconnect.js';
import type { HealthCheck } from './ingest-health.js';
import type { IngestSource } from './ingest-source.js';
import type { Ingestor } from './ingestor.js';
import { ingestQueues, MQTT_EXCHANGE, parseGatewayRoutingKey } from './rabbitmq-routing.js';

/** One delivery, as amqplib hands it over (its `ConsumeMessage`, the fields used here). */
export interface AmqpMessage {
  content: Buffer;
  fields: { deliveryTag: number; redelivered: boolean; routingKey: string };
}

/** The channel operations the source uses; amqplib's `Channel` has exactly these. */
export interface AmqpChannel {
  assertQueue(
    queue: string,
    options: { durable: boolean; arguments: Record<string, string> },
  ): Promise<unknown>;
  bindQueue(queue: string, exchange: string, pattern: string): Promise<unknown>;
  prefetch(count: number): Promise<unknown>;
  consume(
    queue: string,
    onMessage: (msg: AmqpMessage | null) => void,
    options: { noAck: false },
  ): Promise<unknown>;
  ack(msg: AmqpMessage, allUpTo?: boolean): void;
  /** The queue's ready messages (AMQP queue.declare passive). */
  checkQueue(queue: string): Promise<{ messageCount: number }>;
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
  /** The queues are `<queuePrefix>.<stream>` (deploy/rabbitmq/definitions.json). */
  queuePrefix: string;
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
}

/**
 * Ingest from RabbitMQ's quorum queues (docs/operations.md "Several machines: RabbitMQ"). At start and on
 * every reconnect it declares the queues and their `amq.topic` bindings (idempotent, the same as
 * definitions.json) before it consumes, and it is ready only once all are consumed. Each delivery goes to
 * the one ingest path; deliveries are acknowledged in order once ingest resolved for them and for every
 * earlier one on its queue's channel, with one `ack(last, allUpTo)` for each run that completed: competing
 * ingestors each hold at most `prefetch` per queue, and whatever one holds when it dies is redelivered to
 * the others. A store failure closes the connection (so nothing after it is acknowledged either) and
 * reconnects with backoff.
 */
export async function startAmqpSource(opts: AmqpSourceOptions): Promise<IngestSource> {
  const { ingestor, log } = opts;
  const backoff = opts.backoff ?? new Backoff({ initialMs: 500, maxMs: 30_000 });
  const url = amqpUrl(opts.url);
  const queues = ingestQueues(opts.queuePrefix);
  let conn: AmqpConnection | undefined;
  let ready = false;
  let lastError = 'not connected yet';
  let depthTimer: NodeJS.Timeout | undefined;
  const stopDepths = () => {
    if (depthTimer) clearInterval(depthTimer);
    depthTimer = undefined;
    for (const q of queues) opts.onQueueDepth?.(q.queue, undefined);
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
      stopDepths();
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
    const consumer = (ch: AmqpChannel) => {
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
    // One channel per queue: delivery tags and the in-order acknowledgement below are per channel, so a
    // slow batch of one stream never holds back another stream's acknowledgements.
    const channels: [string, AmqpChannel][] = [];
    for (const q of queues) {
      const ch = await c.createChannel();
      channels.push([q.queue, ch]);
      // A channel the broker closes (e.g. a precondition failed) would stop its consumer silently.
      ch.on('close', (err) => lost(err ?? new Error(`channel of ${q.queue} closed`)));
      ch.on('error', (err) => lost(err));
      await ch.assertQueue(q.queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await ch.bindQueue(q.queue, MQTT_EXCHANGE, q.bindingKey);
      await ch.prefetch(opts.prefetch);
      await ch.consume(q.queue, consumer(ch), { noAck: false });
    }
    if (gone) throw new Error(lastError);
    ready = true;
    const onDepth = opts.onQueueDepth;
    if (onDepth) {
      const check = () => {
        for (const [queue, ch] of channels) {
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
      depthTimer = setInterval(check, opts.queueDepthIntervalMs ?? 15_000);
      depthTimer.unref();
    }
    log.info(
      { host: url.host, queues: queues.map((q) => q.queue), prefetch: opts.prefetch },
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
      stopDepths();
      ready = false;
      // Its unacknowledged deliveries return to the queues, whether or not the broker answers the close.
      await closeWithin(conn);
    },
  };
}
