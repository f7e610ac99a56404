import { decodeEpc, isDecodedEpc } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * A barcode scan the cloud mapped (docs/barcode.md "Scans in the cloud"): a serialised unit (`epc`) or a
 * unit without serial counted in its lot (`gtin` + `lot`).
 */
export interface EpcisScan {
  gatewayId: string;
  seq: number;
  stationId: string;
  locationId: string;
  direction: 'receiving' | 'dispatch' | 'putaway' | 'picking';
  ts: number;
  /** The serialised unit's EPC (hex); null for a unit without serial. */
  epc: string | null;
  gtin: string | null;
  /** The lot number (as on the code) of a unit without serial. */
  lot: string | null;
  /** Digits of the GTIN's company prefix when known (an LGTIN URN needs it; else a Digital Link URI). */
  companyPrefixLength?: number | null;
}

/**
 * The mapped barcode scans an EPCIS export holds (0023, docs/epcis.md "Barcode scans"): of a lot (its units'
 * scans and its units without serial), of one EPC, or all, with event time in `[fromTs, toTs)`. A unit without
 * serial carries its lot's GTIN and number, and the company prefix length of a tag commissioned with that
 * GTIN when there is one (its LGTIN class URN needs it).
 */
export async function epcisScans(
  db: Kysely<Database>,
  q: { lotId?: string | undefined; epc?: string | undefined; fromTs: number; toTs: number },
): Promise<EpcisScan[]> {
  let s = db
    .selectFrom('scans as s')
    .leftJoin('lots as l', 'l.id', 's.lot_id')
    .select([
      's.gateway_id',
      's.seq',
      's.station_id',
      's.location_id',
      's.direction',
      's.ts',
      's.epc',
      'l.gtin',
      'l.lot_number',
    ]);
  if (q.lotId !== undefined) s = s.where('s.lot_id', '=', q.lotId);
  if (q.epc !== undefined) s = s.where('s.epc', '=', q.epc);
  if (Number.isFinite(q.fromTs)) s = s.where('s.ts', '>=', q.fromTs);
  if (Number.isFinite(q.toTs)) s = s.where('s.ts', '<', q.toTs);
  const rows = await s.orderBy('s.ts').orderBy('s.gateway_id').orderBy('s.seq').execute();
  const prefix = await companyPrefixLengths(
    db,
    rows.flatMap((r) => (r.epc === null && r.gtin !== null ? [r.gtin] : [])),
  );
  return rows
    .filter((r) => r.epc !== null || (r.gtin !== null && r.lot_number !== null))
    .map((r) => ({
      gatewayId: r.gateway_id,
      seq: Number(r.seq),
      stationId: r.station_id,
      locationId: r.location_id,
      direction: r.direction as EpcisScan['direction'],
      ts: Number(r.ts),
      epc: r.epc,
      gtin: r.epc === null ? r.gtin : null,
      lot: r.epc === null ? r.lot_number : null,
      companyPrefixLength: r.epc === null && r.gtin !== null ? (prefix.get(r.gtin) ?? null) : null,
    }));
}

/**
 * Per GTIN, the digits of its company prefix as a tag commissioned with that GTIN encodes it (the first by
 * EPC), null when no such tag decodes: what an LGTIN class URN of the GTIN needs (`lgtinUri`).
 */
export async function companyPrefixLengths(
  db: Kysely<Database>,
  gtins: Iterable<string>,
): Promise<Map<string, number | null>> {
  const prefix = new Map<string, number | null>();
  for (const gtin of gtins) {
    if (prefix.has(gtin)) continue;
    const tag = await db
      .selectFrom('epcs as e')
      .innerJoin('lots as l', 'l.id', 'e.lot_id')
      .select('e.epc')
      .where('l.gtin', '=', gtin)
      .orderBy('e.epc')
      .limit(1)
      .executeTakeFirst();
    const d = tag ? decodeEpc(tag.epc) : undefined;
    prefix.set(gtin, d && isDecodedEpc(d) && d.companyPrefix ? d.companyPrefix.length : null);
  }
  return prefix;
}
