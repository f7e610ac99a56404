import type { Logger } from 'pino';
import type { EmbeddedBroker } from './broker/embedded-broker.js';
import type { CloudConfig } from './config.js';
import { amqplibConfirmConnect } from './ingest/amqplib-connect.js';
import { amqpEventPublisher } from './integrations/amqp-event-publisher.js';
import { type PublishMqtt, startMqttEventPublisher } from './integrations/mqtt-event-publisher.js';

/**
 * Where integration events (lock/unlock/disposition) go over MQTT from the durable outbox: every configured
 * broker (embedded aedes, the external one, RabbitMQ's MQTT plugin); with none, MQTT rows stay pending.
 * `broker` gives the embedded broker once its module has started.
 */
export function eventTargets(config: CloudConfig, log: Logger, broker: () => EmbeddedBroker | undefined) {
  const mqttTargets: PublishMqtt[] = [];
  if (config.mqtt.embedded.enabled) {
    mqttTargets.push((topic, payload) => {
      const b = broker();
      if (!b) return Promise.reject(new Error('embedded broker not running'));
      return new Promise<void>((resolve, reject) =>
        b.aedes.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    });
  }
  const ext = config.mqtt.external;
  const externalEvents = ext
    ? startMqttEventPublisher({
        url: ext.url,
        username: ext.username,
        password: ext.password,
        clientId: `${ext.clientId}-events`,
        log: log.child({ component: 'mqtt-events' }),
      })
    : undefined;
  if (externalEvents) mqttTargets.push(externalEvents.publish);
  // RabbitMQ: over AMQP on the plugin's exchange, under the key its MQTT subscribers see as the event topic.
  const rabbitEvents = config.mqtt.rabbitmq
    ? amqpEventPublisher({
        url: config.mqtt.rabbitmq.amqpUrl,
        connect: amqplibConfirmConnect,
        log: log.child({ component: 'rabbitmq-events' }),
      })
    : undefined;
  if (rabbitEvents) mqttTargets.push(rabbitEvents.publish);
  return { mqttTargets, externalEvents, rabbitEvents };
}
