import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';

/** Publishes one integration event; resolves only once the broker acknowledged it (QoS 1 PUBACK). */
export type PublishMqtt = (topic: string, payload: string) => Promise<void>;

export interface MqttEventPublisherOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Must differ from the ingest subscriber's client id (a broker allows one connection per id). */
  clientId: string;
  log: Logger;
  /** A publish not acknowledged within this time fails (the outbox retries it later). */
  ackTimeoutMs?: number;
}

export interface MqttEventPublisher {
  readonly client: MqttClient;
  publish: PublishMqtt;
  close(): Promise<void>;
}

/**
 * The integration-event publisher for an external broker (Mosquitto, EMQX, HiveMQ): a dedicated MQTT 5
 * client with the ingestor's credentials (the broker ACL lets it write `coldtrace/v1/events/#`).
 * `publish` is QoS 1 and resolves on the PUBACK; a refused publish (MQTT 5 reason code ≥ 0x80, e.g.
 * "Not authorized"), a broker that is down or an acknowledgement that does not come in time rejects, so
 * the outbox row stays pending and is retried. Nothing is queued in memory beyond the in-flight publish:
 * the durable outbox is the queue.
 */
export function startMqttEventPublisher(opts: MqttEventPublisherOptions): MqttEventPublisher {
  const { log } = opts;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  const client = mqtt.connect(opts.url, {
    clientId: opts.clientId,
    username: opts.username,
    password: opts.password,
    clean: true,
    protocolVersion: 5,
    reconnectPeriod: 1000,
    // A refused CONNACK is retried like a lost connection (MQTT.js would stop reconnecting for good).
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
    queueQoSZero: false,
  });
  let wasConnected = false;
  client.on('connect', () => {
    wasConnected = true;
    log.info({ url: opts.url, clientId: opts.clientId }, 'MQTT event publisher connected');
  });
  client.on('offline', () => {
    if (wasConnected) log.warn({ url: opts.url }, 'MQTT event publisher offline; events wait in the outbox');
    wasConnected = false;
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'MQTT event publisher error'));

  const publish: PublishMqtt = async (topic, payload) => {
    if (!client.connected) {
      throw new ColdtraceError('unavailable', `MQTT broker ${opts.url} is not connected`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ColdtraceError(
              'unavailable',
              `no PUBACK from ${opts.url} within ${ackTimeoutMs} ms for ${topic}`,
            ),
          ),
        ackTimeoutMs,
      );
    });
    try {
      await Promise.race([client.publishAsync(topic, payload, { qos: 1, retain: false }), timeout]);
    } catch (err) {
      if (err instanceof ColdtraceError) throw err;
      throw new ColdtraceError(
        'unavailable',
        `publish to ${opts.url} failed: ${errorMessage(err)}`,
        undefined,
        {
          cause: err,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    client,
    publish,
    close: () => client.endAsync(true),
  };
}

/**
 * One publish function over several brokers (embedded and external both configured): an event counts as
 * delivered only when every broker acknowledged it. A failure retries all of them (at least once).
 */
export function publishToAll(publishers: readonly PublishMqtt[]): PublishMqtt | undefined {
  if (publishers.length === 0) return undefined;
  if (publishers.length === 1) return publishers[0];
  return async (topic, payload) => {
    for (const p of publishers) await p(topic, payload);
  };
}
