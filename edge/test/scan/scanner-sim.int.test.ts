import { type ScanLot, scanPopulation, socatMissing, startScannerSimulator } from '@coldtrace/firmware-sim';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScanStationModule } from '../../src/scan/scan-station-module.js';
import { scanRig } from './scan-rig.js';

// The scanner simulator (a pseudo-terminal made by socat) feeding a real gateway's scan station: what an
// operator scanning a tote at a receiving bay produces, misreads and partial reads included.
const skip = socatMissing();
if (skip) console.warn(`[skip] scanner simulator into a gateway: ${skip}`);

const rig = scanRig();
afterEach(() => rig.close());

const lots: ScanLot[] = [
  {
    gtin: '09521234543213',
    lot: 'LOT-A',
    expiry: '2027-06-30',
    serialFrom: 1001,
    units: 15,
    format: 'datamatrix',
  },
  { gtin: '09521234543213', lot: 'LOT-B', expiry: '2027-09-30', units: 3, format: 'gs1-128' },
  {
    hibc: { lic: 'A999', pcn: '1234', uom: '5' },
    lot: '10X3',
    expiry: '2028-01-15',
    serialFrom: 1,
    units: 3,
    format: 'hibc',
  },
];

describe.skipIf(skip !== null)('scanner simulator → gateway scan station', () => {
  it('every good read is one scan record, in order; every misread and partial read is refused and counted', async () => {
    const sim = await startScannerSimulator({ dir: rig.dir(), prefix: '\u0002', suffix: '\r\n' });
    rig.onClose(() => sim.stop());
    const { gw, scans: published } = await rig.start({
      scanStations: [
        {
          id: 'bay-1',
          path: sim.devicePath,
          locationId: 'receiving-bay',
          direction: 'receiving',
          prefix: '\u0002',
          symbologyId: 'required',
          reopenMs: 50,
        },
      ],
    });
    const station = gw.modules.find((m) => m.name === 'scan:bay-1') as ScanStationModule;
    await until(() => station.report().deviceOpen, 'the station opened the simulated scanner');

    const scans = scanPopulation(lots, { misread: 0.2, partial: 0.2 }, 5);
    const good = scans.filter((s) => s.fault === 'none');
    const faulty = scans.length - good.length;
    expect(faulty).toBeGreaterThan(0); // precondition: this seed has faulty reads
    for (const s of scans) await sim.send(s.code);

    await until(() => published().length >= good.length, `${good.length} scans published`);
    expect(
      published().map((r) => ({
        gtin: r.gtin,
        hibc: r.hibc,
        lot: r.lot,
        expiry: r.expiry,
        serial: r.serial,
      })),
    ).toEqual(good.map((s) => s.label));
    expect(published().map((r) => r.seq)).toEqual(good.map((_, i) => i + 1));
    await until(
      () => Object.values(station.report().refused).reduce((a, b) => a + b, 0) === faulty,
      `${faulty} faulty reads refused`,
    );
    expect(station.report().scans).toBe(good.length);
  });
});
