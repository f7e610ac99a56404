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
 * - the messages it holds unacknowledged are bounded: RabbitMQ's `prefetch` per queue, one at a time on an
 *   external MQTT broker (MQTT.js hands the next publish once the last is acknowledged); the embedded
 *   broker has no count of its own: each connection holds what its gateway sent before the PUBACK (the
 *   gateway's `batch.inflightWindow` per stream) and at most one socket read of it (aedes reads the next
 *   once that read's packets are handled).
 */
export interface IngestSource {
  /** Its `/readyz` check: connected (or listening) and taking messages. */
  health(): HealthCheck;
  /** Stops taking messages; what was not acknowledged stays with the broker for the next consumer. */
  close(): Promise<void>;
}
