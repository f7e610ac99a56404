import { Backoff, ColdtraceError, errorMessage } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type {
  AmqpConfirmChannel,
  AmqpConfirmConnect,
  AmqpConfirmConnection,
} from '../ingest/amqp-confirm-channel.js';
import { amqpUrl, closeWithin, reconnectLoop } from '../ingest/amqp-reconnect.js';
import { MQTT_EXCHANGE, mqttTopicRoutingKey } from '../ingest/rabbitmq-routing.js';
import type { PublishMqtt } from './mqtt-event-publisher.js';

export interface AmqpEventPublisherOptions {
  /** The cloud's AMQP account (config `mqtt.rabbitmq.amqpUrl`), allowed to publish event keys only. */
  url: string;
  connect: AmqpConfirmConnect;
  log: Logger;
  /** The exchange the MQTT plugin subscribes from (its `mqtt.exchange`; deploy/rabbitmq sets amq.topic). */
  exchange?: string | undefined;
  /** A publish the broker has not confirmed within this time fails (the outbox retries it later). */
  confirmTimeoutMs?: number | undefined;
  /** Reconnect policy (default 500 ms doubling to 30 s). */
  backoff?: Backoff | undefined;
}

export interface AmqpEventPublisher {
  /** Connects, and reconnects with backoff whenever the connection is lost, until `close()`. */
  start(): void;
  publish: PublishMqtt;
  /** True while a confirm channel is open. */
  connected(): boolean;
  close(): Promise<void>;
}

/**
 * The integration-event publisher of the RabbitMQ deployment (docs/operations.md "Several machines:
 * RabbitMQ"): MQTT subscribers of RabbitMQ's MQTT plugin (ERP/WMS service accounts) receive what is
 * published on the plugin's exchange under the key the plugin derives from their topic, so the events go
 * out over AMQP on the cloud's own connection, as persistent messages on a confirm channel. `publish`
 * resolves on the broker's confirm (basic.ack: every queue the key routes to has the message, RabbitMQ
 * "Publisher Confirms"), and rejects on a nack, a confirm that does not come in time (e.g. a resource alarm
 * blocks the connection), a lost connection or none at all, so the outbox row stays pending and is retried.
 * Nothing is queued in memory beyond the in-flight publish: the durable outbox is the queue. A message no
 * subscription queue takes (no subscriber) is confirmed and gone, as on any MQTT broker: an ERP keeps a
 * persistent session to receive events while it is away.
 */
export function amqpEventPublisher(opts: AmqpEventPublisherOptions): AmqpEventPublisher {
  const { log } = opts;
  const exchange = opts.exchange ?? MQTT_EXCHANGE;
  const confirmTimeoutMs = opts.confirmTimeoutMs ?? 10_000;
  const backoff = opts.backoff ?? new Backoff({ initialMs: 500, maxMs: 30_000 });
  const url = amqpUrl(opts.url);
  const where = url.host;
  let conn: AmqpConfirmConnection | undefined;
  let channel: AmqpConfirmChannel | undefined;
  let started = false;
  let lastError = 'not connected yet';
  /** Fails each publish awaiting its confirm (the connection it went out on is gone). */
  const inFlight = new Set<(why: string) => void>();

  const failInFlight = (why: string) => {
    for (const fail of [...inFlight]) fail(why);
  };

  const session = async (): Promise<void> => {
    const c = await opts.connect(url.toString());
    if (loop.stopped()) {
      // Closed while connecting: this connection must not outlive the publisher.
      await c.close().catch(() => {});
      return;
    }
    conn = c;
    let gone = false;
    const lost = (err?: unknown) => {
      if (gone) return;
      gone = true;
      channel = undefined;
      conn = undefined;
      lastError = err ? errorMessage(err) : 'connection closed';
      failInFlight(`the connection to RabbitMQ ${where} was lost (${lastError})`);
      void c.close().catch(() => {});
      if (!loop.stopped()) {
        log.warn(
          { err: lastError },
          'RabbitMQ event publisher lost its connection; events wait in the outbox',
        );
        loop.schedule();
      }
    };
    c.on('error', (err) => lost(err));
    c.on('close', (err) => lost(err));
    // A resource alarm (memory, disk) blocks every publisher: confirms stop until it clears.
    c.on('blocked', (reason) =>
      log.warn({ reason: String(reason) }, 'RabbitMQ blocks publishing; events wait in the outbox'),
    );
    c.on('unblocked', () => log.info('RabbitMQ publishing unblocked'));
    const ch = await c.createConfirmChannel();
    // A channel the broker closes (e.g. the exchange is missing, a publish was refused) ends the session.
    ch.on('close', (err) => lost(err ?? new Error('confirm channel closed')));
    ch.on('error', (err) => lost(err));
    if (gone) throw new Error(lastError);
    channel = ch;
    log.info({ host: where, exchange }, 'RabbitMQ event publisher connected');
  };

  const loop = reconnectLoop({
    backoff,
    session,
    failed(why) {
      lastError = why;
      log.warn({ err: why }, 'RabbitMQ event publisher could not connect; retrying');
      const c = conn;
      conn = undefined;
      channel = undefined;
      return c;
    },
  });

  const publish: PublishMqtt = (topic, payload) => {
    const ch = channel;
    if (!ch) {
      return Promise.reject(
        new ColdtraceError('unavailable', `RabbitMQ ${where} is not connected: ${lastError}`),
      );
    }
    let key: string;
    try {
      key = mqttTopicRoutingKey(topic);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (why?: string, cause?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        inFlight.delete(fail);
        if (why === undefined) resolve();
        else reject(new ColdtraceError('unavailable', why, undefined, { cause }));
      };
      const fail = (why: string) => settle(why);
      const deadline = setTimeout(
        () => fail(`no confirm from RabbitMQ ${where} within ${confirmTimeoutMs} ms for ${topic}`),
        confirmTimeoutMs,
      );
      inFlight.add(fail);
      try {
        ch.publish(
          exchange,
          key,
          Buffer.from(payload),
          // Persistent: a subscriber's durable queue (persistent MQTT session) keeps it across a restart.
          { persistent: true, contentType: 'application/json' },
          (err) => {
            if (err === null || err === undefined) settle();
            else settle(`RabbitMQ ${where} did not take ${topic}: ${errorMessage(err)}`, err);
          },
        );
      } catch (err) {
        // amqplib throws when the channel closed meanwhile.
        settle(`publish to RabbitMQ ${where} failed: ${errorMessage(err)}`, err);
      }
    });
  };

  return {
    start() {
      if (started || loop.stopped()) return;
      started = true;
      void loop.attempt();
    },
    publish,
    connected: () => channel !== undefined,
    async close() {
      loop.stop();
      channel = undefined;
      failInFlight('the event publisher is closing');
      const c = conn;
      conn = undefined;
      await closeWithin(c);
    },
  };
}
