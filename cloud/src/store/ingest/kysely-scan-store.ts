import type { Transaction } from 'kysely';
import type { MovementRow, NewDeadLetterRow, ScanFlagRow } from '../../domain/ingest/ingest-store.js';
import type { LotFields, StoredLot } from '../../domain/lot-change.js';
import type { Database } from '../schema.js';

/**
 * The barcode-scan part of `IngestStore` over a Kysely transaction (docs/barcode.md "Scans in the cloud"),
 * the base of `KyselyIngestStore`: the same answers as `SqliteScanStore`, asynchronously.
 */
export class KyselyScanStore {
  constructor(protected readonly trx: Transaction<Database>) {}

  async knownEpcs(epcs: readonly string[]): Promise<string[]> {
    if (epcs.length === 0) return [];
    const list = [...epcs];
    const commissioned = await this.trx
      .selectFrom('epcs')
      .select('epc')
      .where('epc', 'in', list)
      .orderBy('epc')
      .execute();
    const seen = await this.trx
      .selectFrom('movements')
      .select('epc')
      .distinct()
      .where('epc', 'in', list)
      .orderBy('epc')
      .execute();
    return [...new Set([...commissioned, ...seen].map((r) => r.epc))];
  }

  async gtinSiblingEpc(gtin: string): Promise<string | undefined> {
    const r = await this.trx
      .selectFrom('epcs as e')
      .innerJoin('lots as l', 'l.id', 'e.lot_id')
      .select('e.epc')
      .where('l.gtin', '=', gtin)
      .orderBy('e.epc')
      .limit(1)
      .executeTakeFirst();
    return r?.epc;
  }

  lotByNumber(gtin: string, lotNumber: string): Promise<LotFields | undefined> {
    return this.trx
      .selectFrom('lots')
      .select(['id', 'gtin', 'lot_number', 'expiry'])
      .where('gtin', '=', gtin)
      .where('lot_number', '=', lotNumber)
      .executeTakeFirst();
  }

  lotOfEpc(epc: string): Promise<LotFields | undefined> {
    return this.trx
      .selectFrom('epcs as e')
      .innerJoin('lots as l', 'l.id', 'e.lot_id')
      .select(['l.id', 'l.gtin', 'l.lot_number', 'l.expiry'])
      .where('e.epc', '=', epc)
      .executeTakeFirst();
  }

  async productExists(gtin: string): Promise<boolean> {
    const r = await this.trx
      .selectFrom('products')
      .select('gtin')
      .where('gtin', '=', gtin)
      .executeTakeFirst();
    return r !== undefined;
  }

  async hibcLinkGtin(di: string): Promise<string | undefined> {
    const r = await this.trx.selectFrom('hibc_links').select('gtin').where('di', '=', di).executeTakeFirst();
    return r?.gtin;
  }

  async insertLot(row: StoredLot): Promise<boolean> {
    const r = await this.trx
      .insertInto('lots')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async commissionEpc(epc: string, lotId: string, at: number): Promise<void> {
    await this.trx.insertInto('epcs').values({ epc, lot_id: lotId, commissioned_at: at }).execute();
  }

  async setScanMapping(
    gatewayId: string,
    storedSeq: number,
    epc: string | null,
    lotId: string | null,
  ): Promise<void> {
    await this.trx
      .updateTable('scans')
      .set({ epc, lot_id: lotId })
      .where('gateway_id', '=', gatewayId)
      .where('seq', '=', storedSeq)
      .execute();
  }

  async insertScanMovement(
    gatewayId: string,
    storedSeq: number,
    m: MovementRow,
    receivedAt: number,
  ): Promise<void> {
    await this.trx
      .insertInto('movements')
      .values({ gateway_id: gatewayId, seq: storedSeq, ...m, received_at: receivedAt })
      .execute();
  }

  async deleteScan(gatewayId: string, storedSeq: number): Promise<void> {
    await this.trx
      .deleteFrom('scans')
      .where('gateway_id', '=', gatewayId)
      .where('seq', '=', storedSeq)
      .execute();
  }

  async insertScanFlags(rows: readonly ScanFlagRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.trx
      .insertInto('scan_flags')
      .values([...rows])
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async insertDeadLetter(row: NewDeadLetterRow): Promise<void> {
    await this.trx.insertInto('dead_letters').values(row).execute();
  }

  async openDeadLetter(gatewayId: string, code: string, reason: string): Promise<boolean> {
    const r = await this.trx
      .selectFrom('dead_letters')
      .select('id')
      .where('gateway_id', '=', gatewayId)
      .where('code', '=', code)
      .where('reason', '=', reason)
      .where('replayed_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }
}
