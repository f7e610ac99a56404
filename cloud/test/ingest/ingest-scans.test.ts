import { decodeEpc, gatewayTopic, type Movement, type Scan, sgtin96Hex } from '@coldtrace/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deepVerify } from '../../src/domain/deep-verify.js';
import type { ScanMappingOptions } from '../../src/domain/ingest/scan-mapping.js';
import { replayDeadLetter } from '../../src/ingest/dead-letter-replay.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { readDeepVerifyData } from '../../src/store/deep-verify-reads.js';
import { lotTracePage } from '../../src/store/queries/lot-trace-page.js';
import { type Harness, location, MIN, openHarness, T0 } from '../domain/harness.js';

// Barcode scans on the movements stream become custody (docs/barcode.md "Scans in the cloud").
const GTIN = '80614141123458'; // company prefix 0614141 (7 digits), item reference 812345
const OTHER_GTIN = '09521234543213';
const TAG = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 6789, filter: 3 });

let h: Harness;
let ingestor: Ingestor;
const ingestorWith = (scans: Partial<ScanMappingOptions> = {}) =>
  new Ingestor({
    store: h.store,
    clock: h.clock,
    log: pino({ level: 'silent' }),
    onMovements: (epcs) => h.engine.markEpcs(epcs),
    onReadings: (_ids, windows) => h.engine.markReadings(windows),
    scans: { createLots: false, companyPrefixes: [], hibcGtins: {}, ...scans },
  });

beforeEach(async () => {
  h = await openHarness();
  await h.store.upsertGateway({ id: 'gw-1', now: T0 });
  for (const id of ['dock', 'fridge', 'truck-1']) await location(h, id);
  await h.domain.upsertProduct(
    { gtin: GTIN, name: 'Insulin pen', min_c: 2, max_c: 8, stability_budget_ms: 600 * MIN },
    'admin',
    T0,
  );
  await h.domain.upsertLot({ id: 'LOT-1', gtin: GTIN, lot_number: 'A1', expiry: '2027-12-31' }, 'admin', T0);
  await h.domain.upsertLot({ id: 'LOT-2', gtin: GTIN, lot_number: 'A2', expiry: '2028-06-30' }, 'admin', T0);
  ingestor = ingestorWith();
});
afterEach(async () => {
  await h.close();
});

const scan = (seq: number, over: Partial<Scan> = {}): Scan => ({
  seq,
  kind: 'scan',
  stationId: 'fridge-2',
  locationId: 'fridge',
  direction: 'putaway',
  ts: T0 + seq * MIN,
  code: `]d201${GTIN}10A1\u001d21${seq}`,
  format: 'gs1-element-string',
  gtin: GTIN,
  sscc: null,
  hibc: null,
  lot: 'A1',
  serial: String(6780 + seq),
  expiry: null,
  ...over,
});
const pass = (seq: number, epc: string, over: Partial<Movement> = {}): Movement => ({
  seq,
  epc,
  portalId: 'dock-door',
  kind: 'pass',
  from: 'dock',
  to: 'fridge',
  direction: 'in',
  ts: T0 + seq * MIN,
  firstSeen: T0 + seq * MIN - 500,
  lastSeen: T0 + seq * MIN + 500,
  reads: 5,
  peakRssi: -50,
  ...over,
});
const batch = (records: Array<Movement | Scan>, epoch = 'a1b2c3d4e5f60718') => ({
  gatewayId: 'gw-1',
  firstSeq: records[0]!.seq,
  lastSeq: records[records.length - 1]!.seq,
  sentAt: T0 + 100 * MIN,
  epoch,
  records,
});
const msg = (payload: unknown) => ({
  topic: gatewayTopic('gw-1', 'movements'),
  payload: Buffer.from(JSON.stringify(payload)),
});
const send = (records: Array<Movement | Scan>, via = ingestor) => via.handle(msg(batch(records)));
const db = () => h.engine.db;
const scansRows = () => db().selectFrom('scans').selectAll().orderBy('seq').execute();
const flags = () =>
  db().selectFrom('scan_flags').select(['seq', 'code', 'lot_id']).orderBy('seq').orderBy('code').execute();
const custodyOf = (epc: string) =>
  db()
    .selectFrom('custody')
    .select(['location_id', 'entered_at', 'left_at'])
    .where('epc', '=', epc)
    .orderBy('entered_at')
    .execute();

describe('Ingestor: barcode scans become custody', () => {
  it('a unit both tagged and scanned is one unit: the scan takes the identity of the commissioned tag', async () => {
    await h.domain.commission('LOT-1', [TAG], 'admin', T0);
    // The tag passes into the dock, the scan (same GTIN + serial 6789, another filter is not another unit)
    // puts it away into the fridge.
    const out = await send([
      pass(1, TAG, { from: 'truck-1', to: 'dock' }),
      scan(2, { serial: '6789', code: `]d201${GTIN}10A1\u001d216789` }),
    ]);
    expect(out).toMatchObject({ kind: 'stored', inserted: 2, duplicates: 0 });
    const movements = await db().selectFrom('movements').selectAll().orderBy('seq').execute();
    expect(movements.map((m) => [m.epc, m.kind, m.to_location, m.direction])).toEqual([
      [TAG, 'pass', 'dock', 'in'],
      [TAG, 'scan', 'fridge', 'in'],
    ]);
    expect(await scansRows()).toMatchObject([{ seq: 2, epc: TAG, lot_id: 'LOT-1', serial: '6789' }]);
    await h.engine.flush();
    expect(await custodyOf(TAG)).toEqual([
      { location_id: 'dock', entered_at: T0 + MIN, left_at: T0 + 2 * MIN },
      { location_id: 'fridge', entered_at: T0 + 2 * MIN, left_at: null },
    ]);
    expect(await flags()).toEqual([]);
  });

  it('an untagged unit gets the SGTIN of its GTIN + serial (partition and filter of its product’s tags), is commissioned to the lot the code names, and is locked when exposed', async () => {
    await h.domain.commission('LOT-1', [TAG], 'admin', T0);
    await send([scan(1, { serial: '1001' })]);
    const [row] = await scansRows();
    const epc = row!.epc!;
    expect(decodeEpc(epc)).toMatchObject({
      pureIdentityUri: 'urn:epc:id:sgtin:0614141.812345.1001',
      filter: 3,
      scheme: 'sgtin-96',
    });
    expect(await db().selectFrom('epcs').select('lot_id').where('epc', '=', epc).executeTakeFirst()).toEqual({
      lot_id: 'LOT-1',
    });
    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'actor', 'entity_id'])
      .where('action', '=', 'epcs.commissioned')
      .where('actor', '=', 'system')
      .execute();
    expect(audit).toEqual([{ action: 'epcs.commissioned', actor: 'system', entity_id: 'LOT-1' }]);
    // The fridge warms to 12 °C for 30 min while the unit is in it: an excursion that locks it.
    await h.store.upsertGateway({ id: 'gw-s', now: T0 });
    const readings = Array.from({ length: 8 }, (_, k) => ({
      seq: k + 1,
      sensorId: 's-1',
      locationId: 'fridge',
      ts: T0 + 10 * MIN + k * 5 * MIN,
      tempC: k >= 1 && k <= 6 ? 12 : 5,
      quality: 'ok' as const,
    }));
    await ingestor.handle({
      topic: gatewayTopic('gw-s', 'readings'),
      payload: Buffer.from(
        JSON.stringify({
          gatewayId: 'gw-s',
          firstSeq: 1,
          lastSeq: 8,
          sentAt: T0 + 60 * MIN,
          records: readings,
        }),
      ),
    });
    await h.engine.flush();
    const locks = await db().selectFrom('locks').select(['epc', 'state']).execute();
    expect(locks).toContainEqual({ epc, state: 'active' });
    // The recall trace of the lot lists it with its custody and lock.
    const trace = await lotTracePage(db(), 'LOT-1', { limit: 10 });
    const unit = trace.units.find((u) => u.epc === epc);
    expect(unit?.custody.map((c) => c.location_id)).toEqual(['fridge']);
    expect(unit?.locks.map((l) => l.state)).toEqual(['active']);
  });

  it('without a tag of the GTIN, the configured company prefix gives the partition (filter 1); without one the scan is a dead letter of its own and the batch’s RFID records are stored', async () => {
    const out = await send([
      pass(1, TAG, { from: 'truck-1', to: 'dock' }),
      scan(2, { serial: '55' }),
      pass(3, TAG, { from: 'dock', to: 'fridge' }),
    ]);
    expect(out).toMatchObject({ kind: 'stored', inserted: 2, duplicates: 0 });
    expect(await db().selectFrom('movements').select('seq').orderBy('seq').execute()).toEqual([
      { seq: 1 },
      { seq: 3 },
    ]);
    expect(await scansRows()).toEqual([]);
    const [dl] = await h.store.listDeadLetters();
    expect(dl).toMatchObject({ code: 'scan_company_prefix_unknown', gateway_id: 'gw-1' });
    const kept = JSON.parse(dl!.payload);
    expect(kept).toEqual({ ...batch([scan(2, { serial: '55' })]), sentAt: T0 + 100 * MIN });
    // The stream shows the scan's seq as a hole until the replay fills it.
    const [cov] = await h.store.coverage('gw-1');
    expect(cov?.holes).toEqual([{ from: 2, to: 2 }]);
    // Still unmappable: the replay is refused and nothing changes.
    const replayDeps = { store: h.store, ingestor, clock: h.clock };
    await expect(replayDeadLetter(replayDeps, dl!.id, 'alice')).rejects.toMatchObject({ code: 'conflict' });
    expect(await h.store.listDeadLetters()).toHaveLength(1);
    // Configured: the replay maps it (SGTIN-96, filter 1) and fills the hole.
    const configured = ingestorWith({ companyPrefixes: ['0614141'] });
    await replayDeadLetter({ ...replayDeps, ingestor: configured }, dl!.id, 'alice');
    const [row] = await scansRows();
    expect(decodeEpc(row!.epc!)).toMatchObject({
      pureIdentityUri: 'urn:epc:id:sgtin:0614141.812345.55',
      filter: 1,
    });
    const [after] = await h.store.coverage('gw-1');
    expect(after?.holes).toEqual([]);
  });

  it('a commissioned EPC of the unit wins over one an earlier scan made for it', async () => {
    // First scanned (a code without lot) before any tag of the GTIN was commissioned: the configured
    // prefix, filter 1, bound to no lot.
    await send([scan(1, { serial: '6789', lot: null })], ingestorWith({ companyPrefixes: ['0614141'] }));
    const [first] = await scansRows();
    expect(first!.epc).not.toBe(TAG);
    // Then its tag (filter 3) is commissioned: the next scan of the unit is the tag's EPC.
    await h.domain.commission('LOT-2', [TAG], 'admin', T0);
    await send([scan(2, { serial: '6789', lot: 'A2' })]);
    expect((await scansRows())[1]).toMatchObject({ epc: TAG, lot_id: 'LOT-2' });
  });

  it('a redelivered batch is idempotent: the scan is a duplicate, mapped once', async () => {
    await h.domain.commission('LOT-1', [TAG], 'admin', T0);
    const records = [
      scan(1, { serial: '6789' }),
      pass(2, TAG, { from: 'fridge', to: 'dock', direction: 'out' }),
    ];
    await send(records);
    expect(await send(records)).toMatchObject({ kind: 'stored', inserted: 0, duplicates: 2 });
    expect(await scansRows()).toHaveLength(1);
    expect(await db().selectFrom('movements').select('seq').execute()).toHaveLength(2);
  });

  it('dispatch and picking take the unit out of the station’s location: its custody there ends', async () => {
    await h.domain.commission('LOT-1', [TAG], 'admin', T0);
    await send(
      [
        scan(1, { serial: '6789' }),
        scan(5, { serial: '6789', stationId: 'fridge-2', direction: 'picking' }),
      ].map((r, i) => ({ ...r, seq: i + 1 })),
    );
    await h.engine.flush();
    expect(await custodyOf(TAG)).toEqual([
      { location_id: 'fridge', entered_at: T0 + MIN, left_at: T0 + 5 * MIN },
    ]);
    const rows = await db().selectFrom('movements').select(['kind', 'from_location', 'direction']).execute();
    expect(rows).toContainEqual({ kind: 'scan', from_location: 'fridge', direction: 'out' });
  });

  it('flags what the code says that master data contradicts: another lot, another expiry, an expired unit received', async () => {
    await h.domain.commission('LOT-1', [TAG], 'admin', T0);
    const configured = ingestorWith({ companyPrefixes: ['0614141'] });
    await send(
      [
        // The unit is commissioned to LOT-1 (A1); its label says A2.
        scan(1, { serial: '6789', lot: 'A2' }),
        // LOT-1 expires 2027-12-31; the label says 2027-11-30.
        scan(2, { serial: '2', expiry: '2027-11-30' }),
        // Expired on the day it was received.
        scan(3, { serial: '3', direction: 'receiving', expiry: '2026-01-31' }),
      ],
      configured,
    );
    expect(await flags()).toEqual([
      { seq: 1, code: 'scan_lot_mismatch', lot_id: 'LOT-1' },
      { seq: 2, code: 'scan_expiry_mismatch', lot_id: 'LOT-1' },
      { seq: 3, code: 'scan_expired_received', lot_id: 'LOT-1' },
      { seq: 3, code: 'scan_expiry_mismatch', lot_id: 'LOT-1' },
    ]);
    // The unit stays in the lot it is commissioned to.
    expect((await scansRows())[0]).toMatchObject({ epc: TAG, lot_id: 'LOT-1' });
  });

  it('a unit without a serial is counted in its lot; an unknown lot is a dead letter unless lots may be created', async () => {
    const out = await send([
      scan(1, { serial: null, lot: 'A2' }),
      scan(2, { serial: null, lot: 'B9', expiry: '2028-01-31' }),
    ]);
    expect(out).toMatchObject({ kind: 'stored', inserted: 1 });
    expect(await scansRows()).toMatchObject([{ seq: 1, epc: null, lot_id: 'LOT-2' }]);
    expect(await db().selectFrom('movements').selectAll().execute()).toEqual([]);
    const [dl] = await h.store.listDeadLetters();
    expect(dl).toMatchObject({ code: 'scan_lot_unknown' });
    const creating = ingestorWith({ createLots: true });
    await replayDeadLetter({ store: h.store, ingestor: creating, clock: h.clock }, dl!.id, 'alice');
    const created = await h.domain.getLot(`lot-${GTIN}-B9`);
    expect(created).toMatchObject({ gtin: GTIN, lot_number: 'B9', expiry: '2028-01-31' });
    const entry = await db()
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('entity_id', '=', `lot-${GTIN}-B9`)
      .execute();
    expect(entry).toEqual([{ actor: 'system', action: 'lot.created' }]);
    expect((await scansRows())[1]).toMatchObject({ seq: 2, lot_id: `lot-${GTIN}-B9` });
    // What ingest wrote to master data is what the trail says (`audit verify --deep`).
    const report = deepVerify(await readDeepVerifyData(db()));
    expect(report.findings).toEqual([]);
    expect((await verifyAuditTrail(db())).ok).toBe(true);
  });

  it('HIBC codes map through the configured link to a GTIN; an unlinked one, an SSCC alone or a bare GTIN are dead letters', async () => {
    const hibc = (seq: number, device: string): Scan =>
      scan(seq, {
        format: 'hibc',
        gtin: null,
        hibc: device,
        code: `+${device}/$$A2X`,
        lot: 'A2',
        serial: null,
      });
    const linked = ingestorWith({ hibcGtins: { A123PROD1: GTIN } });
    const out = await send(
      [
        hibc(1, 'A123PROD1'),
        hibc(2, 'A999PROD1'),
        scan(3, { gtin: null, sscc: '106141411234567897', lot: null, serial: null }),
        scan(4, { gtin: OTHER_GTIN, lot: null, serial: null }),
      ],
      linked,
    );
    expect(out).toMatchObject({ kind: 'stored', inserted: 1 });
    expect(await scansRows()).toMatchObject([{ seq: 1, lot_id: 'LOT-2' }]);
    const codes = (await h.store.listDeadLetters()).map((d) => d.code).sort();
    expect(codes).toEqual(['scan_hibc_unlinked', 'scan_unmapped', 'scan_unmapped']);
  });

  it('a whole batch dead-lettered before scans were mapped replays: its passes and scans are stored', async () => {
    await h.domain.commission('LOT-1', [TAG], 'admin', T0);
    const payload = batch([pass(1, TAG, { from: 'truck-1', to: 'dock' }), scan(2, { serial: '6789' })]);
    await h.store.addDeadLetter({
      received_at: T0,
      topic: gatewayTopic('gw-1', 'movements'),
      gateway_id: 'gw-1',
      client_id: null,
      code: 'scan_unmapped',
      reason: "1 of the batch's 2 movements are barcode scans, which the cloud does not map to custody yet",
      payload: JSON.stringify(payload),
      payload_bytes: Buffer.byteLength(JSON.stringify(payload)),
    });
    const [dl] = await h.store.listDeadLetters();
    expect(await replayDeadLetter({ store: h.store, ingestor, clock: h.clock }, dl!.id, 'alice')).toEqual({
      stream: 'movements',
      inserted: 2,
      duplicates: 0,
    });
    expect(await db().selectFrom('movements').select(['epc', 'kind']).orderBy('seq').execute()).toEqual([
      { epc: TAG, kind: 'pass' },
      { epc: TAG, kind: 'scan' },
    ]);
  });

  it('a scan breaking its schema is a schema violation, as any bad record', async () => {
    const out = await ingestor.handle(msg(batch([{ ...scan(1), gtin: null }])));
    expect(out).toMatchObject({ kind: 'dead_letter', code: 'schema_violation' });
    expect((out as { reason: string }).reason).toContain(
      'a scan identifies a GTIN, an SSCC or an HIBC device',
    );
  });
});
