import { describe, expect, it } from 'vitest';
import { type Scan, scanSchema } from '../../src/barcode/scan-record.js';
import { decodeGatewayPayload, encodeGatewayPayload } from '../../src/contract.js';

const T = Date.UTC(2026, 11, 6, 9);
const scan: Scan = {
  seq: 2,
  kind: 'scan',
  stationId: 'dock-1',
  locationId: 'receiving',
  direction: 'receiving',
  ts: T,
  code: '+A99912345/$$52001510X33',
  format: 'hibc',
  gtin: null,
  sscc: null,
  hibc: 'A99912345',
  lot: '10X3',
  serial: null,
  expiry: '2020-01-15',
};
const pass = {
  seq: 1,
  epc: '3034257BF7194E4000001A85',
  portalId: 'door-1',
  kind: 'pass',
  from: 'a',
  to: 'b',
  direction: 'in',
  ts: T,
  firstSeen: T,
  lastSeen: T,
  reads: 3,
  peakRssi: -50,
};
const batch = (records: unknown[]) =>
  JSON.stringify({ gatewayId: 'gw-1', firstSeq: 1, lastSeq: records.length, sentAt: T, records });

describe('scan records on the movements stream (wire contract)', () => {
  it('a movements batch carries RFID passes and scans in one sequence', () => {
    const out = decodeGatewayPayload('movements', 'gw-1', batch([pass, scan]));
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.value.records.map((r) => r.kind)).toEqual(['pass', 'scan']);
    expect(encodeGatewayPayload('movements', JSON.parse(batch([pass, scan])))).toBe(batch([pass, scan]));
  });

  it.each([
    ['no identifier', { gtin: null, hibc: null }, 'a scan identifies a GTIN, an SSCC or an HIBC device'],
    ['a direction of another kind', { direction: 'in' }, 'records.1.direction'],
    ['an impossible expiry', { expiry: '2026-13-01' }, 'records.1.expiry: must be YYYY-MM-DD'],
    ['a GTIN of 13 digits', { gtin: '9521234543213' }, 'records.1.gtin'],
    ['an empty code', { code: '' }, 'records.1.code'],
    ['an unknown field', { note: 'x' }, 'records.1'],
  ])('refuses a scan with %s (schema_violation)', (_what, change, reason) => {
    const out = decodeGatewayPayload('movements', 'gw-1', batch([pass, { ...scan, ...change }]));
    expect(out).toMatchObject({ ok: false, code: 'schema_violation' });
    expect((out as { reason: string }).reason).toContain(reason);
  });

  it('an unknown record kind names the kinds there are', () => {
    const out = decodeGatewayPayload('movements', 'gw-1', batch([{ ...pass, kind: 'teleport' }]));
    expect((out as { reason: string }).reason).toContain("'pass' | 'presence' | 'scan'");
  });

  it('the raw code keeps FNC1 and the symbology identifier', () => {
    const code = ']d20109521234543213\u001d10ABC';
    expect(
      scanSchema.parse({ ...scan, code, format: 'gs1-element-string', gtin: '09521234543213', hibc: null })
        .code,
    ).toBe(code);
  });
});
