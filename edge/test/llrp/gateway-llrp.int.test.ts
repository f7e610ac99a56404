import { type LlrpSimulator, sgtin96, startLlrpSimulator } from '@coldtrace/firmware-sim';
import { encodeRoAccessReport, type TagRead } from '@coldtrace/shared/llrp';
import { freePort, until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bufferedAlarms, gatewayRig } from '../gateway-harness.js';

const HOUR = 3_600_000;
const read = (i: number): TagRead => ({
  epc: sgtin96(614141, 812345, 900 + i),
  antennaId: 1,
  peakRssi: -50,
  firstSeenUs: Date.now() * 1000,
  lastSeenUs: Date.now() * 1000,
  seenCount: 1,
  rospecId: 1,
  channelIndex: null,
});
const rig = gatewayRig();
let sim: LlrpSimulator | undefined;
afterEach(async () => {
  await rig.close();
  await sim?.close();
  sim = undefined;
});

/** `GET /metrics`: the samples named `name{reader="…"}`, by name. */
async function readerMetrics(port: number, reader: string): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^(coldtrace_gateway_\w+)\{reader="([^"]+)"\} (\S+)$/.exec(line);
    if (m && m[2] === reader) out.set(m[1]!, Number(m[3]));
  }
  return out;
}

/** A gateway with one portal `dock-1` on the simulator, metrics on an ephemeral port. */
async function gatewayOn(s: LlrpSimulator, reader: Record<string, unknown> = {}) {
  return rig.start({
    mqtt: { url: `mqtt://127.0.0.1:${await freePort()}`, reconnectMs: 60_000 },
    http: { host: '127.0.0.1', port: 0 },
    portals: [
      {
        id: 'dock-1',
        reader: { host: '127.0.0.1', port: s.port, ...reader },
        outside: { locationId: 'yard', antennas: [1, 2] },
        inside: { locationId: 'coldroom-1', antennas: [3, 4] },
      },
    ],
  });
}

/**
 * A real gateway with a portal on the LLRP simulator, on the wall clock (no broker: the uplink plays no
 * part): what an operator sees of the reader in `/metrics`, the status and the buffered alarms.
 */
describe('LLRP portal in the gateway /metrics, status and alarms', () => {
  it('exports the reader clock skew and steps, and raises reader_clock_skew through the buffer', async () => {
    sim = await startLlrpSimulator({ seed: 2, clockOffsetMs: HOUR }); // the reader an hour ahead
    const g = await gatewayOn(sim);
    await sim.waitActive();
    const port = g.httpPort!;
    const skew = (m: Map<string, number>) => m.get('coldtrace_gateway_reader_clock_skew_seconds');
    let m = await until(async () => {
      const s = await readerMetrics(port, 'dock-1-reader');
      return skew(s) !== undefined ? s : undefined;
    }, 'the skew in /metrics');
    // Reader − gateway, less the few ms the connection event took to arrive.
    expect(skew(m)).toBeGreaterThan(3599);
    expect(skew(m)).toBeLessThanOrEqual(3600);
    expect(m.get('coldtrace_gateway_reader_clock_steps_total')).toBe(0);
    expect(g.status().activeAlarms).toEqual(['reader_clock_skew:dock-1']);

    // The reader's clock goes back two hours (an hour behind now); its next reads show it.
    sim.readerClock.step(-2 * HOUR);
    await sim.pass([{ epc: sgtin96(614141, 812345, 1), direction: 'in' }], { durationMs: 300 });
    m = await until(async () => {
      const s = await readerMetrics(port, 'dock-1-reader');
      return s.get('coldtrace_gateway_reader_clock_steps_total') === 1 ? s : undefined;
    }, 'the step in /metrics');
    expect(skew(m)).toBeLessThan(-3599);
    expect(skew(m)).toBeGreaterThan(-3601);
    expect(
      bufferedAlarms(g).map((a) => [a.alarmId, a.kind, a.state, a.message.replace(/ [\d.]+ s/, ' N s')]),
    ).toEqual([
      [
        'reader_clock_skew:dock-1',
        'reader_clock_skew',
        'raised',
        "reader of portal dock-1: clock N s ahead of the gateway's; its times are corrected by the measured skew (policy 'offset')",
      ],
      [
        'reader_clock_skew:dock-1',
        'reader_clock_skew',
        'raised',
        "reader of portal dock-1: clock stepped back by N s; its times are corrected by the measured skew (policy 'offset')",
      ],
    ]);
  });

  it('exports the connector counters: reports, tags, bad tag reports, reconnects, keepalives', async () => {
    sim = await startLlrpSimulator({ seed: 4, reportEveryTags: 2 });
    const g = await gatewayOn(sim, { keepaliveMs: 100, reconnect: { initialMs: 20, maxMs: 100 } });
    await sim.waitActive();
    const port = g.httpPort!;
    const m = (name: string) => `coldtrace_gateway_llrp_${name}`;
    await sim.pass(
      [1, 2, 3].map((i) => ({ epc: sgtin96(614141, 812345, 100 + i), direction: 'in' as const })),
      { durationMs: 400 },
    );
    // A report whose second TagReportData is malformed (an unknown TV type) inside intact framing.
    const bad = encodeRoAccessReport(77, [read(1), read(2), read(3)]);
    bad[10 + bad.readUInt16BE(12) + 4] = 0x80 | 127;
    sim.inject.garbage(bad);
    let s = await until(async () => {
      const x = await readerMetrics(port, 'dock-1-reader');
      return x.get(m('bad_tag_reports_total')) === 1 && (x.get(m('keepalives_total')) ?? 0) >= 1
        ? x
        : undefined;
    }, 'the bad tag report and a keepalive counted');
    // Every report and read the reader sent (the good two of the bad report too) is counted.
    expect(s.get(m('reports_total'))).toBe(sim.stats.reportsSent + 1);
    expect(s.get(m('tags_total'))).toBe(sim.stats.tagsReported + 2);
    expect(s.get(m('reconnects_total'))).toBe(0);
    expect(s.get(m('protocol_errors_total'))).toBe(1);

    sim.inject.drop();
    s = await until(async () => {
      const x = await readerMetrics(port, 'dock-1-reader');
      return x.get(m('reconnects_total')) === 1 ? x : undefined;
    }, 'the reconnect counted');
    await until(() => sim!.stats.connections === 2, 'reconnected');
  });
});
