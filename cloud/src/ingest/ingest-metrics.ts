import { Counter, type Registry } from 'prom-client';

/** Prometheus counters of the ingest pipeline. */
export class IngestMetrics {
  private readonly records: Counter<'stream' | 'result'>;
  private readonly deadLetters: Counter<'code'>;
  private readonly authFailures: Counter<'reason'>;
  private readonly sequenceResets: Counter<'stream'>;
  private readonly frameViolations: Counter<'code'>;
  private readonly reusedRecords: Counter<'stream'>;
  private readonly retainRefusals: Counter<'stream'>;
  private readonly refusedConnections: Counter<'reason'>;
  private readonly commitFailures: Counter;
  constructor(registry: Registry) {
    this.records = new Counter({
      name: 'coldtrace_ingest_records_total',
      help: 'Records ingested, by stream and result (inserted or duplicate)',
      labelNames: ['stream', 'result'],
      registers: [registry],
    });
    this.deadLetters = new Counter({
      name: 'coldtrace_dead_letters_total',
      help: 'Messages rejected to the dead-letter table, by reason code',
      labelNames: ['code'],
      registers: [registry],
    });
    this.authFailures = new Counter({
      name: 'coldtrace_mqtt_auth_failures_total',
      help: 'Refused MQTT logins at the embedded broker (unknown gateway, wrong secret, client id), by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.sequenceResets = new Counter({
      name: 'coldtrace_sequence_resets_total',
      help: 'Gateway streams that restarted their sequence under a new buffer epoch (buffer.db lost or replaced), by stream',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.reusedRecords = new Counter({
      name: 'coldtrace_sequence_reused_records_total',
      help: 'Records that arrived under a sequence number already stored for a different record (gateway buffer rolled back), stored in a fork of their epoch, by stream',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.frameViolations = new Counter({
      name: 'coldtrace_mqtt_frame_violations_total',
      help: 'Embedded-broker connections closed for a packet over the size limit or a malformed length, by code',
      labelNames: ['code'],
      registers: [registry],
    });
    this.retainRefusals = new Counter({
      name: 'coldtrace_mqtt_retain_refused_total',
      help: 'Gateway messages published with retain on a topic the contract does not retain: stored, not retained, by stream',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.refusedConnections = new Counter({
      name: 'coldtrace_mqtt_connections_refused_total',
      help: 'Embedded-broker connections closed before a CONNECT was read: over the per-source connection rate (rate_limited) or no CONNECT in time (connect_timeout)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.commitFailures = new Counter({
      name: 'coldtrace_ingest_commit_failures_total',
      help: 'Messages the store failed to take (not acknowledged: the gateway sends them again)',
      registers: [registry],
    });
  }
  retainRefused(stream: string): void {
    this.retainRefusals.inc({ stream });
  }
  connectionRefused(reason: string): void {
    this.refusedConnections.inc({ reason });
  }
  commitFailed(): void {
    this.commitFailures.inc();
  }
  sequenceReused(stream: string, records: number): void {
    this.reusedRecords.inc({ stream }, records);
  }
  frameViolation(code: string): void {
    this.frameViolations.inc({ code });
  }
  authFailure(reason: string): void {
    this.authFailures.inc({ reason });
  }
  stored(stream: string, inserted: number, duplicates: number): void {
    if (inserted) this.records.inc({ stream, result: 'inserted' }, inserted);
    if (duplicates) this.records.inc({ stream, result: 'duplicate' }, duplicates);
  }
  sequenceReset(stream: string): void {
    this.sequenceResets.inc({ stream });
  }
  deadLetter(code: string): void {
    this.deadLetters.inc({ code });
  }
}
