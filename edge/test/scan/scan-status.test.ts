import { statusSchema } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import type { ScanStationReport } from '../../src/scan/scan-intake.js';
import { scanStateKey, scanStationHealth, scanStatusFields } from '../../src/scan/scan-status.js';

const report = (over: Partial<ScanStationReport> = {}): ScanStationReport => ({
  id: 'dock-1',
  locationId: 'bay',
  direction: 'receiving',
  deviceOpen: false,
  scans: 0,
  refused: {},
  lastError: null,
  deviceError: null,
  lastScanTs: null,
  ...over,
});

describe('scan stations in the gateway status', () => {
  it('tells a closed device from one that failed, whatever codes were refused', () => {
    expect(scanStationHealth(report(), 'serial').state).toBe('closed');
    expect(scanStationHealth(report({ lastError: 'barcode_check_digit: x' }), 'serial').state).toBe('closed');
    expect(scanStationHealth(report({ deviceError: 'EIO', lastError: 'EIO' }), 'serial')).toMatchObject({
      state: 'error',
      lastError: 'EIO',
    });
    expect(scanStationHealth(report({ deviceOpen: true, deviceError: 'old' }), 'page').state).toBe('open');
  });

  it('sends no scan fields without stations or page, and fields the contract accepts with them', () => {
    expect(scanStatusFields({ serial: [] })).toEqual({});
    const fields = scanStatusFields({
      serial: [report({ lastError: 'x'.repeat(800), lastScanTs: 1_700_000_000_000, scans: 2 })],
      page: { stations: [report({ id: 'p-1' })], health: { state: 'stopped', host: '127.0.0.1' } },
    });
    expect(fields.scanStations?.map((s) => [s.stationId, s.source])).toEqual([
      ['dock-1', 'serial'],
      ['p-1', 'page'],
    ]);
    const status = { gatewayId: 'gw-1', state: 'online', ts: 1_700_000_000_000, ...fields };
    expect(statusSchema.safeParse(status).error).toBeUndefined();
  });

  it('changes its state key on a state change, not on counts', () => {
    const key = (r: ScanStationReport) => scanStateKey(scanStatusFields({ serial: [r] }));
    expect(key(report({ scans: 5, refused: { barcode_malformed: 1 } }))).toBe(key(report()));
    expect(key(report({ deviceOpen: true }))).not.toBe(key(report()));
  });
});
