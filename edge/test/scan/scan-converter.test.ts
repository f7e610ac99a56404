import { describe, expect, it } from 'vitest';
import { convertScanLine, type HibcPending } from '../../src/scan/scan-converter.js';

const T = Date.UTC(2026, 11, 6, 10);
const station: Parameters<typeof convertScanLine>[1] = {
  id: 'dock-1',
  locationId: 'receiving-bay',
  direction: 'receiving',
  symbologyId: 'auto',
  fnc1As: undefined,
  hibcPairMs: 60_000,
};
const convert = (line: string, over: Partial<typeof station> = {}, pending?: HibcPending, now = T) =>
  convertScanLine(line, { ...station, ...over }, now, pending);

describe('scan converter (line → scan record)', () => {
  it('makes a GS1 DataMatrix into a scan record at the station, with the raw code', () => {
    const code = ']d2010952123454321317270600\u001d10LOT-7\u001d21S123';
    expect(convert(code).outcome).toMatchObject({
      ok: true,
      record: {
        kind: 'scan',
        stationId: 'dock-1',
        locationId: 'receiving-bay',
        direction: 'receiving',
        ts: T,
        code,
        format: 'gs1-element-string',
        gtin: '09521234543213',
        sscc: null,
        hibc: null,
        lot: 'LOT-7',
        serial: 'S123',
        expiry: '2027-06-30',
      },
    });
  });

  it('reads FNC1 sent as another character (fnc1As) and keeps GS in the recorded code', () => {
    const out = convert(']C1010952123454321310A1~21B2', { fnc1As: '~' }).outcome;
    expect(out).toMatchObject({
      ok: true,
      record: { lot: 'A1', serial: 'B2', code: ']C1010952123454321310A1\u001d21B2' },
    });
  });

  it('with symbologyId required, refuses a code without an AIM identifier', () => {
    expect(convert('0109521234543213', { symbologyId: 'required' }).outcome).toMatchObject({
      ok: false,
      code: 'barcode_unsupported',
    });
    expect(convert('0109521234543213').outcome).toMatchObject({
      ok: true,
      record: { gtin: '09521234543213' },
    });
  });

  it('refuses what identifies no item (a lot alone) and what cannot be read, with their codes', () => {
    expect(convert(']d210LOT1').outcome).toMatchObject({ ok: false, code: 'barcode_unsupported' });
    expect(convert(']d20109521234543214').outcome).toMatchObject({ ok: false, code: 'barcode_check_digit' });
    expect(convert('+A123BJC5D6E71X').outcome).toMatchObject({ ok: false, code: 'hibc_check_character' });
  });

  it('pairs a two-symbol HIBC label: the secondary takes the primary it links to', () => {
    const first = convert('+A123BJC5D6E71G');
    expect(first.outcome).toMatchObject({ ok: true, record: { hibc: 'A123BJC5D6E71', lot: null } });
    expect(first.pending).toEqual({ di: 'A123BJC5D6E71', check: 'G', at: T });
    const second = convert('+$$52001510X3GD', {}, first.pending, T + 5000);
    expect(second.outcome).toMatchObject({
      ok: true,
      record: { hibc: 'A123BJC5D6E71', lot: '10X3', expiry: '2020-01-15', format: 'hibc' },
    });
    expect(second.pending).toBeUndefined();
  });

  it('refuses a lone HIBC secondary: no primary, another primary, or its primary too long ago', () => {
    const pending = { di: 'A123BJC5D6E71', check: 'G', at: T };
    expect(convert('+$$52001510X3GD', {}, undefined).outcome).toMatchObject({
      ok: false,
      code: 'hibc_unlinked_secondary',
    });
    expect(convert('+$$52001510X3GD', {}, { ...pending, check: 'Q' }).outcome).toMatchObject({
      ok: false,
      code: 'hibc_unlinked_secondary',
    });
    expect(convert('+$$52001510X3GD', {}, pending, T + 60_001).outcome).toMatchObject({
      ok: false,
      code: 'hibc_unlinked_secondary',
    });
    expect(convert('+$$52001510X3GD', {}, pending, T + 60_000).outcome).toMatchObject({ ok: true });
  });
});
