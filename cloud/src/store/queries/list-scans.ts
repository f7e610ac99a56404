import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { type KeyColumn, type KeyValues, keysetAfter, pageOf } from './keyset.js';

export interface ScanListRow {
  gatewayId: string;
  seq: number;
  stationId: string;
  locationId: string;
  direction: string;
  ts: number;
  code: string;
  gtin: string | null;
  hibc: string | null;
  lot: string | null;
  serial: string | null;
  expiry: string | null;
  epc: string | null;
  lotId: string | null;
  /** The lot number master data has for `lotId` (the code's own lot is `lot`). */
  lotNumber: string | null;
  flags: Array<{ code: string; detail: string }>;
}

/** Newest first; the key (gateway, seq) ends it, so the order is total (keyset paging). */
const ORDER: KeyColumn[] = [
  { column: 'scans.ts', desc: true },
  { column: 'scans.gateway_id', desc: true },
  { column: 'scans.seq', desc: true },
];

export interface ScanQuery {
  lotId?: string | undefined;
  epc?: string | undefined;
  locationId?: string | undefined;
  /** Scanned at or after (epoch ms). */
  from?: number | undefined;
  /** Scanned before (epoch ms). */
  to?: number | undefined;
  flag?: string | undefined;
  flagged?: boolean;
  /** The last row's key of the previous page (ts, gateway, seq). */
  after?: KeyValues | undefined;
  limit: number;
}

/**
 * Stored barcode scans (0023), newest first, with their flags (docs/barcode.md "What a mismatch looks
 * like"): of a lot, of a unit, at a location, in a time window, only flagged ones, and/or with one flag
 * code; one page of `limit` (docs/architecture.md "Lists and paging").
 */
export async function pageScans(
  db: Kysely<Database>,
  q: ScanQuery,
): Promise<{ items: ScanListRow[]; next: KeyValues | null }> {
  let s = db
    .selectFrom('scans')
    .leftJoin('lots', 'lots.id', 'scans.lot_id')
    .selectAll('scans')
    .select('lots.lot_number');
  if (q.lotId !== undefined) s = s.where('scans.lot_id', '=', q.lotId);
  if (q.epc !== undefined) s = s.where('scans.epc', '=', q.epc);
  if (q.locationId !== undefined) s = s.where('scans.location_id', '=', q.locationId);
  if (q.from !== undefined) s = s.where('scans.ts', '>=', q.from);
  if (q.to !== undefined) s = s.where('scans.ts', '<', q.to);
  if (q.flagged || q.flag !== undefined) {
    s = s.where(({ exists, selectFrom }) =>
      exists(
        (() => {
          let f = selectFrom('scan_flags')
            .select('scan_flags.seq')
            .whereRef('scan_flags.gateway_id', '=', 'scans.gateway_id')
            .whereRef('scan_flags.seq', '=', 'scans.seq');
          if (q.flag !== undefined) f = f.where('scan_flags.code', '=', q.flag);
          return f;
        })(),
      ),
    );
  }
  if (q.after !== undefined) s = s.where(keysetAfter(ORDER, q.after));
  const page = pageOf(
    await s
      .orderBy('scans.ts', 'desc')
      .orderBy('scans.gateway_id', 'desc')
      .orderBy('scans.seq', 'desc')
      .limit(q.limit + 1)
      .execute(),
    q.limit,
    (r) => [Number(r.ts), r.gateway_id, Number(r.seq)],
  );
  const rows = page.items;
  const flags = new Map<string, Array<{ code: string; detail: string }>>();
  const key = (gw: string, seq: unknown) => `${gw}\u0000${Number(seq)}`;
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const fs = await db
      .selectFrom('scan_flags')
      .select(['gateway_id', 'seq', 'code', 'detail'])
      .where((eb) =>
        eb.or(chunk.map((r) => eb.and([eb('gateway_id', '=', r.gateway_id), eb('seq', '=', r.seq)]))),
      )
      .orderBy('code')
      .execute();
    for (const f of fs) {
      const k = key(f.gateway_id, f.seq);
      const list = flags.get(k) ?? [];
      list.push({ code: f.code, detail: f.detail });
      flags.set(k, list);
    }
  }
  const items = rows.map((r) => ({
    gatewayId: r.gateway_id,
    seq: Number(r.seq),
    stationId: r.station_id,
    locationId: r.location_id,
    direction: r.direction,
    ts: Number(r.ts),
    code: r.code,
    gtin: r.gtin,
    hibc: r.hibc,
    lot: r.lot,
    serial: r.serial,
    expiry: r.expiry,
    epc: r.epc,
    lotId: r.lot_id,
    lotNumber: r.lot_number ?? null,
    flags: flags.get(key(r.gateway_id, r.seq)) ?? [],
  }));
  return { items, next: page.next };
}
