import { ColdtraceError, GS1_FNC1, type ParsedBarcode, parseBarcode } from '@coldtrace/shared';
import type { NewScan } from '../module.js';
import type { ScanStationConfig } from './scan-config.js';

export type ScanOutcome =
  | { ok: true; record: NewScan; parsed: ParsedBarcode }
  | { ok: false; code: string; message: string };

/** An HIBC primary scanned alone, waiting for its secondary (two-symbol HIBC labels). */
export interface HibcPending {
  di: string;
  check: string;
  at: number;
}

/**
 * One scanned line → one scan record (pure: the time and the pending HIBC primary come in, the state
 * to keep goes out). A code that cannot be read is an outcome with its declared error code, never an
 * exception: the station logs and counts it and goes on.
 */
export function convertScanLine(
  line: string,
  station: Pick<
    ScanStationConfig,
    'id' | 'locationId' | 'direction' | 'symbologyId' | 'fnc1As' | 'hibcPairMs'
  >,
  now: number,
  pending: HibcPending | undefined,
): { outcome: ScanOutcome; pending: HibcPending | undefined } {
  const code = station.fnc1As ? line.replaceAll(station.fnc1As, GS1_FNC1) : line;
  try {
    if (station.symbologyId === 'required' && !/^\][A-Za-z][0-9A-Za-z]/.test(code)) {
      throw new ColdtraceError(
        'barcode_unsupported',
        'the scanner sent no AIM symbology identifier (symbologyId: required)',
      );
    }
    const p = parseBarcode(code, { now });
    if (p.gtin === null && p.sscc === null && p.hibc === null && p.hibcLink === undefined) {
      throw new ColdtraceError(
        'barcode_unsupported',
        'the code identifies no GTIN (01), SSCC (00) or HIBC device',
      );
    }
    let hibc = p.hibc;
    let next = pending && now - pending.at <= station.hibcPairMs ? pending : undefined;
    if (p.format === 'hibc' && p.hibcLink !== undefined) {
      // A lone secondary belongs to the primary whose check character is its link character.
      if (!next || next.check !== p.hibcLink) {
        throw new ColdtraceError(
          'hibc_unlinked_secondary',
          `HIBC secondary data (link ${JSON.stringify(p.hibcLink)}) without its primary scanned just before`,
        );
      }
      hibc = next.di;
      next = undefined;
    } else if (p.format === 'hibc' && p.lot === null && p.expiry === null && p.serial === null) {
      next = { di: p.hibc!, check: p.hibcCheck!, at: now };
    } else {
      next = undefined;
    }
    const record: NewScan = {
      kind: 'scan',
      stationId: station.id,
      locationId: station.locationId,
      direction: station.direction,
      ts: now,
      code,
      format: p.format,
      gtin: p.gtin,
      sscc: p.sscc,
      hibc,
      lot: p.lot,
      serial: p.serial,
      expiry: p.expiry,
    };
    return { outcome: { ok: true, record, parsed: p }, pending: next };
  } catch (err) {
    if (!(err instanceof ColdtraceError)) throw err;
    return { outcome: { ok: false, code: err.code, message: err.message }, pending };
  }
}
