import { z } from 'zod';
import { MAX_PARTITIONS } from '../ingest/rabbitmq-routing.js';

/**
 * RabbitMQ for several cloud machines (docs/operations.md "Several machines: RabbitMQ"): gateways publish
 * over its MQTT plugin, which asks the cloud's `/broker/auth/*` who they are and what they may do, and
 * every cloud consumes the quorum queues over AMQP (ingest/amqp-source.ts).
 * - `amqpUrl`: the ingestors' account and virtual host (`amqp://user:password@host:5672/vhost`);
 * - `prefetch`: deliveries each ingestor holds unacknowledged per queue (default 64);
 * - `queuePrefix`, `partitions`: each stream kind's gateways are hashed into `partitions` quorum queues
 *   `<queuePrefix>.<stream>.<k>` (deploy/rabbitmq/definitions.json; docs/operations.md "Queue layout"), the
 *   same count on every cloud and in the broker's definitions (default 4);
 * - `authFrom`: the peer addresses the broker's HTTP auth calls come from (default loopback);
 * - `queueDepthIntervalMs`: how often each queue's ready messages are checked for
 *   `coldtrace_broker_queue_messages` (default 15 s).
 */
export const rabbitmqConfigSchema = z
  .object({
    amqpUrl: z
      .string()
      .url()
      .refine((u) => /^amqps?:$/.test(new URL(u).protocol) && new URL(u).username !== '', {
        message: 'an amqp:// or amqps:// URL with the ingestor account (amqp://user:password@host/vhost)',
      }),
    prefetch: z.number().int().min(1).max(65_535).default(64),
    queuePrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('coldtrace'),
    partitions: z.number().int().min(1).max(MAX_PARTITIONS).default(4),
    authFrom: z.array(z.string().min(1)).min(1).default(['127.0.0.1', '::1']),
    queueDepthIntervalMs: z.number().int().min(100).max(3_600_000).default(15_000),
  })
  .strict();

export type RabbitmqConfig = z.infer<typeof rabbitmqConfigSchema>;

/** The ingestor account and virtual host of `amqpUrl` (an empty path is RabbitMQ's default host `/`). */
export function rabbitmqAccess(c: RabbitmqConfig): {
  ingestor: { username: string; password: string };
  vhost: string;
} {
  const u = new URL(c.amqpUrl);
  const path = u.pathname.replace(/^\//, '');
  return {
    ingestor: { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) },
    vhost: path === '' ? '/' : decodeURIComponent(path),
  };
}
