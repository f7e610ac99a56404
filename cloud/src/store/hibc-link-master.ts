import { ColdtraceError, HIBC_DEVICE_IDENTIFIER } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import { masterDataAudit } from '../domain/master-data-audit.js';
import { appendAudit } from './audit-append.js';
import type { DomainDatabase, HibcLinksTable } from './schema.js';

/** The audit entity type (and action prefix: `hibc_link.created|updated|deleted`) of a link. */
export const HIBC_LINK = 'hibc_link';

function checkDi(di: string): void {
  if (!HIBC_DEVICE_IDENTIFIER.test(di)) {
    throw new ColdtraceError(
      'invalid',
      `di: ${JSON.stringify(di)} is not an HIBC device identifier (LIC of 4 characters, the first a letter; product number of 1-13 letters or digits; unit of measure digit)`,
    );
  }
}

/** Every link, by device identifier (docs/barcode.md "HIBC"). */
export function listHibcLinks(db: Kysely<DomainDatabase>): Promise<HibcLinksTable[]> {
  return db.selectFrom('hibc_links').selectAll().orderBy('di').execute();
}

/**
 * Links an HIBC device identifier to the GTIN of a registered product (`invalid` for a malformed DI or an
 * unknown product, nothing written), or changes its GTIN; audited with before and after in the same
 * transaction (EU GMP Annex 11 §9). The same GTIN again is no change: nothing written, nothing audited.
 */
export async function putHibcLink(
  db: Kysely<DomainDatabase>,
  link: { di: string; gtin: string },
  actor: string,
  now: number,
): Promise<HibcLinksTable> {
  checkDi(link.di);
  return db.transaction().execute(async (trx) => {
    const product = await trx
      .selectFrom('products')
      .select('gtin')
      .where('gtin', '=', link.gtin)
      .executeTakeFirst();
    if (!product) {
      throw new ColdtraceError(
        'invalid',
        `gtin: product ${link.gtin} is not in master data (register it first: PUT /api/v1/products/${link.gtin})`,
      );
    }
    const before = await trx
      .selectFrom('hibc_links')
      .selectAll()
      .where('di', '=', link.di)
      .executeTakeFirst();
    if (before?.gtin === link.gtin) return before;
    const row: HibcLinksTable = {
      di: link.di,
      gtin: link.gtin,
      created_at: before?.created_at ?? now,
      updated_at: now,
    };
    await trx
      .insertInto('hibc_links')
      .values(row)
      .onConflict((oc) => oc.column('di').doUpdateSet({ gtin: row.gtin, updated_at: now }))
      .execute();
    await appendAudit(trx, [masterDataAudit(HIBC_LINK, link.di, before, row, actor)], now);
    return row;
  });
}

/**
 * Removes a link (`not_found` when there is none), audited with the removed row as `before`. Scans already
 * mapped through it keep their custody; later scans of the device become `scan_hibc_unlinked` dead letters
 * unless the cloud config still links it.
 */
export async function deleteHibcLink(
  db: Kysely<DomainDatabase>,
  di: string,
  actor: string,
  now: number,
): Promise<HibcLinksTable> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('hibc_links').selectAll().where('di', '=', di).executeTakeFirst();
    if (!before) throw new ColdtraceError('not_found', `HIBC link ${di} not found`);
    await trx.deleteFrom('hibc_links').where('di', '=', di).execute();
    await appendAudit(
      trx,
      [
        {
          actor,
          action: `${HIBC_LINK}.deleted`,
          entityType: HIBC_LINK,
          entityId: di,
          before,
          after: undefined,
          reason: 'master data',
        },
      ],
      now,
    );
    return before;
  });
}
