import { decodeEpc, isDecodedEpc } from '@coldtrace/shared';
import { type AuditEntryData, describeAuditEntry } from '../domain/audit-summary.js';
import { assessLot } from '../domain/lot-assessment.js';
import { auditEntryView, auditNameLookup } from '../store/audit-trail.js';
import type { DomainStore } from '../store/domain-store.js';
import { lotReads } from '../store/lot-reads.js';
import { lotCustodyMkt } from '../store/queries/lot-custody-mkt.js';
import { fmtTime } from './pdf-text.js';
import type { ReportAuditEntry, ReportDecision, ReportExcursion, ReportLot } from './report-input.js';
import type { ReportDomainData } from './report-source.js';

/** Lock audit entries (one per unit) kept for the annex; the excursion's own entries are all kept. */
const MAX_LOCK_ENTRIES = 1000;
const CHUNK = 500;

/**
 * A unit as people name it: GTIN and serial of its SGTIN (docs/qa-pages.md "Pages"); another
 * scheme by its pure-identity URI, an undecodable EPC by its hex.
 */
export const unitLabel = (epc: string) => {
  const d = decodeEpc(epc);
  if (!isDecodedEpc(d)) return epc;
  if (d.gtin !== undefined && d.serial !== undefined) return `GTIN ${d.gtin} serial ${d.serial}`;
  return d.pureIdentityUri ?? epc;
};

/**
 * `ReportDomainData` over the domain engine (`DomainStore` + `assessLot`), docs/architecture.md "Affected
 * stock and locks" and "Disposition":
 * - lots: per lot with units exposed to this excursion (lock rows not lifted): exposed / still locked by
 *   this excursion / commissioned total, where those units are now (location names), and the lot's
 *   assessment (time outside the product's tolerance over all its excursions vs the stability budget,
 *   MKT). Exposed units commissioned to no lot are named in a note instead (no product, no tolerance).
 * - decisions: the signed dispositions of the excursion (21 CFR 11.50: printed name, meaning, time).
 * - audit: the excursion's own audit entries and those of its units' locks (the latter capped, with a note).
 */
export class DomainReportData implements ReportDomainData {
  constructor(private readonly ds: DomainStore) {}

  private async locksOf(excursionId: string) {
    return (await this.ds.listLocks({ excursionId, limit: 1_000_000 })).filter((l) => l.state !== 'lifted');
  }

  async lots(excursion: ReportExcursion): Promise<ReportLot[]> {
    const locks = await this.locksOf(excursion.id);
    const byLot = new Map<string, typeof locks>();
    for (const l of locks) if (l.lot_id) byLot.set(l.lot_id, [...(byLot.get(l.lot_id) ?? []), l]);
    const where = await this.ds.currentLocations(locks.map((l) => l.epc));
    const names = new Map((await this.ds.store.listLocations()).map((l) => [l.id, l.name]));
    const signed = await this.ds.listDispositions({ excursionId: excursion.id });
    const out: ReportLot[] = [];
    for (const [lotId, rows] of [...byLot.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [lot, a] = await Promise.all([this.ds.getLot(lotId), assessLot(lotReads(this.ds.db), lotId)]);
      if (!lot || !a) continue; // a lot cannot be deleted; defensive only
      const whereNow = new Map<string, number>();
      for (const r of rows) {
        const loc = where.get(r.epc);
        const label = loc ? `${names.get(loc) ?? loc}` : 'unknown';
        whereNow.set(label, (whereNow.get(label) ?? 0) + 1);
      }
      out.push({
        lotId,
        lotNumber: lot.lot_number,
        gtin: lot.gtin,
        productName: a.product?.name ?? '(product not registered)',
        unitsExposed: rows.length,
        unitsLocked: rows.filter((r) => r.state === 'active').length,
        unitsTotal: a.units.total,
        firstLockedAt: rows.length ? Math.min(...rows.map((r) => r.created_at)) : null,
        lastLockedAt: rows.length ? Math.max(...rows.map((r) => r.created_at)) : null,
        decisions: lotDecisions(signed, lotId, new Set(rows.map((r) => r.epc))),
        whereNow: [...whereNow.entries()]
          .sort(([x], [y]) => (x < y ? -1 : 1))
          .map(([location, units]) => ({ location, units })),
        timeOutsideMs: a.timeOutsideMs,
        stabilityBudgetMs: a.product?.stabilityBudgetMs ?? null,
        mktC: a.mktC,
        custodyMktC: await lotCustodyMkt(this.ds.db, lotId),
        toleranceMinC: a.product?.minC ?? null,
        toleranceMaxC: a.product?.maxC ?? null,
      });
    }
    return out;
  }

  async decisions(excursion: ReportExcursion): Promise<ReportDecision[]> {
    const rows = await this.ds.listDispositions({ excursionId: excursion.id });
    // One lot naming on the web and the PDF: the lot number (report sections' `lotName`).
    const numbers = new Map<string, string>();
    for (const id of new Set(rows.flatMap((d) => (d.lot_id ? [d.lot_id] : []))))
      numbers.set(id, (await this.ds.getLot(id))?.lot_number ?? id);
    const lotOf = (id: string | null) => {
      const n = id === null ? undefined : numbers.get(id);
      return n === undefined || n === id ? String(id) : `${n} (${id})`;
    };
    return rows.map((d) => ({
      id: d.id,
      scope:
        d.scope === 'lot'
          ? `lot ${lotOf(d.lot_id)} (${d.units} unit${d.units === 1 ? '' : 's'})`
          : `unit ${unitLabel(d.epc ?? '')}`,
      decision: d.decision,
      reason: d.reason,
      signature: {
        printedName: d.printed_name,
        userId: d.signer_username,
        meaning: d.meaning,
        signedAt: d.signed_at,
      },
      manifestHash: d.manifest_hash ?? null,
      excursionVersion: d.excursion_version,
    }));
  }

  /** Audit entries of the locks of this excursion (entity id `<epc>|<excursion>`, see exposure.ts). */
  private async lockAudit(excursionId: string) {
    const ids = (await this.ds.listLocks({ excursionId, limit: 1_000_000 })).map(
      (l) => `${l.epc}|${excursionId}`,
    );
    const entries = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      entries.push(
        ...(await this.ds.db
          .selectFrom('audit_log')
          .selectAll()
          .where('entity_type', '=', 'lock')
          .where('entity_id', 'in', ids.slice(i, i + CHUNK))
          .execute()),
      );
    }
    return entries.sort((a, b) => a.seq - b.seq);
  }

  async audit(excursion: ReportExcursion): Promise<ReportAuditEntry[]> {
    const own = await this.ds.listAudit({ entityType: 'excursion', entityId: excursion.id, limit: 10_000 });
    const kept = (await this.lockAudit(excursion.id)).slice(0, MAX_LOCK_ENTRIES);
    const rows = [...own, ...kept].sort((a, b) => a.seq - b.seq);
    // The excerpt says what the audit page says of the same entries: one description, one name lookup.
    const data: AuditEntryData[] = rows.map(auditEntryView);
    const names = await auditNameLookup(this.ds.db, data);
    return rows.map((a, i) => {
      const d = describeAuditEntry(data[i]!, names);
      return {
        seq: a.seq,
        at: a.at,
        actor: a.actor,
        action: a.action,
        detail: a.reason,
        actorName: d.actorName,
        summary: d.summary,
        changes: d.changes,
        unit: a.entity_type === 'lock' ? unitLabel(a.entity_id.split('|')[0]!) : null,
      };
    });
  }

  async notes(excursion: ReportExcursion): Promise<string[]> {
    const notes: string[] = [];
    const locks = await this.locksOf(excursion.id);
    const loose = locks.filter((l) => !l.lot_id).map((l) => unitLabel(l.epc));
    if (loose.length) {
      const shown = loose.slice(0, 10).join(', ');
      notes.push(
        `${loose.length} exposed unit(s) are commissioned to no lot (no product tolerance to assess): ${shown}${loose.length > 10 ? ', …' : ''}.`,
      );
    }
    const lockEntries = (await this.lockAudit(excursion.id)).length;
    if (lockEntries > MAX_LOCK_ENTRIES) {
      notes.push(
        `Annex A shows the first ${MAX_LOCK_ENTRIES} of ${lockEntries} per-unit lock entries; the full trail is at GET /api/v1/audit.`,
      );
    }
    return notes;
  }
}

/**
 * The decisions signed on a lot for this excursion, one line each: a decision on the whole lot with its
 * signer and time, and decisions on single units of it counted per decision.
 */
function lotDecisions(
  signed: ReadonlyArray<{
    scope: string;
    lot_id: string | null;
    epc: string | null;
    decision: string;
    printed_name: string;
    signed_at: number;
    units: number;
  }>,
  lotId: string,
  units: ReadonlySet<string>,
): string[] {
  const lines: string[] = [];
  const perUnit = new Map<string, number>();
  for (const d of [...signed].sort((a, b) => a.signed_at - b.signed_at)) {
    if (d.scope === 'lot' && d.lot_id === lotId)
      lines.push(`${d.decision} (${d.units} units) by ${d.printed_name}, ${fmtTime(d.signed_at)}`);
    else if (d.scope === 'epc' && d.epc && units.has(d.epc))
      perUnit.set(d.decision, (perUnit.get(d.decision) ?? 0) + 1);
  }
  for (const [decision, n] of perUnit)
    lines.push(`${decision}: ${n} unit${n === 1 ? '' : 's'} decided one by one`);
  return lines;
}
