import { errorMessage, gatewayFilter } from '@coldtrace/shared';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { IngestSource } from './ingest-source.js';
import type { Ingestor } from './ingestor.js';

export interface MqttSubscriberOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  clientId: string;
  /** MQTT 5 shared subscription group (`$share/<group>/…`) for N ingestors; omit for one ingestor. */
  sharedGroup?: string | undefined;
  ingestor: Ingestor;
  log: Logger;
}

/**
 * Ingest from an external broker (Mosquitto, EMQX, HiveMQ). Persistent session (clean=false), QoS 1,
 * and the PUBACK goes back only after the store committed (`customHandleAcks`), so a crash of this
 * process leaves unacknowledged messages with the broker for redelivery.
 */
export async function startMqttSubscriber(
  opts: MqttSubscriberOptions,
): Promise<IngestSource & { client: MqttClient }> {
  const { ingestor, log } = opts;
  const client = mqtt.connect(opts.url, {
    clientId: opts.clientId,
    username: opts.username,
    password: opts.password,
    clean: false,
    // MQTT 5 always: MQTT.js honours customHandleAcks (PUBACK after commit) only on v5 connections, and a
    // v5 session outlives the connection only with a session expiry interval (MQTT 5 §3.1.2.11.2).
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 7 * 24 * 3600 },
    reconnectPeriod: 1000,
    // A refused CONNACK (the broker restarting, its auth plugin down) is retried like a lost connection;
    // MQTT.js would otherwise stop reconnecting for good and ingest would stall until a restart.
    reconnectOnConnackError: true,
    queueQoSZero: false,
    customHandleAcks: (topic, message, _packet, done) => {
      ingestor.handle({ topic, payload: message }).then(
        () => done(0),
        (err) => {
          // Not acknowledged: the broker redelivers on the next session resume.
          log.error({ err: errorMessage(err), topic }, 'ingest failed; closing the session for redelivery');
          client.end(true, () => client.reconnect());
        },
      );
    },
  });
  client.on('message', () => {}); // handled in customHandleAcks
  client.on('error', (err) => log.warn({ err: err.message }, 'MQTT subscriber error'));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    client.once('error', onError);
    client.once('connect', () => {
      client.off('error', onError);
      resolve();
    });
  });
  const filter = gatewayFilter('+', opts.sharedGroup);
  // Subscribe on every (re)connect whatever sessionPresent says (`resubscribe: true` makes MQTT.js send
  // it even though it believes the session still has it): Mosquitto 2.0 reports a resumed session after
  // a restart but has lost its shared subscriptions.
  const subscribe = () => client.subscribeAsync({ [filter]: { qos: 1 }, resubscribe: true } as never);
  client.on('connect', () => {
    subscribe().catch((err: Error) => log.error({ err: err.message, filter }, 'resubscribe failed'));
  });
  await subscribe();
  log.info({ url: opts.url, filter }, 'ingesting from external broker');
  if (opts.sharedGroup) {
    log.warn(
      { filter },
      'shared subscription: safe only on a broker that keeps it across its restarts, hands a dead member’s unacknowledged messages to another member at once and acknowledges publishers only once stored (Mosquitto 2.0 does not). See docs/operations.md "Shared subscriptions and broker restarts"; for several machines use RabbitMQ (mqtt.rabbitmq)',
    );
  }
  const url = new URL(opts.url);
  return {
    client,
    // Without a connection nothing is ingested (the broker keeps the messages for the session).
    health: () =>
      client.connected
        ? { ok: true }
        : { ok: false, detail: `not connected to the external broker ${url.host}; reconnecting` },
    close: () => client.endAsync(),
  };
}
