import type { z } from 'zod';
import { alarmsBatchSchema, movementsBatchSchema, readingsBatchSchema } from './batch.js';
import { ID_PATTERN } from './ids.js';
import { statusSchema } from './status.js';

/**
 * The v1 wire contract: every topic is declared once here with its schema, QoS and retain flag.
 * Edge publishes and cloud parses only through this table (checked at runtime on both sides).
 */
export const TOPIC_ROOT = 'coldtrace/v1';

/** Largest payload either side accepts; larger is a dead letter on the cloud, a split at the edge. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

export const gatewayTopics = {
  readings: { schema: readingsBatchSchema, qos: 1, retain: false },
  /**
   * The readings stream's live batches (every reading younger than the gateway's `mqtt.liveWindowMs`): the
   * same batches, sequence numbers and schema as `readings`, on a topic of their own so a deployment can
   * route them past other gateways' backlogs (docs/architecture.md "Live readings").
   */
  'readings-live': { schema: readingsBatchSchema, qos: 1, retain: false },
  movements: { schema: movementsBatchSchema, qos: 1, retain: false },
  alarms: { schema: alarmsBatchSchema, qos: 1, retain: false },
  status: { schema: statusSchema, qos: 1, retain: true },
} as const satisfies Record<string, { schema: z.ZodType; qos: 0 | 1 | 2; retain: boolean }>;

export type GatewayTopicName = keyof typeof gatewayTopics;
export type GatewayPayload<T extends GatewayTopicName> = z.infer<(typeof gatewayTopics)[T]['schema']>;
export const GATEWAY_TOPIC_NAMES = Object.keys(gatewayTopics) as GatewayTopicName[];

/** The record stream a topic's payload belongs to: `readings-live` carries the readings stream. */
export const TOPIC_STREAM = {
  readings: 'readings',
  'readings-live': 'readings',
  movements: 'movements',
  alarms: 'alarms',
  status: 'status',
} as const satisfies Record<GatewayTopicName, GatewayTopicName>;
export type GatewayStreamName = (typeof TOPIC_STREAM)[GatewayTopicName];

/** `coldtrace/v1/gw/{gatewayId}/{name}` */
export function gatewayTopic(gatewayId: string, name: GatewayTopicName): string {
  assertTopicId(gatewayId);
  return `${TOPIC_ROOT}/gw/${gatewayId}/${name}`;
}

/** Cloud → gateway command topic (reserved in v1). */
export function commandTopic(gatewayId: string, command: string): string {
  assertTopicId(gatewayId);
  assertTopicId(command);
  return `${TOPIC_ROOT}/gw/${gatewayId}/cmd/${command}`;
}

/** The subtree a gateway may publish into (its ACL). */
export function gatewayRoot(gatewayId: string): string {
  assertTopicId(gatewayId);
  return `${TOPIC_ROOT}/gw/${gatewayId}/`;
}

/** Subscription filter for every gateway's topic `name`, optionally as an MQTT 5 shared subscription. */
export function gatewayFilter(name: GatewayTopicName | '+', sharedGroup?: string): string {
  const filter = `${TOPIC_ROOT}/gw/+/${name}`;
  return sharedGroup ? `$share/${sharedGroup}/${filter}` : filter;
}

export type ParsedTopic =
  | { kind: 'gateway'; gatewayId: string; name: GatewayTopicName }
  | { kind: 'command'; gatewayId: string; command: string }
  | { kind: 'event'; event: string };

/** Parses a topic of the contract; null for anything else. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts[0] !== 'coldtrace' || parts[1] !== 'v1') return null;
  if (parts[2] === 'gw' && parts.length >= 5) {
    const gatewayId = parts[3]!;
    if (!ID_PATTERN.test(gatewayId)) return null;
    if (parts.length === 5 && Object.hasOwn(gatewayTopics, parts[4]!)) {
      return { kind: 'gateway', gatewayId, name: parts[4] as GatewayTopicName };
    }
    if (parts.length === 6 && parts[4] === 'cmd' && ID_PATTERN.test(parts[5]!)) {
      return { kind: 'command', gatewayId, command: parts[5]! };
    }
    return null;
  }
  if (parts[2] === 'events' && parts.length === 4 && ID_PATTERN.test(parts[3]!)) {
    return { kind: 'event', event: parts[3]! };
  }
  return null;
}

/** `coldtrace/v1/events/{event}`: lock, unlock, disposition events for ERP/WMS (cloud → integrations). */
export function eventTopic(event: string): string {
  assertTopicId(event);
  return `${TOPIC_ROOT}/events/${event}`;
}

function assertTopicId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new TypeError(`not a valid topic id: ${JSON.stringify(id)}`);
}

export type DecodeFailure = {
  ok: false;
  /** Stable reason code, stored with the dead letter. */
  code: 'payload_too_large' | 'malformed_json' | 'schema_violation' | 'gateway_mismatch';
  reason: string;
};
export type DecodeResult<T> = { ok: true; value: T } | DecodeFailure;

/**
 * Decodes a payload of topic `name` published under gateway `topicGatewayId`: size, JSON, schema,
 * and that a payload naming a gateway names the topic's gateway.
 */
export function decodeGatewayPayload<T extends GatewayTopicName>(
  name: T,
  topicGatewayId: string,
  payload: Uint8Array | string,
): DecodeResult<GatewayPayload<T>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) {
    return {
      ok: false,
      code: 'payload_too_large',
      reason: `payload is ${size} bytes; the limit is ${MAX_PAYLOAD_BYTES}`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (err) {
    return { ok: false, code: 'malformed_json', reason: `payload is not JSON: ${(err as Error).message}` };
  }
  const parsed = gatewayTopics[name].schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, code: 'schema_violation', reason: formatZodError(parsed.error) };
  }
  const value = parsed.data as GatewayPayload<T>;
  if (value.gatewayId !== topicGatewayId) {
    return {
      ok: false,
      code: 'gateway_mismatch',
      reason: `payload names gateway ${JSON.stringify(value.gatewayId)} but was published under ${JSON.stringify(topicGatewayId)}`,
    };
  }
  return { ok: true, value };
}

/** Encodes a payload after validating it against the contract; throws on a contract violation. */
export function encodeGatewayPayload<T extends GatewayTopicName>(name: T, value: GatewayPayload<T>): string {
  const parsed = gatewayTopics[name].schema.safeParse(value);
  if (!parsed.success)
    throw new TypeError(`${name} payload violates the contract: ${formatZodError(parsed.error)}`);
  return JSON.stringify(value);
}

/** One line per issue: `path: message`, at most 10 issues. */
export function formatZodError(error: z.ZodError): string {
  const lines = error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (error.issues.length > 10) lines.push(`… and ${error.issues.length - 10} more`);
  return lines.join('; ');
}
