import { type MovementRecordsBatch, type Scan, sgtin96Hex } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCAN_MAPPING } from '../../src/domain/ingest/scan-mapping.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { putHibcLink } from '../../src/store/hibc-link-master.js';
import { movement, T0 } from '../helpers/records.js';

const GTIN = '80614141123458';

/** A scan of GTIN + lot (+ serial) into `fridge`. */
function scan(seq: number, over: Partial<Scan> = {}): Scan {
  return {
    seq,
    kind: 'scan',
    stationId: 'fridge-2',
    locationId: 'fridge',
    direction: 'putaway',
    ts: T0 + seq * 1000,
    code: `]d201${GTIN}10A1`,
    format: 'gs1-element-string',
    gtin: GTIN,
    sscc: null,
    hibc: null,
    lot: 'A1',
    serial: null,
    expiry: null,
    ...over,
  };
}

const batchOf = (gatewayId: string, records: MovementRecordsBatch['records']): MovementRecordsBatch => ({
  gatewayId,
  firstSeq: records[0]!.seq,
  lastSeq: records[records.length - 1]!.seq,
  sentAt: T0,
  epoch: 'c0ffee0000000001',
  records,
});

/**
 * Barcode scans through the one ingest plan (docs/barcode.md "Scans in the cloud"): part of the store
 * contract, so the synchronous SQLite adapter and the Kysely adapter (SQLite, PostgreSQL) map them alike.
 */
export function scanContract(store: () => CloudStore, newGateway: (prefix?: string) => Promise<string>) {
  describe('barcode scans', () => {
    /** A product, a lot `<gw>-L` (number A1) and one tag (serial 7) commissioned to it; the lot id. */
    async function masterData(s: CloudStore, gw: string): Promise<{ lot: string; tag: string }> {
      await s.db
        .insertInto('products')
        .values({
          gtin: GTIN,
          name: 'pen',
          min_c: 2,
          max_c: 8,
          stability_budget_ms: 1,
          created_at: T0,
          updated_at: T0,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      const lot = `${gw}-L`;
      await s.db
        .insertInto('lots')
        .values({
          id: lot,
          gtin: GTIN,
          lot_number: `${gw}-A1`,
          expiry: '2027-12-31',
          created_at: T0,
          updated_at: T0,
        })
        .execute();
      const tag = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 7, filter: 3 });
      await s.db
        .insertInto('epcs')
        .values({ epc: tag, lot_id: lot, commissioned_at: T0 })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return { lot, tag };
    }

    it('maps serialised and lot scans in the batch’s transaction; an unmappable one is a dead letter and a hole, the rest stored', async () => {
      const s = store();
      const gw = await newGateway('sc');
      const { tag } = await masterData(s, gw);
      const lotNo = `${gw}-A1`;
      const records = [
        movement(1, tag, { from: 'dock', to: 'room-1', direction: 'in' }),
        scan(2, { serial: '7', lot: lotNo }),
        scan(3, { gtin: null, sscc: '106141411234567897', lot: null }),
        scan(4, { lot: lotNo }),
      ];
      const r = await s.ingestMovements(gw, batchOf(gw, records), T0 + 10, DEFAULT_SCAN_MAPPING);
      expect(r).toMatchObject({ inserted: 3, duplicates: 0 });
      expect(r.scanDeadLetters).toEqual([expect.objectContaining({ seq: 3, code: 'scan_unmapped' })]);
      expect([...(r.epcs ?? [])]).toEqual([tag]);
      const scans = await s.db
        .selectFrom('scans')
        .select(['seq', 'epc', 'lot_id'])
        .where('gateway_id', '=', gw)
        .orderBy('seq')
        .execute();
      expect(scans.map((x) => ({ ...x, seq: Number(x.seq) }))).toEqual([
        { seq: 2, epc: tag, lot_id: `${gw}-L` },
        { seq: 4, epc: null, lot_id: `${gw}-L` },
      ]);
      const moves = await s.listMovements({ gatewayId: gw });
      expect(moves.map((m) => [Number(m.seq), m.kind, m.epc]).sort()).toEqual([
        [1, 'pass', tag],
        [2, 'scan', tag],
      ]);
      const dead = (await s.listDeadLetters()).filter((d) => d.gateway_id === gw);
      expect(dead.map((d) => d.code)).toEqual(['scan_unmapped']);
      expect(JSON.parse(dead[0]!.payload)).toMatchObject({ firstSeq: 3, lastSeq: 3, records: [{ seq: 3 }] });
      const [cov] = await s.coverage(gw);
      expect(cov?.holes).toEqual([{ from: 3, to: 3 }]);
      // Redelivered: all duplicates, no second mapping, no second dead letter for the unmappable scan.
      const again = await s.ingestMovements(gw, batchOf(gw, records), T0 + 20, DEFAULT_SCAN_MAPPING);
      expect(again).toMatchObject({ inserted: 0, duplicates: 4 });
      expect(again.scanDeadLetters).toBeUndefined();
      expect((await s.listDeadLetters()).filter((d) => d.gateway_id === gw)).toHaveLength(1);
    });

    it('a key a scan holds is taken for a pass too: a pass reusing it goes to a fork, never beside the scan', async () => {
      const s = store();
      const gw = await newGateway('sk');
      const { tag } = await masterData(s, gw);
      await s.ingestMovements(gw, batchOf(gw, [scan(1, { lot: `${gw}-A1` })]), T0);
      const r = await s.ingestMovements(gw, batchOf(gw, [movement(1, tag)]), T0 + 5);
      expect(r).toMatchObject({ inserted: 1, reused: 1 });
      const moves = await s.listMovements({ gatewayId: gw });
      expect(moves.map((m) => Number(m.seq))).not.toContain(1);
    });

    it('an HIBC scan maps through hibc_links read in the ingest transaction, before the config; unlinked it is a dead letter', async () => {
      const s = store();
      const gw = await newGateway('sh');
      await masterData(s, gw);
      const hibc = (seq: number, di: string) =>
        scan(seq, { format: 'hibc', code: `+${di}/$$${gw}`, gtin: null, hibc: di, lot: `${gw}-A1` });
      // The config links the device to a GTIN with no such lot: were it consulted first, the scan would not map.
      const config = { ...DEFAULT_SCAN_MAPPING, hibcGtins: { H123PROD1: '09521234543213', H999CONF1: GTIN } };
      const unlinked = await s.ingestMovements(gw, batchOf(gw, [hibc(1, 'H555NONE1')]), T0, config);
      expect(unlinked.scanDeadLetters).toEqual([
        expect.objectContaining({ seq: 1, code: 'scan_hibc_unlinked' }),
      ]);
      await putHibcLink(s.db, { di: 'H123PROD1', gtin: GTIN }, 'alice', T0);
      const r = await s.ingestMovements(
        gw,
        batchOf(gw, [hibc(2, 'H123PROD1'), hibc(3, 'H999CONF1')]),
        T0,
        config,
      );
      expect(r).toMatchObject({ inserted: 2 });
      expect(r.scanDeadLetters).toBeUndefined();
      const scans = await s.db
        .selectFrom('scans')
        .select(['seq', 'lot_id'])
        .where('gateway_id', '=', gw)
        .orderBy('seq')
        .execute();
      expect(scans.map((x) => ({ ...x, seq: Number(x.seq) }))).toEqual([
        { seq: 2, lot_id: `${gw}-L` },
        { seq: 3, lot_id: `${gw}-L` },
      ]);
    });

    it('strict (a replay): a scan that cannot be mapped fails the batch, nothing stored', async () => {
      const s = store();
      const gw = await newGateway('ss');
      const records = [movement(1, 'E2801170000002000000AAAA'), scan(2, { lot: 'NOPE' })];
      await expect(
        s.ingestMovements(gw, batchOf(gw, records), T0, { ...DEFAULT_SCAN_MAPPING, strict: true }),
      ).rejects.toMatchObject({ code: 'scan_lot_unknown' });
      expect(await s.listMovements({ gatewayId: gw })).toEqual([]);
      expect((await s.listDeadLetters()).filter((d) => d.gateway_id === gw)).toEqual([]);
    });
  });
}
