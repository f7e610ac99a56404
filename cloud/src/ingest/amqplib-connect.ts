import type { AmqpConfirmConnect, AmqpConfirmConnection } from './amqp-confirm-channel.js';
import type { AmqpConnect, AmqpConnection } from './amqp-source.js';

/** amqplib's `connect` (its connection, `ChannelModel`, has both `createChannel` and `createConfirmChannel`). */
async function amqplibModelConnect(url: string): Promise<AmqpConnection & AmqpConfirmConnection> {
  const name = 'amqplib';
  let mod: { connect(url: string): Promise<AmqpConnection & AmqpConfirmConnection> };
  try {
    mod = await import(name);
  } catch (err) {
    throw new Error(`the amqplib package is not installed (${(err as Error).message.split('\n')[0]})`);
  }
  return mod.connect(url);
}

/**
 * amqplib's `connect`, the AMQP client of the RabbitMQ deployment (docs/operations.md "Several machines:
 * RabbitMQ"), loaded on first use so a cloud without `mqtt.rabbitmq` never needs it. Without the package
 * every attempt fails with this message, which `/readyz` shows.
 */
export const amqplibConnect: AmqpConnect = amqplibModelConnect;

/** The same for the integration-event publisher, which publishes on a confirm channel. */
export const amqplibConfirmConnect: AmqpConfirmConnect = amqplibModelConnect;
