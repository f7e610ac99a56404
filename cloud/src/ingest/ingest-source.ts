import type { HealthCheck } from './ingest-health.js';

/**
 * Where gateway messages come from (docs/architecture.md "Broker and ingest"): the embedded aedes broker,
 * a subscription on an external MQTT broker, or RabbitMQ's queues. Every source keeps one contract
 * (cloud/test/ingest/ingest-source-contract.ts):
 * - each message goes to the one ingest path (`Ingestor.handle`), which commits it or dead-letters it;
 * - the broker's acknowledgement (PUBACK to the gateway, PUBACK or AMQP ack from the ingestor) is sent only
 *   after that resolved, so a message in flight when the process dies is delivered again (at least once;
 *   ingest is idempotent on gateway, stream and sequence, so it is stored once);
 * - a message whose ingest rejected (the store failed) is not acknowledged either;
 * - the messages it holds unacknowledged are bounded (the broker's in-flight window or prefetch).
 */
export interface IngestSource {
  /** Its `/readyz` check: connected (or listening) and taking messages. */
  health(): HealthCheck;
  /** Stops taking messages; what was not acknowledged stays with the broker for the next consumer. */
  close(): Promise<void>;
}
