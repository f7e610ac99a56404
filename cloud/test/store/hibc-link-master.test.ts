import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteHibcLink, listHibcLinks, putHibcLink } from '../../src/store/hibc-link-master.js';
import { type Harness, MIN, openHarness, T0 } from '../domain/harness.js';

// HIBC device identifier → GTIN links on SQLite (docs/barcode.md "HIBC"): validated, audited writes.
const GTIN = '80614141123458';
let h: Harness;

beforeEach(async () => {
  h = await openHarness();
  await h.domain.upsertProduct(
    { gtin: GTIN, name: 'Insulin pen', min_c: 2, max_c: 8, stability_budget_ms: 600 * MIN },
    'admin',
    T0,
  );
});
afterEach(async () => h.close());

const db = () => h.store.db;
const linkEntries = () =>
  db()
    .selectFrom('audit_log')
    .select(['action', 'actor', 'before_json', 'after_json'])
    .where('entity_type', '=', 'hibc_link')
    .orderBy('seq')
    .execute();

describe('HIBC link master data', () => {
  it('refuses a malformed device identifier and an unknown product, writing nothing', async () => {
    for (const di of ['a123PROD1', 'A123PRODX', '+A123PROD1', 'A12', 'A123PROD1/']) {
      await expect(putHibcLink(db(), { di, gtin: GTIN }, 'alice', T0), di).rejects.toMatchObject({
        code: 'invalid',
        message: expect.stringMatching(/^di: .* is not an HIBC device identifier/),
      });
    }
    await expect(
      putHibcLink(db(), { di: 'A123PROD1', gtin: '09521234543213' }, 'alice', T0),
    ).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/^gtin: product 09521234543213/),
    });
    expect(await listHibcLinks(db())).toEqual([]);
    expect(await linkEntries()).toEqual([]);
  });

  it('keeps created_at, stamps updated_at, and writes nothing for the same GTIN again', async () => {
    await putHibcLink(db(), { di: 'A123PROD1', gtin: GTIN }, 'alice', T0);
    const other = '09521234543213';
    await h.domain.upsertProduct(
      { gtin: other, name: 'Syringe', min_c: 2, max_c: 25, stability_budget_ms: 600 * MIN },
      'admin',
      T0,
    );
    await putHibcLink(db(), { di: 'A123PROD1', gtin: other }, 'bob', T0 + MIN);
    const same = await putHibcLink(db(), { di: 'A123PROD1', gtin: other }, 'carol', T0 + 2 * MIN);
    expect(same).toEqual({ di: 'A123PROD1', gtin: other, created_at: T0, updated_at: T0 + MIN });
    expect(await listHibcLinks(db())).toEqual([same]);
    const entries = await linkEntries();
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['hibc_link.created', 'alice'],
      ['hibc_link.updated', 'bob'],
    ]);
    expect(JSON.parse(entries[1]!.before_json!)).toMatchObject({ gtin: GTIN });
    expect(JSON.parse(entries[1]!.after_json!)).toMatchObject({ gtin: other });
  });

  it('deletes a link with its row as before; a second delete is not_found', async () => {
    await putHibcLink(db(), { di: 'A123PROD1', gtin: GTIN }, 'alice', T0);
    await deleteHibcLink(db(), 'A123PROD1', 'bob', T0 + MIN);
    expect(await listHibcLinks(db())).toEqual([]);
    const entries = await linkEntries();
    expect(entries.at(-1)).toMatchObject({ action: 'hibc_link.deleted', actor: 'bob', after_json: null });
    expect(JSON.parse(entries.at(-1)!.before_json!)).toEqual({
      di: 'A123PROD1',
      gtin: GTIN,
      created_at: T0,
      updated_at: T0,
    });
    await expect(deleteHibcLink(db(), 'A123PROD1', 'bob', T0 + MIN)).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('the table itself refuses a link to a product that does not exist (foreign key)', async () => {
    const row = { di: 'A123PROD1', gtin: GTIN, created_at: T0, updated_at: T0 };
    await db().insertInto('hibc_links').values(row).execute();
    const orphan = { ...row, di: 'B123PROD1', gtin: '09521234543213' };
    await expect(db().insertInto('hibc_links').values(orphan).execute()).rejects.toThrow(/FOREIGN KEY/);
    expect(await listHibcLinks(db())).toEqual([row]);
  });
});
