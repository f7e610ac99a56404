import tds from 'epc-tds';
import { ColdtraceError } from '../errors.js';

/** TDS 2.x §14.5.1: an SGTIN-96 serial is a number 0..2^38−1 written without leading zeros. */
const SGTIN96_SERIAL = /^(0|[1-9]\d{0,11})$/;
const SGTIN96_MAX_SERIAL = 2n ** 38n - 1n;
/** GS1 AI encodable character set 82 (GenSpecs Figure 7.11-1), up to 20 characters: AI (21). */
const SERIAL_CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/;

export interface SgtinOfScanInput {
  /** GTIN-14 (check digit not verified here: the barcode parser did). */
  gtin: string;
  /** The AI (21) serial as scanned. */
  serial: string;
  /** Digits of the GS1 company prefix, 6..12 (selects the partition, TDS 2.x Table 14-2). */
  companyPrefixLength: number;
  /** Filter value 0..7 (default 1, point-of-sale trade item, TDS 2.x Table 10-1). */
  filter?: number;
}

/** Whether a serial fits SGTIN-96 (else it needs SGTIN-198). */
export function sgtin96Serial(serial: string): boolean {
  return SGTIN96_SERIAL.test(serial) && BigInt(serial) <= SGTIN96_MAX_SERIAL;
}

/**
 * The EPC (upper-case hex, whole 16-bit words as a Gen2 EPC bank holds it) of the unit a barcode's GTIN +
 * serial identify: SGTIN-96 when the serial fits it, SGTIN-198 otherwise (TDS 2.x §14.5.1, §14.5.2), so a
 * scanned unit and an RFID tag of the same GTIN + serial are one identity. Throws `invalid_epc_input`
 * when the serial is not AI (21) text or the company prefix length is out of range.
 */
export function sgtinOfScan(input: SgtinOfScanInput): string {
  const { gtin, serial, companyPrefixLength: len } = input;
  const filter = input.filter ?? 1;
  const bad = (msg: string) =>
    new ColdtraceError('invalid_epc_input', `sgtin: ${msg}`, { input: { ...input } });
  if (!/^\d{14}$/.test(gtin)) throw bad(`GTIN must be 14 digits, got ${JSON.stringify(gtin)}`);
  if (!Number.isInteger(len) || len < 6 || len > 12)
    throw bad(`company prefix length must be 6..12, got ${len}`);
  if (!Number.isInteger(filter) || filter < 0 || filter > 7) throw bad(`filter must be 0..7, got ${filter}`);
  if (!SERIAL_CSET82.test(serial))
    throw bad(`serial ${JSON.stringify(serial)} is not 1-20 characters of set 82`);
  return encode(gtin, serial, 12 - len, filter, sgtin96Serial(serial) ? 96 : 198);
}

function encode(gtin: string, serial: string, partition: number, filter: number, bits: 96 | 198): string {
  if (bits === 96) {
    const epc = new tds.Sgtin96()
      .setFilter(filter)
      .setPartition(partition)
      .setGtin(gtin)
      .setSerial(Number(serial));
    return epc.toHexString().toUpperCase();
  }
  const epc = new tds.Sgtin198().setFilter(filter).setPartition(partition).setGtin(gtin).setSerial(serial);
  // 198 bits in whole 16-bit words: 208 bits, the padding bits zero (TDS 2.x §15.1.1).
  return epc.toHexString().toUpperCase().padEnd(52, '0');
}

/**
 * Every EPC hex a tag of this GTIN + serial could carry (each company prefix length 6..12 and filter
 * 0..7; SGTIN-198, and SGTIN-96 where the serial fits it): the candidates ingest looks up among the EPCs
 * it knows, so a scan joins the unit a tag already made whatever its scheme, partition and filter. Empty
 * when no SGTIN holds the serial.
 */
export function sgtinCandidates(gtin: string, serial: string): string[] {
  try {
    sgtinOfScan({ gtin, serial, companyPrefixLength: 7 });
  } catch {
    return [];
  }
  const schemes: Array<96 | 198> = sgtin96Serial(serial) ? [96, 198] : [198];
  const out: string[] = [];
  for (const bits of schemes) {
    for (let partition = 0; partition <= 6; partition++) {
      for (let filter = 0; filter <= 7; filter++) out.push(encode(gtin, serial, partition, filter, bits));
    }
  }
  return out;
}
