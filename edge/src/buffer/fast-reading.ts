import { ID_PATTERN, READING_QUALITIES, TEMP_MAX_C, TEMP_MIN_C } from '@coldtrace/shared';

const EPOCH_MIN = 946_684_800_000; // shared/src/ids.ts epochMsSchema bounds
const EPOCH_MAX = 7_258_118_400_000;
const QUALITIES = new Set<string>(READING_QUALITIES);
const KEYS = new Set(['sensorId', 'locationId', 'ts', 'tempC', 'rh', 'quality', 'seq']);
/** Ids already found to match ID_PATTERN (a gateway has a handful of sensors and locations). */
const validIds = new Set<string>();
const MAX_CACHED_IDS = 4096;

function isId(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  if (validIds.has(v)) return true;
  if (!ID_PATTERN.test(v)) return false;
  if (validIds.size >= MAX_CACHED_IDS) validIds.clear();
  validIds.add(v);
  return true;
}

/**
 * Hot path of the buffer's append: checks a reading against exactly the rules of `readingSchema`
 * (shared/src/records.ts) and serialises it with `seq`, without zod. Returns null when the record is
 * not plainly valid; the caller then runs the zod schema, which decides and explains. The output is
 * ASCII (ids match ID_PATTERN, numbers, fixed words), so its length is its byte size.
 * A property test keeps this in step with the schema (edge/test/buffer/fast-reading.test.ts).
 */
export function encodeReadingFast(r: Record<string, unknown>, seq: number): string | null {
  for (const k in r) if (!KEYS.has(k)) return null;
  const { sensorId, locationId, ts, tempC, rh, quality } = r;
  if (!isId(sensorId) || !isId(locationId)) return null;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < EPOCH_MIN || ts > EPOCH_MAX) return null;
  if (typeof quality !== 'string' || !QUALITIES.has(quality)) return null;
  let t: string;
  if (tempC === null) {
    if (quality === 'ok') return null;
    t = 'null';
  } else {
    if (typeof tempC !== 'number' || !Number.isFinite(tempC) || tempC < TEMP_MIN_C || tempC > TEMP_MAX_C)
      return null;
    if (quality !== 'ok') return null;
    t = `${tempC}`;
  }
  let h = '';
  if (rh === null) h = ',"rh":null';
  else if (rh !== undefined) {
    if (typeof rh !== 'number' || !Number.isFinite(rh) || rh < 0 || rh > 100) return null;
    h = `,"rh":${rh}`;
  } // an explicit `rh: undefined` is omitted, as JSON.stringify does
  return `{"seq":${seq},"sensorId":"${sensorId}","locationId":"${locationId}","ts":${ts},"tempC":${t}${h},"quality":"${quality}"}`;
}
