import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayTopic, type Scan, systemClock } from '@coldtrace/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { movement, T0 } from '../helpers/records.js';

// Barcode scans on the movements stream (docs/barcode.md): the cloud keeps their batch as a dead letter.
let dir: string;
let store: CloudStore;
let ingestor: Ingestor;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-ingest-scans-'));
  store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'c.db')}`));
  await store.upsertGateway({ id: 'gw-1', now: 1 });
  ingestor = new Ingestor({ store, clock: systemClock, log: pino({ level: 'silent' }) });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const EPC = '3034257BF7194E4000001A85';
const scan = (seq: number): Scan => ({
  seq,
  kind: 'scan',
  stationId: 'dock-1',
  locationId: 'receiving',
  direction: 'receiving',
  ts: T0 + seq,
  code: ']d20109521234543213\u001d10ABC123',
  format: 'gs1-element-string',
  gtin: '09521234543213',
  sscc: null,
  hibc: null,
  lot: 'ABC123',
  serial: null,
  expiry: null,
});
const batch = (records: unknown[]) => ({
  gatewayId: 'gw-1',
  firstSeq: 1,
  lastSeq: records.length,
  sentAt: T0 + 10,
  records,
});
const msg = (payload: unknown) => ({
  topic: gatewayTopic('gw-1', 'movements'),
  payload: Buffer.from(JSON.stringify(payload)),
});

describe('Ingestor: barcode scans on the movements stream', () => {
  it('stores a batch of portal movements (the precondition: the same batch without its scan is ingested)', async () => {
    const out = await ingestor.handle(msg(batch([movement(1, EPC)])));
    expect(out).toMatchObject({ kind: 'stored', inserted: 1 });
    expect(await store.listMovements({ gatewayId: 'gw-1' })).toHaveLength(1);
  });

  it('keeps a batch holding a scan whole as a dead letter (scan_unmapped): not stored in part, not lost', async () => {
    const payload = batch([movement(1, EPC), scan(2)]);
    const out = await ingestor.handle(msg(payload));
    expect(out).toEqual({
      kind: 'dead_letter',
      code: 'scan_unmapped',
      reason: "1 of the batch's 2 movements are barcode scans, which the cloud does not map to custody yet",
    });
    expect(await store.listMovements({ gatewayId: 'gw-1' })).toEqual([]);
    const [dl] = await store.listDeadLetters();
    expect(dl).toMatchObject({ code: 'scan_unmapped', gateway_id: 'gw-1' });
    expect(JSON.parse(dl!.payload)).toEqual(payload);
  });

  it('a scan breaking its schema is a schema violation, as any bad record', async () => {
    const out = await ingestor.handle(msg(batch([{ ...scan(1), gtin: null }])));
    expect(out).toMatchObject({ kind: 'dead_letter', code: 'schema_violation' });
    expect((out as { reason: string }).reason).toContain(
      'a scan identifies a GTIN, an SSCC or an HIBC device',
    );
  });
});
