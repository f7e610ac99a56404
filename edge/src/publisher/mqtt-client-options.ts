import { gatewayTopic, gatewayTopics } from '@coldtrace/shared';
import type { IClientOptions } from 'mqtt';
import type { z } from 'zod';
import { createIdOnlyStore } from './id-only-store.js';
import type { publisherConfigSchema } from './publisher-config.js';

type MqttConfig = z.output<typeof publisherConfigSchema>['mqtt'];

/**
 * The MQTT.js options of the gateway's connection: a persistent session whose only queue is the durable
 * buffer, with the gateway's Last Will. `lastWill` is the offline status payload at connect time.
 */
export function mqttClientOptions(m: MqttConfig, gatewayId: string, lastWill: string): IClientOptions {
  return {
    clientId: m.clientId ?? gatewayId,
    clean: false, // persistent session (MQTT 3.1.1 §3.1.2.4)
    protocolVersion: 4,
    connectTimeout: m.connectTimeoutMs,
    reconnectPeriod: m.reconnectMs,
    // A refused CONNACK (MQTT 3.1.1 §3.2.2.3: the broker's auth backend down, a broker still starting, a
    // connection rate limit) is retried like a lost connection: MQTT.js would otherwise stop reconnecting
    // for good, and the gateway would only buffer until restarted.
    reconnectOnConnackError: true,
    keepalive: m.keepaliveS,
    queueQoSZero: false,
    resubscribe: false,
    // No table of 65,536 pre-built two-byte Buffers (mqtt-packet's number cache, ~6 MB of heap held
    // for the process's life): each length or message id is written from a fresh 2-byte Buffer.
    // docs/performance.md "Gateway footprint".
    writeCache: false,
    // Message ids only, never payloads: the buffer is the only queue (docs/durability.md "Round 3").
    outgoingStore: createIdOnlyStore(),
    // MQTT 3.1.1 §3.1.2.5: the broker publishes this if the gateway vanishes.
    will: {
      topic: gatewayTopic(gatewayId, 'status'),
      payload: Buffer.from(lastWill),
      qos: gatewayTopics.status.qos,
      retain: gatewayTopics.status.retain,
    },
    rejectUnauthorized: m.rejectUnauthorized,
    ...(m.username !== undefined ? { username: m.username } : {}),
    ...(m.password !== undefined ? { password: m.password } : {}),
    ...(m.ca !== undefined ? { ca: m.ca } : {}),
    ...(m.cert !== undefined ? { cert: m.cert } : {}),
    ...(m.key !== undefined ? { key: m.key } : {}),
  };
}
