import { Counter, type Registry } from 'prom-client';

/** Prometheus counters of the ingest pipeline. */
export class IngestMetrics {
  private readonly records: Counter<'stream' | 'result'>;
  private readonly deadLetters: Counter<'code'>;
  private readonly authFailures: Counter<'reason'>;
  private readonly sequenceResets: Counter<'stream'>;
  private readonly frameViolations: Counter<'code'>;
  private readonly reusedRecords: Counter<'stream'>;
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
