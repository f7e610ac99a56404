import type { Selectable } from 'kysely';
import { lockSubject } from '../domain/locks/lock-subject.js';
import type { DomainStore } from '../store/domain-store.js';
import { epcisClosedHolds, epcisHolds } from '../store/queries/epcis-holds.js';
import type { DomainDatabase } from '../store/schema.js';
import { epcisHoldOf } from './epcis-holds.js';
import type {
  EpcisClosure,
  EpcisCustodyInterval,
  EpcisHold,
  EpcisLock,
  EpcisLockOutcome,
} from './epcis-input.js';
import { lgtinUri } from './epcis-scans.js';
import type { EpcisDomainData } from './epcis-source.js';

type LockRow = Selectable<DomainDatabase['locks']> & { lot_id: string | null };

/** SQL `IN` lists are chunked (SQLite's bound-parameter limit; PostgreSQL's plan size). */
const CHUNK = 500;
const MAX_EPCS = 1_000_000;

/** Lock row state → how its lock ended (docs/architecture.md "Affected stock and locks", "Disposition"). */
const OUTCOME: Record<string, EpcisLockOutcome | undefined> = {
  released: 'released',
  rejected: 'rejected',
  lifted: 'auto_released',
};

/**
 * `EpcisDomainData` over the domain engine's tables (`DomainStore`): a lot's commissioned EPCs, the
 * custody intervals derived from passes (docs/architecture.md "Custody"), and the locks as EPCIS lock
 * records.
 *
 * Locks: the engine keeps one row per (EPC, excursion). Rows of one excursion, one lot, locked at the
 * same time and ended the same way (same state and disposition) form one `EpcisLock`, i.e. one
 * `persistentDisposition.set` event and, once ended, one `unset` event (EPCIS 2.0 §7.4.2). Its id is
 * `<excursion>|<lot or "-">|<lockedAt>`, suffixed with the end only when units of that group ended
 * differently (e.g. one unit decided on its own), so a lock's set event keeps its eventID across exports
 * in the usual case. The end time of a QA decision is its signature time; of an automatic lift, the
 * row's update time.
 */
export class DomainEpcisData implements EpcisDomainData {
  constructor(private readonly ds: DomainStore) {}

  async lotEpcs(lotId: string): Promise<string[] | null> {
    if (!(await this.ds.getLot(lotId))) return null;
    return (await this.ds.listEpcs({ lotId, limit: MAX_EPCS })).map((e) => e.epc);
  }

  async custody(
    epcs: readonly string[] | null,
    fromTs: number,
    toTs: number,
  ): Promise<EpcisCustodyInterval[]> {
    const db = this.ds.db;
    const base = () => {
      let s = db.selectFrom('custody').select(['epc', 'location_id', 'entered_at', 'left_at']);
      if (Number.isFinite(toTs)) s = s.where('entered_at', '<', toTs);
      if (Number.isFinite(fromTs))
        s = s.where((eb) => eb.or([eb('left_at', 'is', null), eb('left_at', '>', fromTs)]));
      return s;
    };
    const rows = [];
    if (epcs === null) rows.push(...(await base().execute()));
    else
      for (let i = 0; i < epcs.length; i += CHUNK)
        rows.push(
          ...(await base()
            .where('epc', 'in', epcs.slice(i, i + CHUNK))
            .execute()),
        );
    return rows
      .map((r) => ({ epc: r.epc, locationId: r.location_id, enteredAt: r.entered_at, leftAt: r.left_at }))
      .sort((a, b) => (a.epc < b.epc ? -1 : a.epc > b.epc ? 1 : a.enteredAt - b.enteredAt));
  }

  async locks(epcs: readonly string[] | null, fromTs: number, toTs: number): Promise<EpcisLock[]> {
    const rows: LockRow[] = [];
    const query = () =>
      this.ds.db
        .selectFrom('locks')
        .leftJoin('epcs', 'epcs.epc', 'locks.epc')
        .selectAll('locks')
        .select('epcs.lot_id as lot_id');
    if (epcs === null) rows.push(...(await query().execute()));
    else
      for (let i = 0; i < epcs.length; i += CHUNK)
        rows.push(
          ...(await query()
            .where('locks.epc', 'in', epcs.slice(i, i + CHUNK))
            .execute()),
        );

    const signedAt = new Map<string, { at: number; reason: string }>();
    const dispositionIds = [
      ...new Set(rows.map((r) => r.disposition_id).filter((d): d is string => d !== null)),
    ];
    for (let i = 0; i < dispositionIds.length; i += CHUNK) {
      const ds = await this.ds.db
        .selectFrom('dispositions')
        .select(['id', 'signed_at', 'reason'])
        .where('id', 'in', dispositionIds.slice(i, i + CHUNK))
        .execute();
      for (const d of ds) signedAt.set(d.id, { at: d.signed_at, reason: d.reason });
    }

    const endOf = (r: LockRow): EpcisLock['end'] => {
      const outcome = OUTCOME[r.state];
      if (!outcome) return null; // 'active'
      const d = r.disposition_id ? signedAt.get(r.disposition_id) : undefined;
      return { at: d?.at ?? r.updated_at, outcome, reason: d?.reason ?? r.reason };
    };
    const groups = new Map<string, { ends: Map<string, LockRow[]> }>();
    for (const r of rows) {
      const key = `${lockSubject(r.cause, r.rule_key)}|${r.lot_id ?? '-'}|${r.created_at}`;
      const g = groups.get(key) ?? { ends: new Map<string, LockRow[]>() };
      const endKey = `${r.state}|${r.disposition_id ?? ''}`;
      const members = g.ends.get(endKey);
      if (members) members.push(r);
      else g.ends.set(endKey, [r]);
      groups.set(key, g);
    }
    const out: EpcisLock[] = [];
    for (const [key, g] of groups) {
      for (const [endKey, members] of g.ends) {
        const first = members[0]!;
        const end = endOf(first);
        if (end && end.at < first.created_at) end.at = first.created_at;
        const lock: EpcisLock = {
          id: g.ends.size === 1 ? key : `${key}|${endKey}`,
          epcs: members.map((m) => m.epc).sort(),
          lockedAt: first.created_at,
          locationId: first.location_id,
          excursionId: lockSubject(first.cause, first.rule_key),
          lotId: first.lot_id,
          reason:
            first.cause === 'cumulative'
              ? `cumulative temperature rule reached (${lockSubject(first.cause, first.rule_key)}) at ${first.location_id}`
              : first.cause === 'rate_of_change'
                ? `temperature rose too fast (${lockSubject(first.cause, first.rule_key)}) at ${first.location_id}`
                : `exposed to temperature excursion ${first.rule_key} at ${first.location_id}`,
          end,
        };
        if (lock.lockedAt < toTs && (lock.end?.at ?? Number.POSITIVE_INFINITY) >= fromTs) out.push(lock);
      }
    }
    return out.sort((a, b) => a.lockedAt - b.lockedAt || (a.id < b.id ? -1 : 1));
  }

  async closures(
    epcs: readonly string[] | null,
    fromTs: number,
    toTs: number,
    held?: { lotId: string | null },
  ): Promise<EpcisClosure[]> {
    // An open window bound is ±Infinity, which a PostgreSQL bigint parameter refuses: no condition then.
    let q = this.ds.db
      .selectFrom('stock_closure_units')
      .innerJoin('stock_closures', 'stock_closures.id', 'stock_closure_units.closure_id')
      .select([
        'stock_closure_units.epc as epc',
        'stock_closures.id as id',
        'stock_closures.signed_at as at',
        'stock_closures.outcome as outcome',
        'stock_closures.reference as reference',
      ]);
    if (Number.isFinite(fromTs)) q = q.where('stock_closures.signed_at', '>=', fromTs);
    if (Number.isFinite(toTs)) q = q.where('stock_closures.signed_at', '<', toTs);
    const units = await q.execute();
    const wanted = epcs === null ? null : new Set(epcs);
    const byId = new Map<string, EpcisClosure>();
    for (const u of units) {
      if (wanted && !wanted.has(u.epc)) continue;
      const c = byId.get(u.id) ?? {
        id: u.id,
        epcs: [],
        at: Number(u.at),
        outcome: u.outcome as EpcisClosure['outcome'],
        reference: u.reference,
      };
      c.epcs.push(u.epc);
      byId.set(u.id, c);
    }
    // Rejected held quantities a record closed (0030): counted per lot class, at the holds' locations.
    const heldAt = new Map<string, Set<string>>();
    const closedHolds = held
      ? await epcisClosedHolds(this.ds.db, { lotId: held.lotId ?? undefined, fromTs, toTs })
      : [];
    for (const h of closedHolds) {
      const c = byId.get(h.closureId) ?? {
        id: h.closureId,
        epcs: [],
        at: h.at,
        outcome: h.outcome as EpcisClosure['outcome'],
        reference: h.reference,
      };
      const quantities = c.quantities ?? [];
      const epcClass = lgtinUri(h.gtin, h.lotNumber, h.companyPrefixLength);
      const q = quantities.find((x) => x.epcClass === epcClass);
      if (q) q.quantity += h.units;
      else quantities.push({ epcClass, quantity: h.units });
      c.quantities = quantities;
      byId.set(h.closureId, c);
      heldAt.set(h.closureId, (heldAt.get(h.closureId) ?? new Set()).add(h.locationId));
    }
    const closures = [...byId.values()];
    // Where the units were at their end: their open custody interval and the held quantities' locations (one
    // location per closure when they shared it; none when they were spread out or never seen).
    for (const c of closures) {
      const where = new Set((await this.ds.currentLocations(c.epcs)).values());
      for (const l of heldAt.get(c.id) ?? []) where.add(l);
      c.epcs.sort();
      c.quantities?.sort((a, b) => (a.epcClass < b.epcClass ? -1 : a.epcClass > b.epcClass ? 1 : 0));
      if (where.size === 1) c.locationId = [...where][0]!;
    }
    return closures;
  }

  /** Quantity holds (0027) of a lot or all, as EPCIS hold records, those in force during `[fromTs, toTs)`. */
  async holds(lotId: string | null, fromTs: number, toTs: number): Promise<EpcisHold[]> {
    return (await epcisHolds(this.ds.db, { lotId: lotId ?? undefined }))
      .map(epcisHoldOf)
      .filter((h) => h.heldAt < toTs && (h.end?.at ?? Number.POSITIVE_INFINITY) >= fromTs);
  }
}
