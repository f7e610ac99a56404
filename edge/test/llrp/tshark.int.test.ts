import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgtin96 } from '@coldtrace/firmware-sim/llrp/population';
import { startLlrpSimulator } from '@coldtrace/firmware-sim/llrp/simulator';
import { describe, expect, it } from 'vitest';
import { LlrpReaderConnector } from '../../src/llrp/connector.js';
import type { TagRead } from '../../src/llrp/tag-report.js';

/** Why capture is impossible here, or null when tshark can capture on the loopback interface. */
function captureUnavailable(): string | null {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
  } catch {
    return 'tshark is not installed (Debian package `tshark`)';
  }
  try {
    const ifaces = execFileSync('tshark', ['-D'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (!/\blo\b/.test(ifaces)) return 'tshark cannot see the loopback interface (no capture permission?)';
  } catch (err) {
    return `tshark cannot list interfaces: ${(err as Error).message}`;
  }
  return null;
}

const reason = captureUnavailable();
if (reason) console.warn(`[skip] LLRP tshark capture test: ${reason}`);

async function startCapture(port: number, file: string): Promise<ChildProcess> {
  const p = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`tshark did not start: ${err}`)), 15_000);
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Capturing on')) {
        clearTimeout(t);
        // dumpcap announces the interface slightly before packets flow; give it a moment.
        setTimeout(resolve, 1500);
      }
    });
    p.on('exit', (code) => reject(new Error(`tshark exited ${code}: ${err}`)));
  });
  return p;
}

describe.skipIf(reason !== null)('LLRP session as dissected by Wireshark (tshark)', () => {
  it('has no malformed packets, and EPCs, antennas and message IDs match both ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llrp-cap-'));
    const file = join(dir, 'session.pcapng');
    const sim = await startLlrpSimulator({ seed: 42, keepaliveMs: 300, reportEveryTags: 2 });
    const cap = await startCapture(sim.port, file);
    const decoded: TagRead[] = [];
    const c = new LlrpReaderConnector({
      host: '127.0.0.1',
      port: sim.port,
      connectTimeoutMs: 3000,
      keepaliveMs: 300,
      responseTimeoutMs: 2000,
      reconnect: { initialMs: 100, maxMs: 1000 },
      rospecId: 7,
      antennas: [1, 2, 3, 4],
      reportEveryTags: 2,
      onTags: (r) => decoded.push(...r),
    });
    try {
      c.start();
      await sim.waitActive();
      const epcs = Array.from({ length: 10 }, (_, i) => sgtin96(614141, 812345, 500 + i));
      await sim.pass(
        epcs.map((epc, i) => ({ epc, direction: i % 2 ? 'out' : 'in' })),
        { durationMs: 800 },
      );
      await new Promise((r) => setTimeout(r, 700)); // a keepalive or two
      await c.stop();
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      cap.kill('SIGINT');
      await new Promise((r) => cap.on('exit', r));
      await sim.close();
    }
    const fields = execFileSync(
      'tshark',
      [
        '-r',
        file,
        '-d',
        `tcp.port==${sim.port},llrp`,
        '-Y',
        'llrp || _ws.malformed',
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-E',
        'occurrence=a',
        '-E',
        'aggregator=,',
        '-e',
        'tcp.srcport',
        '-e',
        'llrp.type',
        '-e',
        'llrp.id',
        '-e',
        'llrp.param.epc',
        '-e',
        'llrp.antenna_id',
        '-e',
        '_ws.malformed',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (!process.env['LLRP_KEEP_CAPTURE']) rmSync(dir, { recursive: true, force: true });
    else console.log(file);
    const rows = fields
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('|'));
    const list = (s: string | undefined) => (s ? s.split(',').filter(Boolean) : []);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r[5])).toEqual([]); // zero malformed packets
    const fromSim = rows.filter((r) => Number(r[0]) === sim.port);
    const fromGw = rows.filter((r) => Number(r[0]) !== sim.port);
    const simIds = fromSim.flatMap((r) => list(r[2]).map(Number));
    const simTypes = fromSim.flatMap((r) => list(r[1]).map(Number));
    const gwIds = fromGw.flatMap((r) => list(r[2]).map(Number));
    const gwTypes = fromGw.flatMap((r) => list(r[1]).map(Number));
    // What the simulator sent unsolicited (events, keepalives, reports) carries the IDs it allocated, in order.
    expect(simIds.filter((_, i) => [61, 62, 63].includes(simTypes[i]!))).toEqual(
      sim.stats.sentIds.filter((id) => id > 1000),
    );
    // Every response from the reader echoes the ID of a gateway request (LLRP 1.0.1 §16.1).
    const requestIds = new Set(gwIds.filter((_, i) => gwTypes[i] !== 72));
    simIds.forEach((id, i) => {
      if (![61, 62, 63].includes(simTypes[i]!)) expect(requestIds.has(id)).toBe(true);
    });
    // KEEPALIVE_ACKs echo the keepalive IDs.
    const keepaliveIds = simIds.filter((_, i) => simTypes[i] === 62);
    expect(keepaliveIds.length).toBeGreaterThan(0);
    expect(gwIds.filter((_, i) => gwTypes[i] === 72)).toEqual(keepaliveIds);
    // EPCs and antennas in the dissected reports = what the gateway decoded.
    const wireEpcs = fromSim.flatMap((r) => list(r[3]).map((e) => e.toUpperCase()));
    expect(wireEpcs).toEqual(decoded.map((d) => d.epc));
    // Antenna IDs also appear in the capabilities response; take them from report-only segments.
    const reportRows = fromSim.filter((r) => list(r[1]).every((t) => t === '61'));
    const wireAnts = reportRows.flatMap((r) => list(r[4]).map(Number));
    expect(reportRows.flatMap((r) => list(r[3])).length).toBe(wireAnts.length);
    const reportEpcs = reportRows.flatMap((r) => list(r[3]).map((e) => e.toUpperCase()));
    const decodedAnt = new Map<string, number[]>();
    for (const d of decoded) decodedAnt.set(d.epc, [...(decodedAnt.get(d.epc) ?? []), d.antennaId!]);
    const wireAnt = new Map<string, number[]>();
    reportEpcs.forEach((e, i) => {
      wireAnt.set(e, [...(wireAnt.get(e) ?? []), wireAnts[i]!]);
    });
    for (const [e, ants] of wireAnt) expect(decodedAnt.get(e)?.slice(0, ants.length)).toEqual(ants);
    expect(wireAnts.length).toBeGreaterThan(decoded.length / 2);
    expect(decoded.length).toBe(sim.stats.tagsReported);
    expect(gwTypes).toContain(14); // CLOSE_CONNECTION on stop
  });
});
