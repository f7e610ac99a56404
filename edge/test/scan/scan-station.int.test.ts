import { join } from 'node:path';
import { type SocatPair, socatMissing, startSocatPair } from '@coldtrace/firmware-sim';
import { until } from '@coldtrace/shared/testing';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScanStationModule } from '../../src/scan/scan-station-module.js';
import { scrape } from '../modbus/metrics-text.js';
import { scanRig } from './scan-rig.js';

// A real gateway (SQLite buffer, publisher, aedes) with a scan station on a socat pseudo-terminal: the test
// writes what a serial scanner sends into the other end of the pair.
const skip = socatMissing();
if (skip) console.warn(`[skip] scan station on a pseudo-terminal: ${skip}`);

const rig = scanRig();
afterEach(() => rig.close());

async function scanner(path: string) {
  const port = new SerialPort({ path, baudRate: 9600 });
  await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
  rig.onClose(() => new Promise((r) => (port.isOpen ? port.close(() => r(undefined)) : r(undefined))));
  return (text: string) =>
    new Promise<void>((resolve, reject) =>
      port.write(text, (e) => (e ? reject(e) : port.drain(() => resolve()))),
    );
}

async function gatewayWithStation(dir: string, station: Record<string, unknown> = {}) {
  const { gw, sub, scans } = await rig.start({
    scanStations: [
      {
        id: 'dock-1',
        path: join(dir, 'ttyGW'),
        locationId: 'receiving-bay',
        direction: 'receiving',
        reopenMs: 50,
        ...station,
      },
    ],
  });
  const mod = gw.modules.find((m) => m.name === 'scan:dock-1') as ScanStationModule;
  return { gw, mod, sub, scans };
}

describe.skipIf(skip !== null)('scan station on a serial scanner (pseudo-terminal)', () => {
  it('stores each code as a scan on the movements stream; a bad code is refused, counted, and the next one read', async () => {
    const dir = rig.dir();
    const pair: SocatPair = await startSocatPair(join(dir, 'ttyGW'), join(dir, 'ttySCAN'));
    rig.onClose(() => pair.stop());
    const { gw, mod, scans, sub } = await gatewayWithStation(dir);
    await until(() => mod.report().deviceOpen, 'the scanner device open');
    const write = await scanner(pair.simPath);

    await write(']d2010952123454321317270600\u001d10LOT-7\r\n');
    await write(']d20109521234543214\r\n'); // wrong check digit
    await write('+A99912345/$$52001510X33\r\n');
    await until(() => scans().length >= 2, 'two scans published');

    expect(scans()).toMatchObject([
      {
        seq: 1,
        kind: 'scan',
        stationId: 'dock-1',
        locationId: 'receiving-bay',
        direction: 'receiving',
        code: ']d2010952123454321317270600\u001d10LOT-7',
        gtin: '09521234543213',
        lot: 'LOT-7',
        expiry: '2027-06-30',
      },
      {
        seq: 2,
        kind: 'scan',
        format: 'hibc',
        hibc: 'A99912345',
        lot: '10X3',
        expiry: '2020-01-15',
        gtin: null,
      },
    ]);
    expect(mod.report()).toMatchObject({ scans: 2, refused: { barcode_check_digit: 1 } });
    expect(sub.invalid).toEqual([]);
    const metrics = await scrape(gw.httpPort!);
    expect(metrics.get('coldtrace_gateway_scans_total{station="dock-1"}')).toBe(2);
    expect(
      metrics.get('coldtrace_gateway_scans_refused_total{station="dock-1",code="barcode_check_digit"}'),
    ).toBe(1);
    expect(metrics.get('coldtrace_gateway_scan_device_open{station="dock-1"}')).toBe(1);
  });

  it('opens a scanner plugged in after the gateway started, and again after it was unplugged', async () => {
    const dir = rig.dir();
    const { mod, scans } = await gatewayWithStation(dir);
    // Precondition: no device yet, so the station cannot be open.
    await until(() => mod.report().lastError?.includes('cannot open'), 'the failed open reported');
    expect(mod.report().deviceOpen).toBe(false);

    let pair = await startSocatPair(join(dir, 'ttyGW'), join(dir, 'ttySCAN'));
    await until(() => mod.report().deviceOpen, 'the scanner device open');
    await pair.stop();
    await until(() => !mod.report().deviceOpen, 'the unplugged device seen closed');

    pair = await startSocatPair(join(dir, 'ttyGW'), join(dir, 'ttySCAN'));
    rig.onClose(() => pair.stop());
    await until(() => mod.report().deviceOpen, 'the scanner device open again');
    const write = await scanner(pair.simPath);
    await write(']C100106141411234567897\r');
    await until(() => scans().length === 1, 'the scan published');
    expect(scans()[0]).toMatchObject({ sscc: '106141411234567897', gtin: null, hibc: null });
  });
});
