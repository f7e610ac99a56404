import { ColdtraceError, gtinOf } from '@coldtrace/shared';
import type { AuditInput } from './audit-chain.js';

const EPC_HEX = /^[0-9A-F]{8,64}$/;

/**
 * The EPCs to commission to `lot` (docs/architecture.md "Master data"), upper-case hex, each once. Every
 * one must be 8–64 hex digits, and an SGTIN must carry the lot's GTIN; throws `invalid` otherwise.
 */
export function epcsToCommission(lot: { id: string; gtin: string }, epcs: readonly string[]): string[] {
  const norm = [...new Set(epcs.map((e) => e.toUpperCase()))];
  for (const e of norm) {
    if (!EPC_HEX.test(e))
      throw new ColdtraceError('invalid', `EPC ${JSON.stringify(e)} is not 8–64 hex digits`);
    const gtin = gtinOf(e);
    if (gtin !== null && gtin !== lot.gtin) {
      throw new ColdtraceError(
        'invalid',
        `EPC ${e} encodes GTIN ${gtin}, but lot ${lot.id} is GTIN ${lot.gtin}`,
      );
    }
  }
  return norm;
}

/**
 * What commissioning `epcs` (from `epcsToCommission`) to lot `lotId` changes, given the lots they are
 * already commissioned to (`existing`: EPC → lot id): EPCs cannot move between lots (`conflict`), those
 * already in this lot change nothing, the others are added with one audit entry.
 */
export function commissioningChange(
  lotId: string,
  epcs: readonly string[],
  existing: ReadonlyMap<string, string>,
  actor: string,
): { fresh: string[]; audit: AuditInput[] } {
  const other = [...existing].find(([, l]) => l !== lotId);
  if (other)
    throw new ColdtraceError('conflict', `EPC ${other[0]} is already commissioned to lot ${other[1]}`);
  const fresh = epcs.filter((e) => !existing.has(e));
  const audit: AuditInput[] = fresh.length
    ? [
        {
          actor,
          action: 'epcs.commissioned',
          entityType: 'lot',
          entityId: lotId,
          after: { epcs: fresh },
          reason: `${fresh.length} EPC(s) commissioned`,
        },
      ]
    : [];
  return { fresh, audit };
}
