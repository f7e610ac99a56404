import type { Backlog, ReaderHealth, SensorHealth } from '@coldtrace/shared';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ModbusBusReport, SensorCounters } from '../modbus/bus-report.js';
import type { PortalReport } from '../portal/portal-report.js';

/** Per-sensor Modbus counters: metric name suffix, help, and the counter it reads. */
const MODBUS_SENSOR_COUNTERS: Array<[string, string, keyof SensorCounters]> = [
  ['polls_total', 'Polls started (one reading each)', 'polls'],
  [
    'missed_polls_total',
    'Poll periods lost because the sensor was still waiting for its turn',
    'missedPolls',
  ],
  ['requests_total', 'Modbus requests written, retries included', 'requests'],
  ['retries_total', 'Requests made again in the same poll after a timeout or CRC error', 'retries'],
  ['timeouts_total', 'Requests that got no answer within timeoutMs', 'timeouts'],
  [
    'late_replies_total',
    'Answers that came after their request timed out (discarded, never used)',
    'lateReplies',
  ],
  ['crc_errors_total', 'Answers with a bad CRC', 'crcErrors'],
  ['exceptions_total', 'Exception responses (Modbus Application Protocol V1.1b3 §7)', 'exceptions'],
];

/** Per-reader LLRP connector counters: metric name suffix, help, and the counter it reads. */
const LLRP_CONNECTOR_COUNTERS: Array<[string, string, keyof PortalReport['connector']]> = [
  ['reports_total', 'RO_ACCESS_REPORT messages received', 'reports'],
  ['tags_total', 'Tag reads (TagReportData) delivered to the portal logic', 'tags'],
  [
    'bad_tag_reports_total',
    'Malformed TagReportData skipped (the rest of their report kept)',
    'badTagReports',
  ],
  ['reconnects_total', 'Connection failures, each followed by a reconnect after the backoff', 'reconnects'],
  [
    'protocol_errors_total',
    'Messages that could not be decoded, ERROR_MESSAGEs and other protocol errors',
    'protocolErrors',
  ],
  ['keepalives_total', 'KEEPALIVEs received (each answered with KEEPALIVE_ACK)', 'keepalives'],
];

/** The gateway's Prometheus metrics; gauges are read from the live state at scrape time. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly records: Counter<'stream'>;
  readonly refused: Counter<'stream'>;
  readonly moduleFailures: Counter<'module'>;

  constructor(state: {
    backlog: () => Backlog;
    connected: () => boolean;
    readers: () => ReaderHealth[];
    sensors: () => SensorHealth[];
    modbus: () => ModbusBusReport[];
    portals: () => PortalReport[];
    now: () => number;
  }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.records = new Counter({
      name: 'coldtrace_gateway_records_total',
      help: 'Records persisted in the buffer, by stream',
      labelNames: ['stream'],
      registers,
    });
    this.refused = new Counter({
      name: 'coldtrace_gateway_records_refused_total',
      help: 'Records the buffer refused because it was full (never silent: also an alarm)',
      labelNames: ['stream'],
      registers,
    });
    this.moduleFailures = new Counter({
      name: 'coldtrace_gateway_module_failures_total',
      help: 'Modules that failed to start or stop',
      labelNames: ['module'],
      registers,
    });
    new Gauge({
      name: 'coldtrace_gateway_backlog_records',
      help: 'Unacknowledged records in the buffer',
      registers,
      collect() {
        this.set(state.backlog().records);
      },
    });
    new Gauge({
      name: 'coldtrace_gateway_backlog_bytes',
      help: 'Bytes held by the buffer',
      registers,
      collect() {
        this.set(state.backlog().bytes);
      },
    });
    new Gauge({
      name: 'coldtrace_gateway_backlog_oldest_age_seconds',
      help: 'Age of the oldest unacknowledged record (event time)',
      registers,
      collect() {
        const oldest = state.backlog().oldestTs;
        this.set(oldest === null ? 0 : Math.max(0, (state.now() - oldest) / 1000));
      },
    });
    new Gauge({
      name: 'coldtrace_gateway_uplink_connected',
      help: '1 while connected to the broker',
      registers,
      collect() {
        this.set(state.connected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'coldtrace_gateway_reader_connected',
      help: '1 while the RFID reader is connected',
      labelNames: ['reader'],
      registers,
      collect() {
        this.reset();
        for (const r of state.readers()) this.set({ reader: r.readerId }, r.state === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'coldtrace_gateway_sensor_ok',
      help: '1 while the sensor answers with good readings (state ok: temperature and, if mapped, humidity)',
      labelNames: ['sensor'],
      registers,
      collect() {
        this.reset();
        for (const s of state.sensors()) this.set({ sensor: s.sensorId }, s.state === 'ok' ? 1 : 0);
      },
    });
    this.modbusMetrics(registers, state.modbus);
    this.llrpMetrics(registers, state.portals);
  }

  /** LLRP portals (docs/llrp.md "Metrics"): read from each portal's report, labelled by reader. */
  private llrpMetrics(registers: Registry[], portals: () => PortalReport[]) {
    for (const [suffix, help, key] of LLRP_CONNECTOR_COUNTERS) {
      new Counter({
        name: `coldtrace_gateway_llrp_${suffix}`,
        help,
        labelNames: ['reader'],
        registers,
        collect() {
          this.reset();
          for (const p of portals()) this.inc({ reader: p.readerId }, p.connector[key]);
        },
      });
    }
    new Gauge({
      name: 'coldtrace_gateway_reader_clock_skew_seconds',
      help: "Reader clock minus gateway clock, estimated from the reader's timestamps (none before the first)",
      labelNames: ['reader'],
      registers,
      collect() {
        this.reset();
        for (const p of portals())
          if (p.clock.skewMs !== undefined) this.set({ reader: p.readerId }, p.clock.skewMs / 1000);
      },
    });
    new Counter({
      name: 'coldtrace_gateway_reader_clock_steps_total',
      help: "Times the reader's clock went back by more than the portal's step limit",
      labelNames: ['reader'],
      registers,
      collect() {
        this.reset();
        for (const p of portals()) this.inc({ reader: p.readerId }, p.clock.steps);
      },
    });
  }

  /** Modbus buses (docs/modbus.md "Metrics"): counters and gauges read from each bus's report. */
  private modbusMetrics(registers: Registry[], buses: () => ModbusBusReport[]) {
    for (const [suffix, help, key] of MODBUS_SENSOR_COUNTERS) {
      new Counter({
        name: `coldtrace_gateway_modbus_${suffix}`,
        help,
        labelNames: ['bus', 'sensor'],
        registers,
        collect() {
          this.reset();
          for (const b of buses())
            for (const s of b.sensors) this.inc({ bus: b.busId, sensor: s.sensorId }, s[key]);
        },
      });
    }
    new Gauge({
      name: 'coldtrace_gateway_modbus_poll_overrun',
      help: "1 while the sensor's poll period cannot be kept (the bus needs longer to go round)",
      labelNames: ['bus', 'sensor'],
      registers,
      collect() {
        this.reset();
        for (const b of buses())
          for (const s of b.sensors) this.set({ bus: b.busId, sensor: s.sensorId }, s.pollOverrun ? 1 : 0);
      },
    });
    const busGauge = (name: string, help: string, value: (b: ModbusBusReport) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['bus'],
        registers,
        collect() {
          this.reset();
          for (const b of buses()) this.set({ bus: b.busId }, value(b));
        },
      });
    const busCounter = (name: string, help: string, value: (b: ModbusBusReport) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['bus'],
        registers,
        collect() {
          this.reset();
          for (const b of buses()) this.inc({ bus: b.busId }, value(b));
        },
      });
    busGauge(
      'coldtrace_gateway_modbus_bus_cycle_seconds',
      "Bus time one poll of every sensor takes at the current answer times (sum of each sensor's last poll)",
      (b) => b.cycleMs / 1000,
    );
    busGauge('coldtrace_gateway_modbus_device_open', '1 while the serial device is open', (b) =>
      b.deviceOpen ? 1 : 0,
    );
    busCounter(
      'coldtrace_gateway_modbus_reopen_attempts_total',
      'Attempts to open the serial device',
      (b) => b.reopenAttempts,
    );
    busCounter(
      'coldtrace_gateway_modbus_unmatched_frames_total',
      "Whole frames received that answered none of the gateway's requests (late replies not included)",
      (b) => b.unmatchedFrames,
    );
    busCounter(
      'coldtrace_gateway_modbus_noise_bytes_total',
      'Received bytes that formed no frame',
      (b) => b.noiseBytes,
    );
  }
}
