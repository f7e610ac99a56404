import type { Backlog, ReaderHealth, SensorHealth } from '@coldtrace/shared';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

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
  }
}
