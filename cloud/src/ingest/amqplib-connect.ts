import type { AmqpConnect, AmqpConnection } from './amqp-source.js';

/**
 * amqplib's `connect`, the AMQP client of the RabbitMQ deployment (docs/operations.md "Several machines:
 * RabbitMQ"), loaded on first use so a cloud without `mqtt.rabbitmq` never needs it. Without the package
 * every attempt fails with this message, which `/readyz` shows.
 */
export const amqplibConnect: AmqpConnect = async (url) => {
  const name = 'amqplib';
  let mod: { connect(url: string): Promise<AmqpConnection> };
  try {
    mod = await import(name);
  } catch (err) {
    throw new Error(`the amqplib package is not installed (${(err as Error).message.split('\n')[0]})`);
  }
  return mod.connect(url);
};
