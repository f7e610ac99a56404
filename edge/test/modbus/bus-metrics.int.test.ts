import { type ModbusSimulator, startModbusSimulator } from '@coldtrace/firmware-sim';
import { freePort, until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { isModbusBusModule } from '../../src/modbus/modbus-bus-module.js';
import { gatewayRig } from '../gateway-harness.js';
import { scrape } from './metrics-text.js';

const rig = gatewayRig();
let sim: ModbusSimulator | undefined;
afterEach(async () => {
  await rig.close();
  await sim?.close();
  sim = undefined;
});

/**
 * The bus counters as an operator sees them: a real gateway's `GET /metrics` and status, with its bus on
 * the simulator's pty (no broker: the uplink plays no part here).
 */
describe('Modbus counters in the gateway /metrics and status', () => {
  it('exports per-sensor counters, the bus cycle time and the overrun flag', async () => {
    sim = await startModbusSimulator({
      sensors: [
        { address: 1, profile: { kind: 'steady', tempC: 4 } },
        { address: 2, profile: { kind: 'steady', tempC: 5 }, replyDelayMs: 250 },
        { address: 3, profile: { kind: 'no-answer' } },
      ],
    });
    const g = await rig.start({
      mqtt: { url: `mqtt://127.0.0.1:${await freePort()}`, reconnectMs: 60_000 },
      http: { host: '127.0.0.1', port: 0 },
      modbus: [
        {
          id: 'bus1',
          path: sim.devicePath,
          // Generous against a busy machine (the gateway also writes each reading to SQLite): s2's
          // answers, 250 ms late, come inside the 300 ms window after its timeout.
          timeoutMs: 150,
          lateReplyWindowMs: 300,
          retryDelayMs: 5,
          sensors: [1, 2, 3].map((a) => ({ id: `s${a}`, address: a, locationId: 'room', pollMs: 300 })),
        },
      ],
    });
    const port = g.httpPort!;
    const m = (name: string, sensor?: string) =>
      `coldtrace_gateway_modbus_${name}{bus="bus1"${sensor ? `,sensor="${sensor}"` : ''}}`;
    let metrics = await until(async () => {
      const s = await scrape(port);
      return (s.get(m('late_replies_total', 's2')) ?? 0) >= 2 && s.get(m('poll_overrun', 's1')) === 1
        ? s
        : undefined;
    }, 'late replies and an overrun in /metrics');
    for (const id of ['s1', 's2', 's3']) {
      for (const name of [
        'polls_total',
        'missed_polls_total',
        'requests_total',
        'retries_total',
        'timeouts_total',
      ]) {
        expect(metrics.has(m(name, id)), `${name} of ${id}`).toBe(true);
      }
    }
    expect(metrics.get(m('requests_total', 's1'))).toBeGreaterThan(0);
    expect(metrics.get(m('timeouts_total', 's3'))).toBeGreaterThan(0);
    expect(metrics.get(m('late_replies_total', 's3'))).toBe(0);
    expect(metrics.get(m('retries_total', 's2'))).toBeGreaterThan(0);
    expect(metrics.get(m('bus_cycle_seconds'))).toBeGreaterThan(0.3);
    expect(metrics.get(m('device_open'))).toBe(1);
    expect(metrics.get(m('reopen_attempts_total'))).toBe(1);
    expect(metrics.get(m('unmatched_frames_total'))).toBe(0);
    expect(metrics.get(m('noise_bytes_total'))).toBe(0);
    // The same flag in the status the gateway publishes (with the reading of the poll that found it).
    await until(() => g.status().sensors?.find((s) => s.sensorId === 's1')?.pollOverrun, 'the status flag');
    const bus = g.modules.find(isModbusBusModule)!;
    expect(bus.report().sensors.find((s) => s.sensorId === 's1')?.pollOverrun).toBe(true);

    // A garbled answer, then an exception response: each counted on its own.
    expect(metrics.get(m('crc_errors_total', 's1'))).toBe(0);
    expect(metrics.get(m('exceptions_total', 's1'))).toBe(0);
    sim.setProfile(1, { kind: 'sensor-fault', fault: 'corrupt_crc' });
    metrics = await until(async () => {
      const s = await scrape(port);
      return (s.get(m('crc_errors_total', 's1')) ?? 0) > 0 ? s : undefined;
    }, 'a CRC error');
    expect(metrics.get(m('exceptions_total', 's1'))).toBe(0);
    sim.setProfile(1, { kind: 'sensor-fault', fault: 'exception', exceptionCode: 2 });
    await until(async () => ((await scrape(port)).get(m('exceptions_total', 's1')) ?? 0) > 0, 'an exception');
  });
});
