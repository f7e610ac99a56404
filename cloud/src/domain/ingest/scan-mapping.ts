import { createHash } from 'node:crypto';
import { decodeEpc, isDecodedEpc, type Scan, sgtinCandidates, sgtinOfScan } from '@coldtrace/shared';
import type { AuditInput } from '../audit-chain.js';
import type { LotFields, StoredLot } from '../lot-change.js';
import { masterDataAudit } from '../master-data-audit.js';
import { call, type Plan } from './ingest-store.js';

/**
 * How ingest maps barcode scans (cloud config `ingest.scans`, docs/barcode.md "Scans in the cloud").
 * `createLots`: a code naming a lot master data does not have creates it (its product must be registered and
 * the code must carry the expiry); off by default, so a typo on a label never becomes a lot.
 * `companyPrefixes`: GS1 company prefixes of the products scanned, for GTINs of which no tag is
 * commissioned yet (an SGTIN's partition is the prefix's length, which a GTIN alone does not tell).
 * `hibcGtins`: HIBC device identifier (LIC + product + unit of measure) → the product's GTIN, consulted
 * after the `hibc_links` master data (docs/barcode.md "HIBC"): a link in the table wins.
 */
export interface ScanMappingOptions {
  createLots: boolean;
  companyPrefixes: readonly string[];
  hibcGtins: Readonly<Record<string, string>>;
  /**
   * A dead letter's replay: a scan that still cannot be mapped fails the batch (`ColdtraceError` with the
   * scan's code, nothing stored) instead of becoming another dead letter.
   */
  strict?: boolean | undefined;
}

export const DEFAULT_SCAN_MAPPING: ScanMappingOptions = {
  createLots: false,
  companyPrefixes: [],
  hibcGtins: {},
};

/** What the code says that master data contradicts (shared/src/error-codes.ts). */
export type ScanFlagCode =
  | 'scan_lot_mismatch'
  | 'scan_expiry_mismatch'
  | 'scan_expired_received'
  | 'scan_lot_unknown';

/** Why a scan cannot be mapped: it becomes a dead letter of its own (replayable). */
export type ScanDeadLetterCode =
  | 'scan_unmapped'
  | 'scan_hibc_unlinked'
  | 'scan_company_prefix_unknown'
  | 'scan_lot_unknown';

export interface ScanFlag {
  code: ScanFlagCode;
  detail: string;
}

export type ScanOutcome =
  /** A serialised unit: custody by its EPC (a `movements` row of kind `scan`), bound to `lotId` if known. */
  | { kind: 'unit'; epc: string; lotId: string | null; flags: ScanFlag[] }
  /** A unit without a serial: counted in its lot at the station's location (quantity custody). */
  | { kind: 'quantity'; lotId: string; flags: ScanFlag[] }
  | { kind: 'dead_letter'; code: ScanDeadLetterCode; reason: string };

/** receiving and putaway bring a unit in at the station's location; dispatch and picking take it out. */
export const scanGoesIn = (s: Pick<Scan, 'direction'>) =>
  s.direction === 'receiving' || s.direction === 'putaway';

/** The id of a lot created from a scan: `lot-<gtin>-<lot number>`, hashed when the number has other characters. */
export function scanLotId(gtin: string, lotNumber: string): string {
  if (/^[A-Za-z0-9._:-]{1,20}$/.test(lotNumber)) return `lot-${gtin}-${lotNumber}`;
  return `lot-${gtin}-h${createHash('sha256').update(lotNumber).digest('hex').slice(0, 16)}`;
}

const dead = (code: ScanDeadLetterCode, reason: string): ScanOutcome => ({
  kind: 'dead_letter',
  code,
  reason,
});

/** The longest configured company prefix the GTIN (after its indicator digit) starts with. */
function prefixLength(gtin: string, prefixes: readonly string[]): number | null {
  let best: number | null = null;
  for (const p of prefixes)
    if (gtin.slice(1).startsWith(p) && (best === null || p.length > best)) best = p.length;
  return best;
}

/**
 * docs/barcode.md "Scans in the cloud": maps one scan, inside the ingest transaction (reads and writes of
 * master data through the `IngestStore` port). The unit's identity is the SGTIN of its GTIN + serial: an EPC
 * ingest already knows with that GTIN + serial whatever its partition and filter (a commissioned one before
 * one only seen in movements), else the SGTIN-96 (or -198) with the company prefix length and filter of the GTIN's commissioned
 * tags, or the configured company prefix. The lot comes from the code (created when allowed); a lot the unit
 * is already commissioned to wins, and every contradiction is a flag. The writes of master data it makes
 * (a lot created, a unit commissioned) are audited like an operator's, with actor `system`.
 */
export function* mapScan(scan: Scan, opts: ScanMappingOptions, at: number): Plan<ScanOutcome> {
  let gtin = scan.gtin;
  if (gtin === null && scan.hibc !== null) {
    // The master data first (an operator's link, audited), then the cloud config's links.
    gtin = (yield* call('hibcLinkGtin', scan.hibc)) ?? opts.hibcGtins[scan.hibc] ?? null;
    if (gtin === null) {
      return dead(
        'scan_hibc_unlinked',
        `HIBC device ${scan.hibc} is linked to no GTIN: link it (PUT /api/v1/hibc-links/${scan.hibc}), then replay this dead letter`,
      );
    }
  }
  if (gtin === null) {
    return dead(
      'scan_unmapped',
      `SSCC ${scan.sscc} names a logistic unit, whose contents coldtrace does not know: scan its units`,
    );
  }
  if (scan.serial === null && scan.lot === null) {
    return dead('scan_unmapped', `GTIN ${gtin} without a serial or a lot names neither a unit nor a lot`);
  }
  const flags: ScanFlag[] = [];
  const audit: AuditInput[] = [];
  // The unit's identity first (reads only): nothing is written for a scan that becomes a dead letter.
  let epc: string | null = null;
  if (scan.serial !== null) {
    const candidates = sgtinCandidates(gtin, scan.serial);
    if (candidates.length === 0) {
      return dead('scan_unmapped', `serial ${JSON.stringify(scan.serial)} cannot be an SGTIN serial (AI 21)`);
    }
    const known = yield* call('knownEpcs', candidates);
    epc = known[0] ?? null;
    if (epc === null) {
      const sibling = yield* call('gtinSiblingEpc', gtin);
      const d = sibling === undefined ? undefined : decodeEpc(sibling);
      const fromTag = d && isDecodedEpc(d) && d.companyPrefix ? d : undefined;
      const len = fromTag?.companyPrefix?.length ?? prefixLength(gtin, opts.companyPrefixes);
      if (len === null) {
        return dead(
          'scan_company_prefix_unknown',
          `GTIN ${gtin}: no tag of it is commissioned and no configured company prefix (ingest.scans.companyPrefixes) starts it, so its SGTIN is unknown`,
        );
      }
      epc = sgtinOfScan({
        gtin,
        serial: scan.serial,
        companyPrefixLength: len,
        filter: fromTag?.filter ?? 1,
      });
    }
  }
  // The lot the code names.
  let lot: LotFields | undefined;
  if (scan.lot !== null) {
    lot = yield* call('lotByNumber', gtin, scan.lot);
    if (!lot && opts.createLots && scan.expiry !== null && (yield* call('productExists', gtin))) {
      const row: StoredLot = {
        id: scanLotId(gtin, scan.lot),
        gtin,
        lot_number: scan.lot,
        expiry: scan.expiry,
        created_at: at,
        updated_at: at,
      };
      if (yield* call('insertLot', row)) {
        lot = row;
        audit.push(
          masterDataAudit(
            'lot',
            row.id,
            undefined,
            row,
            'system',
            `created from a scan at station ${scan.stationId}`,
          ),
        );
      }
    }
  }
  if (epc !== null) {
    const bound = yield* call('lotOfEpc', epc);
    if (bound) {
      if (scan.lot !== null && bound.lot_number !== scan.lot) {
        flags.push({
          code: 'scan_lot_mismatch',
          detail: `code says lot ${scan.lot}, the unit is commissioned to lot ${bound.lot_number} (${bound.id})`,
        });
      }
      lot = bound;
    } else if (lot) {
      yield* call('commissionEpc', epc, lot.id, at);
      audit.push({
        actor: 'system',
        action: 'epcs.commissioned',
        entityType: 'lot',
        entityId: lot.id,
        after: { epcs: [epc] },
        reason: `1 EPC(s) commissioned from a scan at station ${scan.stationId}`,
      });
    }
  }
  if (scan.lot !== null && !lot) {
    if (epc === null) {
      return dead(
        'scan_lot_unknown',
        `lot ${scan.lot} of GTIN ${gtin} is not in master data${opts.createLots ? ' and cannot be created (product registered? expiry in the code?)' : ' (ingest.scans.createLots is off)'}`,
      );
    }
    flags.push({ code: 'scan_lot_unknown', detail: `lot ${scan.lot} of GTIN ${gtin} is not in master data` });
  }
  if (lot && scan.expiry !== null && scan.expiry !== lot.expiry) {
    flags.push({
      code: 'scan_expiry_mismatch',
      detail: `code says expiry ${scan.expiry}, lot ${lot.id} expires ${lot.expiry}`,
    });
  }
  const expiry = scan.expiry ?? lot?.expiry ?? null;
  const day = new Date(scan.ts).toISOString().slice(0, 10);
  if (scanGoesIn(scan) && expiry !== null && expiry < day) {
    flags.push({
      code: 'scan_expired_received',
      detail: `expired ${expiry}, scanned in (${scan.direction}) on ${day}`,
    });
  }
  if (audit.length > 0) yield* call('appendAudit', audit, at);
  if (epc !== null) return { kind: 'unit', epc, lotId: lot?.id ?? null, flags };
  return { kind: 'quantity', lotId: lot!.id, flags };
}
