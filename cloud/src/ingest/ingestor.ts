import {
  type Clock,
  ColdtraceError,
  decodeGatewayPayload,
  decodeReadingsPayloadFast,
  errorMessage,
  type GatewayPayload,
  type GatewayTopicName,
  MAX_PAYLOAD_BYTES,
  parseTopic,
  TOPIC_STREAM,
} from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { Activity } from '../activity.js';
import { MAX_EPOCH_SEQ } from '../domain/ingest/epochs.js';
import type { ScanDeadLetter } from '../domain/ingest/ingest-plan.js';
import { DEFAULT_SCAN_MAPPING, type ScanMappingOptions } from '../domain/ingest/scan-mapping.js';
import type { LagMetrics } from '../metrics/lag-metrics.js';
import type { CloudStore, IngestResult, SequenceReset, SequenceReuse } from '../store/cloud-store.js';
import { type EventTimeLimits, eventTimeViolation } from './event-times.js';
import type { IngestHealth } from './ingest-health.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { type CommittedWindow, readingWindows } from './reading-windows.js';

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  /** MQTT client id and username of the publisher, where the broker tells them. */
  clientId?: string | undefined;
}

export type IngestOutcome =
  | { kind: 'stored'; stream: GatewayTopicName; gatewayId: string; inserted: number; duplicates: number }
  | { kind: 'dead_letter'; code: string; reason: string };

export interface IngestorOptions {
  store: CloudStore;
  clock: Clock;
  log: Logger;
  metrics?: IngestMetrics | undefined;
  /**
   * Called after readings were committed, with the locations they touched and, per location, the
   * event-time window the batch covered (the domain engine recomputes only there).
   */
  onReadings?:
    | ((locationIds: ReadonlySet<string>, windows: ReadonlyMap<string, CommittedWindow>) => void)
    | undefined;
  /** Called after movements were committed, with the EPCs they touched. */
  onMovements?: ((epcs: ReadonlySet<string>) => void) | undefined;
  /** Where ingest reports its work in progress (the cloud's `activity`). */
  activity?: Activity | undefined;
  /**
   * How far event times may lie from the receive time (the cloud passes its config's `ingest`, default
   * `DEFAULT_EVENT_TIME_LIMITS`); absent, event times are not checked.
   */
  eventTimes?: EventTimeLimits | undefined;
  /** Where ingest reports commits, failed commits and messages in progress (`/readyz`). */
  health?: IngestHealth | undefined;
  /** Ingest latency, data age and messages in ingest (docs/operations.md "Monitoring: lag"). */
  lag?: LagMetrics | undefined;
  /** How barcode scans are mapped (cloud config `ingest.scans`, docs/barcode.md); default: the defaults. */
  scans?: ScanMappingOptions | undefined;
}

/**
 * The ingest pipeline, the same for the embedded broker hook and the external-broker subscriber:
 * topic → contract decode → known gateway → idempotent store. Bad input becomes a dead letter with a
 * reason and resolves normally (the message is acknowledged); only a store failure rejects, so the
 * broker does not acknowledge and the message is delivered again later.
 */
export class Ingestor {
  private readonly knownGateways = new Set<string>();
  constructor(private readonly opts: IngestorOptions) {}

  /**
   * Ingests one message; bad input becomes a dead letter (recorded, counted, logged). A store failure
   * rejects (the message is not acknowledged) and is counted and reported to `health`.
   */
  handle(msg: IncomingMessage): Promise<IngestOutcome> {
    const { health, metrics } = this.opts;
    const left = health?.begin();
    const lag = this.opts.lag?.received();
    const work = this.run(msg, (gatewayId, code, reason) =>
      this.deadLetter(msg, gatewayId, code, reason),
    ).then(
      (outcome) => {
        health?.committed();
        lag?.committed(outcome.kind);
        return outcome;
      },
      (err: unknown) => {
        metrics?.commitFailed();
        health?.commitFailed(err);
        throw err;
      },
    );
    if (left) work.then(left, left);
    if (lag) work.then(lag.left, lag.left);
    return this.tracked('ingest', work);
  }

  private tracked<T>(kind: string, work: Promise<T>): Promise<T> {
    return this.opts.activity ? this.opts.activity.track(kind, work) : work;
  }

  /**
   * Ingests a dead letter's message again (its cause fixed: e.g. the gateway registered since), with every
   * check of `handle` against the time of the replay (event times included). Nothing is recorded when it
   * is still rejected: the outcome says why, and the dead letter stays as it was.
   */
  replay(msg: IncomingMessage): Promise<IngestOutcome> {
    return this.run(msg, async (_gatewayId, code, reason) => ({ kind: 'dead_letter', code, reason }), true);
  }

  private async run(
    msg: IncomingMessage,
    reject: (gatewayId: string | null, code: string, reason: string) => Promise<IngestOutcome>,
    replaying = false,
  ): Promise<IngestOutcome> {
    const { clock, metrics } = this.opts;
    const parsed = parseTopic(msg.topic);
    if (parsed?.kind !== 'gateway') {
      return reject(
        null,
        'unknown_topic',
        `topic ${JSON.stringify(msg.topic)} is not a gateway topic of the v1 contract`,
      );
    }
    // A live readings batch is a readings batch: one decode, store, dedup and evaluation for both topics.
    const { gatewayId } = parsed;
    const name = TOPIC_STREAM[parsed.name];
    if (!(await this.isKnownGateway(gatewayId))) {
      return reject(gatewayId, 'unknown_gateway', `gateway ${JSON.stringify(gatewayId)} is not registered`);
    }
    // Readings (the bulk of the traffic) through the hand-written check, which falls back to the zod
    // contract for anything not plainly valid (same result, same dead-letter reason).
    const decoded =
      name === 'readings'
        ? decodeReadingsPayloadFast(gatewayId, msg.payload)
        : decodeGatewayPayload(name, gatewayId, msg.payload);
    if (!decoded.ok) return reject(gatewayId, decoded.code, decoded.reason);
    // Each buffer epoch owns 2^40 stored seqs (store/stream-epochs.ts); a seq beyond cannot be placed.
    const lastSeq = (decoded.value as { lastSeq?: number }).lastSeq;
    if (lastSeq !== undefined && lastSeq > MAX_EPOCH_SEQ) {
      return reject(
        gatewayId,
        'seq_out_of_range',
        `lastSeq ${lastSeq} is above ${MAX_EPOCH_SEQ}, the largest sequence number of a buffer epoch the cloud stores`,
      );
    }
    // The receive time on the data clock; a replay checks against the time of the replay.
    const now = clock.now();
    if (this.opts.eventTimes) {
      const v = eventTimeViolation(name, decoded.value, now, this.opts.eventTimes);
      if (v) return reject(gatewayId, v.code, v.reason);
    }
    let result: IngestResult;
    try {
      result = await this.store(
        name,
        gatewayId,
        decoded.value,
        now,
        replaying,
        parsed.name === 'readings-live',
      );
    } catch (err) {
      // A replay whose scan still cannot be mapped stores nothing (scan-mapping.ts `strict`).
      if (
        err instanceof ColdtraceError &&
        (err.code === 'epochs_exhausted' || err.code.startsWith('scan_'))
      ) {
        return reject(gatewayId, err.code, err.message);
      }
      throw err;
    }
    const { inserted, duplicates } = result;
    metrics?.stored(name, inserted, duplicates);
    if (result.scanDeadLetters) this.scansRejected(msg, gatewayId, result.scanDeadLetters);
    if (result.sequenceReset) this.sequenceReset(result.sequenceReset);
    if (result.reused) this.sequenceReused(gatewayId, name, result.reused, result.sequenceReuses ?? []);
    if (result.epochAdopted) {
      this.opts.log.info(
        { gatewayId, stream: name, epoch: result.epochAdopted },
        'adopted the first buffer epoch of this gateway stream',
      );
    }
    return { kind: 'stored', stream: name, gatewayId, inserted, duplicates };
  }

  /**
   * Scans ingest could not map (docs/barcode.md "Scans in the cloud"): the store wrote each as a dead letter
   * of its own in the batch's transaction (the rest of the batch is stored); counted and logged here.
   */
  private scansRejected(msg: IncomingMessage, gatewayId: string, rejected: readonly ScanDeadLetter[]): void {
    for (const d of rejected) {
      this.opts.metrics?.deadLetter(d.code);
      this.opts.log.warn(
        { topic: msg.topic, gatewayId, seq: d.seq, code: d.code, reason: d.reason.slice(0, 300) },
        'barcode scan not mapped: stored as a dead letter of its own',
      );
    }
  }

  /**
   * A gateway stream restarted under a new buffer epoch (its buffer.db was lost or replaced): stored in its
   * own sequence space and audited by the store; made loud here (metric, warning).
   */
  private sequenceReset(r: SequenceReset): void {
    this.opts.metrics?.sequenceReset(r.stream);
    this.opts.log.warn(
      {
        gatewayId: r.gatewayId,
        stream: r.stream,
        fromEpoch: r.fromEpoch,
        toEpoch: r.toEpoch,
        epochIndex: r.epochIndex,
        previousHighWater: r.previousHighWater,
      },
      'gateway sequence reset: its buffer was lost or replaced; unacknowledged records of the old buffer may be lost',
    );
  }

  /**
   * Records arrived under numbers the cloud had stored for other records (the gateway's buffer.db was
   * rolled back): kept in a fork of their epoch by the store, which audits each fork; made loud here.
   */
  private sequenceReused(gatewayId: string, stream: string, reused: number, forks: SequenceReuse[]): void {
    this.opts.metrics?.sequenceReused(stream, reused);
    this.opts.log.error(
      {
        gatewayId,
        stream,
        reused,
        forks: forks.map((f) => ({ epoch: f.epoch, fork: f.fork, firstSeq: f.firstSeq })),
        code: 'sequence_reused',
      },
      'gateway reused sequence numbers for different records (buffer.db restored from a backup or rolled back): stored in a fork of the epoch, none discarded',
    );
  }

  private async store<T extends GatewayTopicName>(
    name: T,
    gatewayId: string,
    value: GatewayPayload<T>,
    now: number,
    replaying: boolean,
    live: boolean,
  ): Promise<IngestResult> {
    const { store } = this.opts;
    switch (name) {
      case 'readings': {
        const batch = value as GatewayPayload<'readings'>;
        const r = await store.ingestReadings(gatewayId, batch, now, { live });
        this.opts.lag?.readingsStored(gatewayId, batch.records);
        if (r.inserted > 0 && this.opts.onReadings) {
          // Per location and sensor, what lets the domain engine rank and skip windows (reading-windows.ts).
          const windows = readingWindows(batch.records, r.marks);
          this.opts.onReadings(new Set(windows.keys()), windows);
        }
        return r;
      }
      case 'movements': {
        const batch = value as GatewayPayload<'movements'>;
        const scans = { ...DEFAULT_SCAN_MAPPING, ...this.opts.scans, strict: replaying };
        const r = await store.ingestMovements(gatewayId, batch, now, scans);
        if (r.inserted > 0) {
          const epcs = r.epcs ?? new Set(batch.records.map((x) => (x as { epc: string }).epc));
          if (epcs.size > 0) this.opts.onMovements?.(epcs);
        }
        // Scans of units without serial: their locations' quantity holds are recomputed (with the mark
        // committed for them, durable like a readings batch's).
        if (r.quantityLocations && r.quantityLocations.size > 0 && this.opts.onReadings) {
          const windows = new Map(
            [...r.quantityLocations].map(([loc, w]) => [
              loc,
              { fromTs: w.fromTs, toTs: w.toTs, marks: [w.mark] },
            ]),
          );
          this.opts.onReadings(new Set(windows.keys()), windows);
        }
        return r;
      }
      case 'alarms':
        return store.ingestAlarms(gatewayId, value as GatewayPayload<'alarms'>, now);
      case 'status': {
        const status = value as GatewayPayload<'status'>;
        // A Last Will carries the time its session began (the gateway cannot know when it will vanish), so
        // it is older than the online status sent after connecting: it counts from its receipt instead.
        const lastWill = status.state === 'offline' && status.reason === 'last_will';
        const updated = await store.setGatewayStatus(
          gatewayId,
          JSON.stringify(status),
          lastWill ? Math.max(status.ts, now) : status.ts,
          status.state === 'online',
        );
        return { inserted: updated ? 1 : 0, duplicates: updated ? 0 : 1 };
      }
      default:
        throw new Error(`unhandled stream ${String(name)}`);
    }
  }

  /**
   * Records a rejected message; never throws for bad input (a failing store still rejects). The payload is
   * kept whole up to the contract's MAX_PAYLOAD_BYTES (a rejected batch of 5000 records is ~650 KB: its
   * gateway deleted it after the PUBACK, so this row is the only copy); of a larger one, the first 4 MiB.
   */
  deadLetter(
    msg: IncomingMessage,
    gatewayId: string | null,
    code: string,
    reason: string,
  ): Promise<IngestOutcome> {
    return this.tracked('dead letter', this.recordDeadLetter(msg, gatewayId, code, reason));
  }

  private async recordDeadLetter(
    msg: IncomingMessage,
    gatewayId: string | null,
    code: string,
    reason: string,
  ): Promise<IngestOutcome> {
    const text = msg.payload.subarray(0, Math.min(msg.payload.length, MAX_PAYLOAD_BYTES)).toString('utf8');
    await this.opts.store.addDeadLetter({
      received_at: this.opts.clock.now(),
      topic: msg.topic.slice(0, 512),
      gateway_id: gatewayId,
      client_id: msg.clientId ?? null,
      code,
      reason: reason.slice(0, 2000),
      payload: text,
      payload_bytes: msg.payload.length,
    });
    this.opts.metrics?.deadLetter(code);
    this.opts.log.warn(
      { topic: msg.topic, code, reason: reason.slice(0, 300) },
      'message rejected to dead letters',
    );
    return { kind: 'dead_letter', code, reason };
  }

  private async isKnownGateway(id: string): Promise<boolean> {
    if (this.knownGateways.has(id)) return true;
    try {
      const g = await this.opts.store.getGateway(id);
      if (g) this.knownGateways.add(id);
      return Boolean(g);
    } catch (err) {
      throw new Error(`gateway lookup failed: ${errorMessage(err)}`, { cause: err });
    }
  }
}
