import { MAX_BATCH_RECORDS, type ReadingsBatch } from './batch.js';
import { type DecodeResult, decodeGatewayPayload, MAX_PAYLOAD_BYTES } from './contract.js';
import { ID_PATTERN } from './ids.js';
import { READING_QUALITIES, TEMP_MAX_C, TEMP_MIN_C } from './records.js';

// Bounds of epochMsSchema and seqSchema (shared/src/ids.ts).
const EPOCH_MIN = 946_684_800_000;
const EPOCH_MAX = 7_258_118_400_000;
const QUALITIES = new Set<string>(READING_QUALITIES);
const READING_KEYS = new Set(['seq', 'sensorId', 'locationId', 'ts', 'tempC', 'rh', 'quality']);
const BATCH_KEYS = new Set(['gatewayId', 'firstSeq', 'lastSeq', 'sentAt', 'epoch', 'records', 'thinned']);
const EPOCH_PATTERN = /^[0-9a-f]{16}$/; // bufferEpochSchema (shared/src/batch.ts)

const isSeq = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= Number.MAX_SAFE_INTEGER;
const isEpoch = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= EPOCH_MIN && v <= EPOCH_MAX;
const isId = (v: unknown): v is string => typeof v === 'string' && ID_PATTERN.test(v);
const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `readingSchema` (shared/src/records.ts), rule for rule, without zod. */
function isReading(r: unknown): boolean {
  if (!isPlain(r)) return false;
  for (const k in r) if (!READING_KEYS.has(k)) return false;
  if (!isSeq(r.seq) || !isId(r.sensorId) || !isId(r.locationId) || !isEpoch(r.ts)) return false;
  const { tempC, rh, quality } = r;
  if (typeof quality !== 'string' || !QUALITIES.has(quality)) return false;
  if (tempC === null) {
    if (quality === 'ok') return false;
  } else if (
    typeof tempC !== 'number' ||
    !Number.isFinite(tempC) ||
    tempC < TEMP_MIN_C ||
    tempC > TEMP_MAX_C ||
    quality !== 'ok'
  ) {
    return false;
  }
  if (rh !== null && rh !== undefined) {
    if (typeof rh !== 'number' || !Number.isFinite(rh) || rh < 0 || rh > 100) return false;
  } else if (rh === undefined && 'rh' in r) return false; // not from JSON; let zod decide
  return true;
}

/**
 * `readingsBatchSchema` (shared/src/batch.ts), rule for rule, on a value from JSON.parse: true only when
 * the schema accepts it and its parse result equals the value itself (no key to strip or default to
 * fill). False means "not plainly valid": the caller runs the schema, which decides and explains.
 */
export function isReadingsBatchFast(b: unknown): b is ReadingsBatch {
  if (!isPlain(b)) return false;
  for (const k in b) if (!BATCH_KEYS.has(k)) return false;
  const { gatewayId, firstSeq, lastSeq, sentAt, epoch, records, thinned } = b;
  if (!isId(gatewayId) || !isSeq(firstSeq) || !isSeq(lastSeq) || !isEpoch(sentAt)) return false;
  if (epoch !== undefined) {
    if (typeof epoch !== 'string' || !EPOCH_PATTERN.test(epoch)) return false;
  } else if ('epoch' in b) return false;
  if (!Array.isArray(records) || records.length > MAX_BATCH_RECORDS) return false;
  for (let i = 0; i < records.length; i++) if (!isReading(records[i])) return false;
  if (thinned !== undefined) {
    if (!Array.isArray(thinned) || thinned.length > MAX_BATCH_RECORDS) return false;
    for (const t of thinned) {
      if (!isPlain(t)) return false;
      for (const k in t) if (k !== 'from' && k !== 'to') return false;
      if (!isSeq(t.from) || !isSeq(t.to) || t.from > t.to) return false;
    }
  } else if ('thinned' in b) return false;
  // The batch's coverage (batch.ts superRefine): firstSeq..lastSeq, each seq a record or thinned, once.
  if (firstSeq > lastSeq) return false;
  const spans = thinned as Array<{ from: number; to: number }> | undefined;
  if (records.length === 0 && !spans?.length) return false;
  let next = firstSeq;
  if (!spans?.length) {
    // The common case: records in sequence order, no thinning.
    for (let i = 0; i < records.length; i++) {
      if ((records[i] as { seq: number }).seq !== next) return false;
      next++;
    }
  } else {
    const covered: Array<[number, number]> = records.map((r) => [
      (r as { seq: number }).seq,
      (r as { seq: number }).seq,
    ]);
    for (const t of spans) covered.push([t.from, t.to]);
    covered.sort((a, c) => a[0] - c[0]);
    for (const [from, to] of covered) {
      if (from !== next) return false;
      next = to + 1;
    }
  }
  return next === lastSeq + 1;
}

/**
 * `decodeGatewayPayload('readings', …)` with a hand-written check on the hot path (zod cost
 * 2–3 µs per reading). A payload the fast check does not plainly accept goes through
 * `decodeGatewayPayload`, the authority, which gives the same result and the readable reason of a
 * rejection (for the dead letter). A property test keeps both in step (shared/test/fast-readings-batch.test.ts).
 */
export function decodeReadingsPayloadFast(
  topicGatewayId: string,
  payload: Uint8Array | string,
): DecodeResult<ReadingsBatch> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size <= MAX_PAYLOAD_BYTES) {
    let json: unknown;
    try {
      json = JSON.parse(
        typeof payload === 'string'
          ? payload
          : Buffer.isBuffer(payload)
            ? payload.toString('utf8')
            : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'),
      );
    } catch {
      json = undefined; // malformed: the authority below says so
    }
    if (isReadingsBatchFast(json) && json.gatewayId === topicGatewayId) return { ok: true, value: json };
  }
  return decodeGatewayPayload('readings', topicGatewayId, payload);
}
