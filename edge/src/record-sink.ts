import { errorMessage, type Reading, type ReadingQuality, type TempLimits } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { BufferAlarms } from './alarms/buffer-alarms.js';
import type { RecordBuffer, StreamName } from './buffer/record-buffer.js';
import type { NewReading, RecordSink } from './module.js';
import { isUrgent, keepFromThinning } from './reading-urgency.js';

export interface RecordSinkOptions {
  buffer: RecordBuffer;
  /** Limits per location: an out-of-range reading is kept from thinning and published at once. */
  limits: ReadonlyMap<string, TempLimits>;
  bufferAlarms: BufferAlarms;
  log: Logger;
  /** Records are in the buffer: tell the publisher (and count them). */
  stored(stream: StreamName, count: number, urgent: boolean): void;
  /** Records refused because the buffer is full. */
  refused(stream: StreamName, count: number): void;
  /** Alarms were stored (local or buffer alarms): the retained status must show them. */
  alarmsChanged(): void;
}

export interface GatewayRecordSink {
  sink: RecordSink;
  /** Subscribe to readings after they were persisted (local alarms listen here). */
  onReadings(listener: (readings: readonly Reading[]) => void): () => void;
  /** Stores the buffer alarms decided so far (also done after every store). */
  flushBufferAlarms(): void;
  /** The error of the last failed append, undefined once an append succeeds (health). */
  lastAppendError(): string | undefined;
}

/**
 * Where the gateway's modules put their records (module.ts `RecordSink`): each call is one durable
 * append, then the publisher is told, urgently for what must not wait for a batch (`isUrgent`,
 * reading-urgency.ts). Never throws into a module: a refusal is counted and alarmed (`buffer_full`), an
 * invalid record is a module bug, logged with the error.
 */
export function createRecordSink(o: RecordSinkOptions): GatewayRecordSink {
  const { buffer, limits, bufferAlarms, log } = o;
  const listeners = new Set<(r: readonly Reading[]) => void>();
  const lastQuality = new Map<string, ReadingQuality>();
  let lastAppendError: string | undefined;

  const keep = (r: NewReading) => keepFromThinning(r, limits.get(r.locationId));
  const urgent = (r: NewReading) => {
    const prev = lastQuality.get(r.sensorId);
    lastQuality.set(r.sensorId, r.quality);
    return isUrgent(prev, r, limits.get(r.locationId));
  };

  const append = (stream: StreamName, records: Parameters<RecordBuffer['append']>[1], isUrgent: boolean) => {
    let stored: ReturnType<RecordBuffer['append']>;
    try {
      stored = buffer.append(
        stream,
        records as never,
        stream === 'readings' ? { keep: keep as never } : undefined,
      );
      lastAppendError = undefined;
    } catch (err) {
      lastAppendError = errorMessage(err);
      if ((err as { code?: string }).code === 'buffer_full') o.refused(stream, records.length);
      throw err;
    }
    bufferAlarms.accepted(stream);
    o.stored(stream, stored.length, isUrgent);
    if (stream === 'alarms') o.alarmsChanged();
    return stored;
  };

  const flushBufferAlarms = () => {
    const alarms = bufferAlarms.take();
    if (!alarms.length) return;
    try {
      append('alarms', alarms, true);
    } catch (err) {
      log.error(
        { err: errorMessage(err), alarms: alarms.map((a) => a.alarmId) },
        'cannot store buffer alarm',
      );
    }
    o.alarmsChanged(); // raised or cleared in memory even if not stored: status.activeAlarms says so
  };

  const store = (stream: StreamName, records: Parameters<RecordBuffer['append']>[1], isUrgent: boolean) => {
    try {
      return append(stream, records, isUrgent);
    } catch (err) {
      // A refused reading or movement is logged and alarmed once per episode (buffer-alarms.ts), not
      // per call; a refused alarm is logged every time.
      if ((err as { code?: string }).code !== 'buffer_full' || stream === 'alarms') {
        log.error({ stream, records: records.length, err: errorMessage(err) }, 'records not stored');
      }
      return undefined;
    } finally {
      flushBufferAlarms();
    }
  };

  const sink: RecordSink = {
    readings(records) {
      if (!records.length) return;
      let anyUrgent = false;
      for (const r of records) if (urgent(r)) anyUrgent = true; // every record updates its sensor's state
      const stored = store('readings', records, anyUrgent) as Reading[] | undefined;
      if (!stored) return;
      for (const l of listeners) {
        try {
          l(stored);
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'reading listener failed');
        }
      }
    },
    movements(records) {
      if (records.length) store('movements', records, false);
    },
    alarms(records) {
      if (records.length) store('alarms', records, true);
    },
  };

  return {
    sink,
    onReadings(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flushBufferAlarms,
    lastAppendError: () => lastAppendError,
  };
}
