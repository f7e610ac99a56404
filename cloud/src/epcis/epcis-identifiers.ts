import { ColdtraceError, decodeEpc, isDecodedEpc } from '@coldtrace/shared';
import type { EpcisLocation } from './epcis-input.js';

/**
 * EPC hex → URI for an EPCIS `epcList`. A decodable EPC gives its pure-identity URI
 * (`urn:epc:id:sgtin:…`, GS1 TDS 2.x §6); anything else (unknown header, bad length, reserved partition)
 * gives the TDS raw tag URI `urn:epc:raw:<bits>.x<HEX>` (GS1 TDS 2.x §12.4), which keeps the
 * uncommissioned/undecodable tag traceable without inventing an identity for it.
 */
export function epcUri(hex: string): string {
  const d = decodeEpc(hex);
  if (isDecodedEpc(d) && d.pureIdentityUri) return d.pureIdentityUri;
  const clean = String(hex).trim().toUpperCase();
  if (!/^[0-9A-F]+$/.test(clean)) {
    throw new ColdtraceError('invalid', `EPC ${JSON.stringify(hex)} is not hexadecimal`);
  }
  return `urn:epc:raw:${clean.length * 4}.x${clean}`;
}

/**
 * Base of the private identifiers (locations without a GLN, portals, sensors) when the cloud config sets no
 * `epcis.baseUri`: stable whatever host, port or proxy the cloud is reached through. `.invalid` (RFC 2606)
 * never resolves; set `epcis.baseUri` to the cloud's public API base to make the identifiers resolvable.
 */
export const DEFAULT_EPCIS_BASE_URI = 'https://coldtrace.invalid/api/v1';

/** GS1 General Specifications §7.9.1: mod-10 check digit over the first 12 digits of a GLN. */
export function isValidGln(gln: string): boolean {
  if (!/^\d{13}$/.test(gln)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(gln[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10 === Number(gln[12]);
}

/** GS1 AI 254 (GLN extension): 1-20 characters of GS1 AI encodable character set 82. */
const GLN_EXTENSION = /^[!%-?A-Z_a-z"]{1,20}$/;

export class EpcisUris {
  private readonly base: string;

  constructor(baseUri: string) {
    let url: URL;
    try {
      url = new URL(baseUri);
    } catch {
      throw new ColdtraceError('invalid', `EPCIS base URI ${JSON.stringify(baseUri)} is not an absolute URI`);
    }
    this.base = url.toString().replace(/\/+$/, '');
  }

  /**
   * readPoint / bizLocation identifier. With a GLN: its GS1 Digital Link URI
   * (`https://id.gs1.org/414/<GLN>[/254/<ext>]`, GS1 Digital Link 1.2 §4; EPCIS 2.0 §8.4 accepts Web
   * URIs), which needs no company-prefix length (an SGLN URN would). Without: a private URI under the
   * cloud's own API (`<base>/locations/<id>`), which resolves to the location's master data.
   */
  location(loc: EpcisLocation | undefined, id: string): string {
    const gln = loc?.gln ?? null;
    if (gln === null || gln === '') return `${this.base}/locations/${encodeURIComponent(id)}`;
    if (!isValidGln(gln)) {
      throw new ColdtraceError(
        'invalid',
        `location ${id}: GLN ${JSON.stringify(gln)} is not 13 digits with a valid check digit`,
      );
    }
    const ext = loc?.glnExtension ?? null;
    if (ext === null || ext === '') return `https://id.gs1.org/414/${gln}`;
    if (!GLN_EXTENSION.test(ext)) {
      throw new ColdtraceError(
        'invalid',
        `location ${id}: GLN extension ${JSON.stringify(ext)} is not valid for AI 254`,
      );
    }
    return `https://id.gs1.org/414/${gln}/254/${encodeURIComponent(ext)}`;
  }

  /** readPoint of a pass: the RFID portal (a private URI; portals carry no GLN). */
  portal(id: string): string {
    return `${this.base}/portals/${encodeURIComponent(id)}`;
  }

  /** readPoint of a scan: the barcode scan station (a private URI). */
  scanStation(id: string): string {
    return `${this.base}/scan-stations/${encodeURIComponent(id)}`;
  }

  /** `sensorMetadata.deviceID` of a sensor. */
  sensor(id: string): string {
    return `${this.base}/sensors/${encodeURIComponent(id)}`;
  }
}
