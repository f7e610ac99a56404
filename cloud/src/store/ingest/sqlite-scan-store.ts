import type { Scan } from '@coldtrace/shared';
import type SqliteDatabase from 'better-sqlite3';
import type { MovementRow, NewDeadLetterRow, ScanFlagRow } from '../../domain/ingest/ingest-store.js';
import type { LotFields, StoredLot } from '../../domain/lot-change.js';

type Statement = SqliteDatabase.Statement<unknown[], unknown>;

/**
 * The barcode-scan part of `IngestStore` over better-sqlite3 (docs/barcode.md "Scans in the cloud"), the
 * base of `SqliteIngestStore`: statements prepared on first use (most batches hold no scan), run inside
 * the ingest transaction.
 */
export class SqliteScanStore {
  private readonly prepared = new Map<string, Statement>();

  constructor(protected readonly sqlite: SqliteDatabase.Database) {}

  protected st(sql: string): Statement {
    let s = this.prepared.get(sql);
    if (!s) {
      s = this.sqlite.prepare(sql);
      this.prepared.set(sql, s);
    }
    return s;
  }

  protected insertScan(gw: string, seq: number, s: Scan, at: number): number {
    return this.st(
      `INSERT INTO scans (gateway_id, seq, station_id, location_id, direction, ts, code, format, gtin, sscc,
         hibc, lot, serial, expiry, received_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       WHERE NOT EXISTS (SELECT 1 FROM movements WHERE gateway_id = ? AND seq = ?)
       ON CONFLICT (gateway_id, seq) DO NOTHING`,
    ).run(
      gw,
      seq,
      s.stationId,
      s.locationId,
      s.direction,
      s.ts,
      s.code,
      s.format,
      s.gtin,
      s.sscc,
      s.hibc,
      s.lot,
      s.serial,
      s.expiry,
      at,
      gw,
      seq,
    ).changes;
  }

  knownEpcs(epcs: readonly string[]): string[] {
    if (epcs.length === 0) return [];
    const list = epcs.map(() => '?').join(', ');
    const commissioned = this.st(`SELECT epc FROM epcs WHERE epc IN (${list}) ORDER BY epc`)
      .pluck()
      .all(...epcs) as string[];
    const seen = this.st(`SELECT DISTINCT epc FROM movements WHERE epc IN (${list}) ORDER BY epc`)
      .pluck()
      .all(...epcs) as string[];
    return [...new Set([...commissioned, ...seen])];
  }

  gtinSiblingEpc(gtin: string): string | undefined {
    return this.st(
      `SELECT e.epc FROM epcs e JOIN lots l ON l.id = e.lot_id WHERE l.gtin = ? ORDER BY e.epc LIMIT 1`,
    )
      .pluck()
      .get(gtin) as string | undefined;
  }

  lotByNumber(gtin: string, lotNumber: string): LotFields | undefined {
    return this.st('SELECT id, gtin, lot_number, expiry FROM lots WHERE gtin = ? AND lot_number = ?').get(
      gtin,
      lotNumber,
    ) as LotFields | undefined;
  }

  lotOfEpc(epc: string): LotFields | undefined {
    return this.st(
      'SELECT l.id, l.gtin, l.lot_number, l.expiry FROM epcs e JOIN lots l ON l.id = e.lot_id WHERE e.epc = ?',
    ).get(epc) as LotFields | undefined;
  }

  productExists(gtin: string): boolean {
    return this.st('SELECT 1 FROM products WHERE gtin = ?').get(gtin) !== undefined;
  }

  hibcLinkGtin(di: string): string | undefined {
    return this.st('SELECT gtin FROM hibc_links WHERE di = ?').pluck().get(di) as string | undefined;
  }

  insertLot(r: StoredLot): boolean {
    return (
      this.st(
        `INSERT INTO lots (id, gtin, lot_number, expiry, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ).run(r.id, r.gtin, r.lot_number, r.expiry, r.created_at, r.updated_at).changes > 0
    );
  }

  commissionEpc(epc: string, lotId: string, at: number): void {
    this.st('INSERT INTO epcs (epc, lot_id, commissioned_at) VALUES (?, ?, ?)').run(epc, lotId, at);
  }

  setScanMapping(gatewayId: string, storedSeq: number, epc: string | null, lotId: string | null): void {
    this.st('UPDATE scans SET epc = ?, lot_id = ? WHERE gateway_id = ? AND seq = ?').run(
      epc,
      lotId,
      gatewayId,
      storedSeq,
    );
  }

  insertScanMovement(gatewayId: string, storedSeq: number, m: MovementRow, receivedAt: number): void {
    this.st(
      `INSERT INTO movements (gateway_id, seq, epc, portal_id, kind, from_location, to_location,
         direction, ts, first_seen, last_seen, reads, peak_rssi, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      gatewayId,
      storedSeq,
      m.epc,
      m.portal_id,
      m.kind,
      m.from_location,
      m.to_location,
      m.direction,
      m.ts,
      m.first_seen,
      m.last_seen,
      m.reads,
      m.peak_rssi,
      receivedAt,
    );
  }

  deleteScan(gatewayId: string, storedSeq: number): void {
    this.st('DELETE FROM scans WHERE gateway_id = ? AND seq = ?').run(gatewayId, storedSeq);
  }

  insertScanFlags(rows: readonly ScanFlagRow[]): void {
    const ins = this.st(
      `INSERT INTO scan_flags (gateway_id, seq, code, lot_id, epc, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    for (const f of rows) ins.run(f.gateway_id, f.seq, f.code, f.lot_id, f.epc, f.detail, f.created_at);
  }

  insertDeadLetter(d: NewDeadLetterRow): void {
    this.st(
      `INSERT INTO dead_letters (received_at, topic, gateway_id, client_id, code, reason, payload, payload_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(d.received_at, d.topic, d.gateway_id, d.client_id, d.code, d.reason, d.payload, d.payload_bytes);
  }

  openDeadLetter(gatewayId: string, code: string, reason: string): boolean {
    return (
      this.st(
        `SELECT 1 FROM dead_letters WHERE gateway_id = ? AND code = ? AND reason = ? AND replayed_at IS NULL
         LIMIT 1`,
      ).get(gatewayId, code, reason) !== undefined
    );
  }
}
