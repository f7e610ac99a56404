import type { Generated } from 'kysely';

// Tables of what leaves the cloud: webhooks, the outbox and the time-series sinks.

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  secret: string;
  /** Comma-separated event names, or '*'. */
  events: string;
  enabled: number;
  created_at: number;
}

export interface OutboxTable {
  id: Generated<number>;
  /** 'webhook:<endpoint id>' or 'mqtt'. */
  target: string;
  event: string;
  payload: string;
  created_at: number;
  attempts: number;
  next_at: number;
  delivered_at: number | null;
  last_error: string | null;
}

/** Time-series sinks (migration 0003-sinks): a sink enabled here gets every new reading enqueued. */
export interface SinkStateTable {
  name: string;
  enabled: number;
  updated_at: number;
}

/** Readings waiting to be sent to a sink, enqueued by a trigger in the ingest transaction. */
export interface SinkOutboxTable {
  id: Generated<number>;
  sink: string;
  gateway_id: string;
  seq: number;
  /** The reading's time (migration 0041): null only for rows queued before it whose reading is gone. */
  ts: number | null;
}
