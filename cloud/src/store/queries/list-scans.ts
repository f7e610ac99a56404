import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

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
  flags: Array<{ code: string; detail: string }>;
}

/**
 * Stored barcode scans (0023), newest first, with their flags (docs/barcode.md "What a mismatch looks
 * like"): of a lot, of a unit, only flagged ones, and/or with one flag code.
 */
export async function listScans(
  db: Kysely<Database>,
  q: {
    lotId?: string | undefined;
    epc?: string | undefined;
    flag?: string | undefined;
    flagged?: boolean;
    limit: number;
  },
): Promise<ScanListRow[]> {
  let s = db.selectFrom('scans').selectAll();
  if (q.lotId !== undefined) s = s.where('lot_id', '=', q.lotId);
  if (q.epc !== undefined) s = s.where('epc', '=', q.epc);
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
  const rows = await s
    .orderBy('ts', 'desc')
    .orderBy('gateway_id')
    .orderBy('seq', 'desc')
    .limit(q.limit)
    .execute();
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
  return rows.map((r) => ({
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
    flags: flags.get(key(r.gateway_id, r.seq)) ?? [],
  }));
}
