import type { Kysely } from 'kysely';
import type { DeepMasterTable, DeepVerifyData } from '../domain/deep-verify-types.js';
import { readAuditLog } from './audit-trail.js';
import { verifyReadingDigests } from './reading-digest-reads.js';
import type { DomainDatabase } from './schema.js';

/** Master-data tables and the audit entity type and key their changes are recorded under. */
const MASTER: ReadonlyArray<{
  kind: string;
  table: 'locations' | 'products' | 'lots' | 'sensors' | 'portals' | 'hibc_links';
  key: string;
}> = [
  { kind: 'location', table: 'locations', key: 'id' },
  { kind: 'product', table: 'products', key: 'gtin' },
  { kind: 'lot', table: 'lots', key: 'id' },
  { kind: 'sensor', table: 'sensors', key: 'id' },
  { kind: 'portal', table: 'portals', key: 'id' },
  { kind: 'hibc_link', table: 'hibc_links', key: 'di' },
];

/** What `audit verify --deep` compares (domain/deep-verify.ts): the whole trail and the tables it accounts for. */
export async function readDeepVerifyData(db: Kysely<DomainDatabase>): Promise<DeepVerifyData> {
  const audit = await readAuditLog(db);
  const locks = await db
    .selectFrom('locks')
    .select(['epc', 'cause', 'rule_key', 'state', 'disposition_id', 'hold_reason'])
    .orderBy('epc')
    .orderBy('rule_key')
    .execute();
  const holds = await db
    .selectFrom('quantity_holds')
    .select([
      'lot_id',
      'location_id',
      'excursion_id',
      'units',
      'exposed_from',
      'exposed_to',
      'state',
      'disposition_id',
      'hold_reason',
      'decided_version',
      'decided_units',
    ])
    .orderBy('lot_id')
    .orderBy('location_id')
    .orderBy('excursion_id')
    .execute();
  const dispositions = await db.selectFrom('dispositions').selectAll().orderBy('signed_at').execute();
  const excursions = await db
    .selectFrom('excursions')
    .selectAll()
    .where('id', 'in', db.selectFrom('dispositions').select('excursion_id'))
    .execute();
  const users = await db
    .selectFrom('users')
    .select(['id', 'username', 'printed_name', 'roles', 'disabled'])
    .orderBy('username')
    .execute();
  const master: DeepMasterTable[] = [];
  for (const m of MASTER) {
    const rows = (await db.selectFrom(m.table).selectAll().execute()) as Array<Record<string, unknown>>;
    master.push({ ...m, rows });
  }
  return {
    audit,
    locks,
    holds,
    dispositions,
    excursions,
    users,
    master,
    readingDigests: await verifyReadingDigests(db),
  };
}
