import { encodeHibc, gatewayTopic, type Scan } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepVerify } from '../../src/domain/deep-verify.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { readDeepVerifyData } from '../../src/store/deep-verify-reads.js';
import { bearer } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * HIBC device identifier → GTIN links as master data (docs/barcode.md "HIBC"): operators and admins
 * maintain them, every change is on the audit trail with before and after, and ingest maps HIBC scans
 * through them, a dead-lettered scan included once it is replayed.
 */
const GTIN = '80614141123458';
const OTHER_GTIN = '09521234543213';
let cloud: TestCloud;
let admin: Record<string, string>;

const call = (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, payload?: object, headers = admin) =>
  cloud.app.inject({ method, url, payload, headers });
const links = async () => (await call('GET', '/api/v1/hibc-links')).json();
const trail = async (di: string) =>
  (await call('GET', `/api/v1/audit?entityType=hibc_link&entityId=${di}`)).json() as Array<{
    action: string;
    actor: string;
    before: unknown;
    after: unknown;
  }>;

beforeAll(async () => {
  cloud = await startTestCloud();
  admin = await bearer(cloud, ['admin']);
  for (const gtin of [GTIN, OTHER_GTIN]) {
    const product = { name: `Product ${gtin}`, minC: 2, maxC: 8, stabilityBudgetMs: 3_600_000 };
    expect((await call('PUT', `/api/v1/products/${gtin}`, product)).statusCode).toBe(200);
  }
  const lot = { gtin: GTIN, lotNumber: 'A2', expiry: '2028-06-30' };
  expect((await call('PUT', '/api/v1/lots/LOT-A2', lot)).statusCode).toBe(200);
  const fridge = {
    name: 'Fridge',
    kind: 'store',
    minC: 2,
    maxC: 8,
    alarmDelayMs: 600_000,
    criticalMarginC: 5,
    maxGapMs: 1_800_000,
  };
  expect((await call('PUT', '/api/v1/locations/fridge', fridge)).statusCode).toBe(200);
});
afterAll(async () => cloud?.stop());

describe('HIBC links API', () => {
  it('refuses a malformed device identifier, an unknown product and unknown keys, writing nothing', async () => {
    for (const [url, payload, field] of [
      ['/api/v1/hibc-links/a123PROD1', { gtin: GTIN }, /di/],
      ['/api/v1/hibc-links/A123PRODX', { gtin: GTIN }, /di/],
      ['/api/v1/hibc-links/A123PROD1', { gtin: '123' }, /gtin/],
      ['/api/v1/hibc-links/A123PROD1', { gtin: GTIN, lot: 'A2' }, /lot/],
      [
        '/api/v1/hibc-links/A123PROD1',
        { gtin: '09999999999999' },
        /product 09999999999999 is not in master data/,
      ],
    ] as const) {
      const res = await call('PUT', url, payload);
      expect(res.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(res.json().error).toBe('invalid');
      expect(res.json().message).toMatch(field);
    }
    expect(await links()).toEqual([]);
    expect(await trail('A123PROD1')).toEqual([]);
  });

  it('creates, changes and deletes a link, each audited with before and after; the same GTIN again is no change', async () => {
    const ops = await bearer(cloud, ['operator']);
    const created = await call('PUT', '/api/v1/hibc-links/B777CAT51', { gtin: GTIN }, ops);
    expect(created.statusCode, created.body).toBe(200);
    expect(created.json()).toMatchObject({ di: 'B777CAT51', gtin: GTIN });
    expect((await call('PUT', '/api/v1/hibc-links/B777CAT51', { gtin: GTIN }, ops)).statusCode).toBe(200);
    const changed = await call('PUT', '/api/v1/hibc-links/B777CAT51', { gtin: OTHER_GTIN }, ops);
    expect(changed.json()).toMatchObject({ di: 'B777CAT51', gtin: OTHER_GTIN });
    expect(await links()).toEqual([
      { di: 'B777CAT51', gtin: OTHER_GTIN, createdAt: expect.any(Number), updatedAt: expect.any(Number) },
    ]);
    const del = await call('DELETE', '/api/v1/hibc-links/B777CAT51', undefined, ops);
    expect(del.statusCode, del.body).toBe(204);
    expect(await links()).toEqual([]);
    const gone = await call('DELETE', '/api/v1/hibc-links/B777CAT51', undefined, ops);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error).toBe('not_found');

    const entries = await trail('B777CAT51');
    expect(entries.map((e) => e.action)).toEqual([
      'hibc_link.created',
      'hibc_link.updated',
      'hibc_link.deleted',
    ]);
    expect(entries[0]).toMatchObject({ before: null, after: { di: 'B777CAT51', gtin: GTIN } });
    expect(entries[1]).toMatchObject({ before: { gtin: GTIN }, after: { gtin: OTHER_GTIN } });
    expect(entries[2]).toMatchObject({ before: { gtin: OTHER_GTIN }, after: null });
    expect(new Set(entries.map((e) => e.actor)).size).toBe(1);
    expect((await verifyAuditTrail(cloud.store.db)).ok).toBe(true);
    // `audit verify --deep`: the table is what the trail says (the deleted link gone) ...
    const deep = async () => deepVerify(await readDeepVerifyData(cloud.store.db)).findings;
    expect(await deep()).toEqual([]);
    // ... and a link written outside the audited path is found.
    const now = Date.now();
    const row = { di: 'B777CAT51', gtin: GTIN, created_at: now, updated_at: now };
    await cloud.store.db.insertInto('hibc_links').values(row).execute();
    expect(await deep()).toEqual([
      expect.objectContaining({
        table: 'hibc_links',
        row: 'B777CAT51',
        detail: expect.stringMatching(/no audit entry/),
      }),
    ]);
    await cloud.store.db.deleteFrom('hibc_links').where('di', '=', 'B777CAT51').execute();
  });

  it('lets any user read the links and only operators and admins change them', async () => {
    expect((await call('PUT', '/api/v1/hibc-links/C100ROLE1', { gtin: GTIN })).statusCode).toBe(200);
    for (const role of ['viewer', 'qa'] as const) {
      const h = await bearer(cloud, [role]);
      expect((await call('GET', '/api/v1/hibc-links', undefined, h)).json()).toEqual([
        expect.objectContaining({ di: 'C100ROLE1' }),
      ]);
      const put = await call('PUT', '/api/v1/hibc-links/C100ROLE1', { gtin: OTHER_GTIN }, h);
      expect(put.statusCode).toBe(403);
      expect((await call('DELETE', '/api/v1/hibc-links/C100ROLE1', undefined, h)).statusCode).toBe(403);
    }
    expect(await links()).toEqual([expect.objectContaining({ di: 'C100ROLE1', gtin: GTIN })]);
    expect((await call('DELETE', '/api/v1/hibc-links/C100ROLE1')).statusCode).toBe(204);
  });
});

describe('an unlinked HIBC scan', () => {
  it('is a dead letter until an operator links its device; replayed, it counts in its lot at the station', async () => {
    await cloud.addGateway('gw-hibc');
    const ts = Date.now();
    const scan: Scan = {
      seq: 1,
      kind: 'scan',
      stationId: 'fridge-2',
      locationId: 'fridge',
      direction: 'putaway',
      ts,
      code: encodeHibc({ lic: 'A123', pcn: 'PROD', uom: '1', lot: 'A2', expiry: '2028-06-30' }),
      format: 'hibc',
      gtin: null,
      sscc: null,
      hibc: 'A123PROD1',
      lot: 'A2',
      serial: null,
      expiry: '2028-06-30',
    };
    const batch = {
      gatewayId: 'gw-hibc',
      firstSeq: 1,
      lastSeq: 1,
      sentAt: ts,
      epoch: '0123456789abcdef',
      records: [scan],
    };
    await cloud.ingestor.handle({
      topic: gatewayTopic('gw-hibc', 'movements'),
      payload: Buffer.from(JSON.stringify(batch)),
    });
    const [dl] = (await cloud.store.listDeadLetters(1000, 0)).filter((d) => d.gateway_id === 'gw-hibc');
    expect(dl).toMatchObject({ code: 'scan_hibc_unlinked' });
    expect(dl!.reason).toContain('PUT /api/v1/hibc-links/A123PROD1');
    const quantities = async () => (await call('GET', '/api/v1/lots/LOT-A2/quantities')).json().locations;
    expect(await quantities()).toEqual([]);

    // Not linked yet: the replay is refused and stores nothing.
    const early = await call('POST', `/api/v1/dead-letters/${dl!.id}/replay`);
    expect(early.statusCode).toBe(409);
    expect(early.json().message).toMatch(/scan_hibc_unlinked/);
    expect(await quantities()).toEqual([]);

    expect((await call('PUT', '/api/v1/hibc-links/A123PROD1', { gtin: GTIN })).statusCode).toBe(200);
    const replayed = await call('POST', `/api/v1/dead-letters/${dl!.id}/replay`);
    expect(replayed.statusCode, replayed.body).toBe(200);
    expect(replayed.json()).toEqual({ stream: 'movements', inserted: 1, duplicates: 0 });
    expect(await quantities()).toEqual([
      expect.objectContaining({ locationId: 'fridge', scannedIn: 1, scannedOut: 0, onHand: 1 }),
    ]);
  });
});
