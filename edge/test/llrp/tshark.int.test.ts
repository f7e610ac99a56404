import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgtin96, startLlrpSimulator } from '@coldtrace/firmware-sim';
import type { TagRead } from '@coldtrace/shared/llrp';
import { MessageType, ParamType, RESPONSE_OF, ROSpecEventType } from '@coldtrace/shared/llrp';
import {
  type DissectedMessage,
  dissectCapture,
  fieldValues,
  malformedFrames,
  startCapture,
  tlvParams,
  tsharkUnavailable,
  until,
} from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { LlrpReaderConnector } from '../../src/llrp/connector.js';

const reason = tsharkUnavailable();
if (reason) console.warn(`[skip] LLRP tshark capture test: ${reason}`);

/** Per TagReportData of a message, in order: EPC (hex, upper case), AntennaID, PeakRSSI (signed), FirstSeen µs. */
function tagReports(m: DissectedMessage) {
  const asArray = (x: unknown): Record<string, unknown>[] =>
    x === undefined ? [] : Array.isArray(x) ? x : [x as Record<string, unknown>];
  return asArray(m.tree['llrp.param'])
    .filter((p) => p['llrp.tlv_type'] === '240')
    .map((trd) => {
      const sub = asArray(trd['llrp.param']);
      const tv = (t: string, key: string) => sub.find((x) => x['llrp.tv_type'] === t)?.[key];
      const epc = tv('13', 'llrp.param.epc') as string | undefined;
      const ant = tv('1', 'llrp.antenna_id');
      const rssi = tv('6', 'llrp.param.peak_rssi');
      const first = tv('2', 'llrp.param.microseconds');
      return {
        epc: epc ? epc.replaceAll(':', '').toUpperCase() : '',
        antennaId: ant === undefined ? null : Number(ant),
        // The dissector shows the signed PeakRSSI byte as unsigned.
        peakRssi: rssi === undefined ? null : (Number(rssi) << 24) >> 24,
        firstSeenUs: first === undefined ? null : Number(first),
      };
    });
}

describe.skipIf(reason !== null)('LLRP session as dissected by Wireshark (tshark)', () => {
  it('has no malformed packets; every tag report, antenna and message ID matches both ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llrp-cap-'));
    const file = join(dir, 'session.pcapng');
    const sim = await startLlrpSimulator({ seed: 42, keepaliveMs: 300, reportEveryTags: 2 });
    const cap = await startCapture(sim.port, file);
    const decoded: TagRead[] = [];
    const received: [number, number][] = [];
    const c = new LlrpReaderConnector({
      host: '127.0.0.1',
      port: sim.port,
      connectTimeoutMs: 3000,
      keepaliveMs: 300,
      responseTimeoutMs: 2000,
      reconnect: { initialMs: 100, maxMs: 1000 },
      factoryReset: false,
      radio: {
        txPowerDbm: 20,
        rfMode: 2,
        session: 1,
        tagPopulation: 50,
        searchMode: 'dual-target', // the simulator says it is an Impinj reader
        antennas: { '3': { txPowerDbm: 15 }, '4': { rxSensitivityDb: 10 } },
      },
      rospecId: 7,
      antennas: [1, 2, 3, 4],
      reportEveryTags: 2,
      onTags: (r) => decoded.push(...r),
      onMessage: (type, id) => received.push([type, id]),
    });
    try {
      c.start();
      await sim.waitActive();
      const epcs = Array.from({ length: 10 }, (_, i) => sgtin96(614141, 812345, 500 + i));
      await sim.pass(
        epcs.map((epc, i) => ({ epc, direction: i % 2 ? 'out' : 'in' })),
        { durationMs: 800 },
      );
      await until(
        () => decoded.length === sim.stats.tagsReported && sim.stats.keepaliveAcks >= 2,
        'every tag report and two keepalives answered',
      );
      await c.stop();
      await until(() => cap.summaries().includes('Close Connection Response'), 'the close captured');
    } finally {
      await cap.stop();
      await sim.close();
    }
    const malformed = malformedFrames(file, sim.port);
    const wire = dissectCapture(file, sim.port);
    if (!process.env['LLRP_KEEP_CAPTURE']) rmSync(dir, { recursive: true, force: true });
    else console.log(file);
    expect(malformed).toBe(''); // zero malformed packets, no expert errors

    const fromSim = wire.filter((m) => m.srcPort === sim.port);
    const fromGw = wire.filter((m) => m.srcPort !== sim.port);
    expect(fromSim.length).toBeGreaterThan(0);
    // The gateway decoded exactly the messages (type and message ID, in order) that Wireshark saw it receive.
    expect(received).toEqual(fromSim.map((m) => [m.type, m.id]));
    // … which are the IDs the simulator says it sent.
    expect(fromSim.map((m) => m.id)).toEqual(sim.stats.sentIds);
    // Every TagReportData, in order, on every frame: EPC, antenna, RSSI and first-seen time match.
    const wireReports = fromSim.flatMap(tagReports);
    expect(wireReports.length).toBe(sim.stats.tagsReported);
    expect(wireReports).toEqual(
      decoded.map((d) => ({
        epc: d.epc,
        antennaId: d.antennaId,
        peakRssi: d.peakRssi,
        firstSeenUs: d.firstSeenUs,
      })),
    );
    expect(new Set(wireReports.map((r) => r.antennaId))).toEqual(new Set([1, 2, 3, 4]));
    // Every response from the reader echoes the ID of the gateway request it answers (LLRP 1.0.1 §16.1).
    const requests = new Map(
      fromGw.filter((m) => RESPONSE_OF[m.type] !== undefined).map((m) => [m.id, m.type]),
    );
    const responses = fromSim.filter((m) => ![61, 62, 63].includes(m.type));
    expect(responses.length).toBe(requests.size);
    for (const r of responses)
      expect(RESPONSE_OF[requests.get(r.id)!], `response ${r.type} id ${r.id}`).toBe(r.type);
    // KEEPALIVE_ACKs echo the keepalive IDs.
    const keepaliveIds = fromSim.filter((m) => m.type === 62).map((m) => m.id);
    expect(keepaliveIds.length).toBeGreaterThan(0);
    expect(fromGw.filter((m) => m.type === 72).map((m) => m.id)).toEqual(keepaliveIds);
    // The radio settings, per antenna in the ROSpec (LLRP 1.0.1 §16.2.6.6), as Wireshark reads them.
    const add = fromGw.find((m) => m.type === MessageType.ADD_ROSPEC)!;
    const field = (node: unknown, name: string) => fieldValues(node, name).join(',');
    const fields = ['llrp.antenna_id', 'llrp.param.transmit_power', 'llrp.param.receiver_sense'].concat([
      'llrp.param.mode_idx',
      'llrp.param.session',
      'llrp.param.tag_population',
      // Impinj Octane LLRP ImpinjInventorySearchMode in C1G2InventoryCommand: vendor 25882, subtype 23.
      'llrp.param.vendor_id',
      'llrp.param.impinj_param_type',
      'llrp.param.impinj_search_mode',
    ]);
    expect(
      tlvParams(add.tree, ParamType.AntennaConfiguration).map((ac) => fields.map((f) => field(ac, f))),
    ).toEqual([
      ['1', '41', '', '2', '1', '50', '25882', '23', '2'], // 20.00 dBm is power level 41 of the table
      ['2', '41', '', '2', '1', '50', '25882', '23', '2'], // search mode 2: Dual_Target
      ['3', '21', '', '2', '1', '50', '25882', '23', '2'], // 15.00 dBm
      ['4', '41', '2', '2', '1', '50', '25882', '23', '2'], // 10 dB is receive sensitivity index 2
    ]);
    // Impinj extensions enabled before the configuration (Impinj Octane LLRP IMPINJ_ENABLE_EXTENSIONS,
    // CUSTOM_MESSAGE vendor 25882 subtype 21), answered with subtype 22 and success.
    const enable = fromGw.filter((m) => m.type === MessageType.CUSTOM_MESSAGE);
    expect(enable.map((m) => [m.values('llrp.vendor'), m.values('llrp.impinj.type')])).toEqual([
      [['25882'], ['21']],
    ]);
    expect(fromGw.indexOf(enable[0]!)).toBeLessThan(
      fromGw.findIndex((m) => m.type === MessageType.SET_READER_CONFIG),
    );
    const enabled = fromSim.find((m) => m.type === MessageType.CUSTOM_MESSAGE && m.id === enable[0]!.id)!;
    expect([enabled.values('llrp.impinj.type'), enabled.values('llrp.param.status_code')]).toEqual([
      ['22'],
      ['0'],
    ]);
    // The reader was configured without RestoreFactorySettings (factoryReset: false).
    const set = fromGw.filter((m) => m.type === MessageType.SET_READER_CONFIG);
    expect(set.map((m) => m.values('llrp.rest_fact'))).toEqual([['0']]);
    // A clean stop: STOP_ROSPEC and DELETE_ROSPEC of ROSpec 7, then CLOSE_CONNECTION, each answered with
    // success; the reader announced the ROSpec's start and its end.
    const stop = fromGw.slice(-3);
    expect(stop.map((m) => [m.type, m.values('llrp.rospec')])).toEqual([
      [MessageType.STOP_ROSPEC, ['7']],
      [MessageType.DELETE_ROSPEC, ['7']],
      [MessageType.CLOSE_CONNECTION, []],
    ]);
    for (const req of stop) {
      const resp = fromSim.find((m) => m.id === req.id && m.type === RESPONSE_OF[req.type])!;
      expect(resp.values('llrp.param.status_code'), `response to ${req.type}`).toEqual(['0']);
    }
    const rospecEvents = fromSim.flatMap((m) =>
      m.values('llrp.param.roevent_type').map((t) => [t, m.values('llrp.param.rospec_id')[0]]),
    );
    expect(rospecEvents).toEqual([
      [String(ROSpecEventType.StartOfROSpec), '7'],
      [String(ROSpecEventType.EndOfROSpec), '7'],
    ]);
  });
});
