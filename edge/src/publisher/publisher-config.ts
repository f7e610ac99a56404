import type { EventEmitter } from 'node:events';
import type { Clock, GatewayStatus, GatewayTopicName } from '@coldtrace/shared';
import { idSchema, MAX_BATCH_RECORDS } from '@coldtrace/shared';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { RecordBuffer, StreamName } from '../buffer/record-buffer.js';

/**
 * Batching defaults, the same for the publisher and the gateway config. 5000 records per batch (the
 * contract's MAX_BATCH_RECORDS): live batches stay small (sent after maxAgeMs), and a backlog replays in
 * few round trips: 1,000,000 readings into the cloud in ~6 s at 4 in flight, gateway peak ~143 MB; with
 * 500 per batch ~25 s, bound by PUBACK round trips (docs/durability.md "Round 3").
 */
export const DEFAULT_BATCH = { maxRecords: MAX_BATCH_RECORDS, maxAgeMs: 1_000 } as const;
/**
 * How young every reading of a batch must be, on the gateway's clock, for it to go on `readings-live`
 * (docs/architecture.md "Live readings"): well above a live batch's age at sending (`maxAgeMs`, a reconnect
 * or two), well below a backlog's.
 */
export const DEFAULT_LIVE_WINDOW_MS = 30_000;
/** Batches per stream published and not yet acknowledged, by default. */
export const DEFAULT_INFLIGHT_WINDOW = 4;
/**
 * How long the oldest publish in flight may wait for its PUBACK on a live connection before the connection
 * is dropped and the stream replayed (a broker that answers PINGREQ but stopped acknowledging: RabbitMQ
 * 3.10's MQTT plugin after a timed-out auth call, docs/durability.md).
 */
export const DEFAULT_PUBACK_TIMEOUT_MS = 60_000;

/** Whether the oldest publish still waiting for its PUBACK (sent at `oldestSentAt`) is past the deadline. */
export const pubackOverdue = (oldestSentAt: number | undefined, now: number, limitMs: number): boolean =>
  oldestSentAt !== undefined && now - oldestSentAt >= limitMs;

export const publisherConfigSchema = z
  .object({
    gatewayId: idSchema,
    mqtt: z
      .object({
        /** mqtt://host:port, mqtts://… (TLS), ws(s)://… */
        url: z.string().min(1),
        username: z.string().optional(),
        password: z.string().optional(),
        /** Default: the gateway id (a persistent session is bound to it). */
        clientId: z.string().min(1).max(128).optional(),
        connectTimeoutMs: z.number().int().positive().default(10_000),
        reconnectMs: z.number().int().positive().default(2_000),
        /** A publish not acknowledged (PUBACK) within this time drops the connection, then replays. */
        pubackTimeoutMs: z.number().int().positive().default(DEFAULT_PUBACK_TIMEOUT_MS),
        /** A readings batch whose readings are all this young goes on `readings-live`; 0: never. */
        liveWindowMs: z.number().int().min(0).default(DEFAULT_LIVE_WINDOW_MS),
        keepaliveS: z.number().int().min(0).default(30),
        /** TLS: PEM CA bundle, client certificate and key (strings or Buffers). */
        ca: z.union([z.string(), z.instanceof(Buffer)]).optional(),
        cert: z.union([z.string(), z.instanceof(Buffer)]).optional(),
        key: z.union([z.string(), z.instanceof(Buffer)]).optional(),
        rejectUnauthorized: z.boolean().default(true),
      })
      .strict(),
    batch: z
      .object({
        /** A batch is sent once this many records wait (and never carries more). */
        maxRecords: z.number().int().min(1).max(MAX_BATCH_RECORDS).default(DEFAULT_BATCH.maxRecords),
        /** …or once the oldest waiting record has waited this long. */
        maxAgeMs: z.number().int().min(0).default(DEFAULT_BATCH.maxAgeMs),
      })
      .strict(),
    /** Batches per stream published and not yet PUBACKed. */
    inflightWindow: z.number().int().min(1).max(256).default(DEFAULT_INFLIGHT_WINDOW),
    version: z.string().max(64),
    /** How long stop() waits for the offline status and in-flight PUBACKs. */
    stopTimeoutMs: z.number().int().positive().default(5_000),
  })
  .strict();

export type PublisherConfig = z.input<typeof publisherConfigSchema>;
export type PublisherOptions = PublisherConfig & {
  buffer: RecordBuffer;
  clock: Clock;
  log: Logger;
  /** Called on every connection change (also emitted as `connected` / `disconnected`). */
  onConnectionChange?: (connected: boolean) => void;
};

export interface PublisherEvents {
  connected: [];
  disconnected: [];
  /** The broker PUBACKed every batch of `stream` up to `upToSeq`; the buffer dropped them. */
  acked: [{ stream: StreamName; upToSeq: number }];
  /** A batch went out (also after a reconnect, again). */
  sent: [
    {
      stream: StreamName;
      /** `readings-live` for a live readings batch, else the stream's own topic. */
      topic: GatewayTopicName;
      firstSeq: number;
      lastSeq: number;
      records: number;
      bytes: number;
    },
  ];
}

export interface Publisher extends EventEmitter<PublisherEvents> {
  start(): void;
  /** Publishes the retained offline status (reason `shutdown`), waits for in-flight PUBACKs, disconnects. */
  stop(): Promise<void>;
  /** Tells the publisher records were appended to `stream`; `urgent` skips the batching delay. */
  notify(stream: StreamName, opts?: { urgent?: boolean }): void;
  /** Retained, QoS 1. Kept and re-published (as online) on every reconnect. */
  publishStatus(status: GatewayStatus): void;
  readonly connected: boolean;
  /** Batches in flight per stream (for metrics and tests). */
  inflight(): Record<StreamName, number>;
}
