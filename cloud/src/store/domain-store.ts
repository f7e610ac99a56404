import { ColdtraceError } from '@coldtrace/shared';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuditInput } from '../domain/audit-chain.js';
import { commissioningChange, epcsToCommission } from '../domain/commissioning.js';
import type { SignedChange } from '../domain/e-signature.js';
import { epcSummary } from '../domain/epc-summary.js';
import { lotChange } from '../domain/lot-change.js';
import { masterDataAudit, webhookAudit } from '../domain/master-data-audit.js';
import { appendAudit } from './audit-append.js';
import type { CloudStore } from './cloud-store.js';
import { insertMarks, marksDb } from './evaluation-marks.js';
import {
  changeProductSpecification,
  type ProductInput,
  type ProductSpecification,
  upsertProduct,
} from './product-master.js';
import { pageLocks } from './queries/list-locks.js';
import type {
  Database,
  LotsTable,
  PortalsTable,
  ProductsTable,
  SensorsTable,
  WebhookEndpointsTable,
} from './schema.js';

export type LotInput = Omit<LotsTable, 'created_at' | 'updated_at'>;
export type PortalInput = Omit<PortalsTable, 'created_at' | 'updated_at'>;
type CalibrationColumns = 'serial_number' | 'calibration_certificate' | 'calibrated_at' | 'calibration_due';
/** A sensor as written: serial number and calibration may be left out (none recorded). */
export type SensorInput = Omit<SensorsTable, 'created_at' | 'updated_at' | CalibrationColumns> &
  Partial<Pick<SensorsTable, CalibrationColumns>>;
export type WebhookInput = Omit<WebhookEndpointsTable, 'created_at'>;

/**
 * Master data of the domain (products, lots, EPC commissioning, portals, sensors, webhook endpoints)
 * over Kysely, the same for SQLite and PostgreSQL. Every change is a human action on the audit trail,
 * appended in the same transaction.
 */
export class DomainStore {
  readonly db: Kysely<Database>;
  constructor(readonly store: CloudStore) {
    this.db = store.db;
  }

  /** Runs `fn` in a transaction and appends its audit entries there. */
  async audited<T>(
    now: number,
    fn: (trx: Transaction<Database>, audit: AuditInput[]) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const audit: AuditInput[] = [];
      const r = await fn(trx, audit);
      await appendAudit(trx, audit, now);
      return r;
    });
  }

  // ---- products --------------------------------------------------------------------------------

  /** See product-master.ts; `keepSpecification` refuses a change of an existing product's specification. */
  upsertProduct(
    p: ProductInput,
    actor: string,
    now: number,
    opts: { keepSpecification?: boolean } = {},
  ): Promise<Selectable<ProductsTable>> {
    return upsertProduct(this.db, p, now, { actor, ...opts });
  }

  /** An e-signed change of an existing product's tolerance, stability budget and rules (product-master.ts). */
  changeProductSpecification(gtin: string, spec: ProductSpecification, now: number, signed: SignedChange) {
    return changeProductSpecification(this.db, gtin, spec, now, signed);
  }

  getProduct(gtin: string) {
    return this.db.selectFrom('products').selectAll().where('gtin', '=', gtin).executeTakeFirst();
  }

  listProducts() {
    return this.db.selectFrom('products').selectAll().orderBy('gtin').execute();
  }

  // ---- lots ------------------------------------------------------------------------------------

  /** Creates or changes a lot as `lotChange` (domain/lot-change.ts) decides. */
  async upsertLot(l: LotInput, actor: string, now: number): Promise<LotsTable> {
    return this.audited(now, async (trx, audit) => {
      const product = await trx
        .selectFrom('products')
        .select('gtin')
        .where('gtin', '=', l.gtin)
        .executeTakeFirst();
      const before = await trx.selectFrom('lots').selectAll().where('id', '=', l.id).executeTakeFirst();
      const clash = await trx
        .selectFrom('lots')
        .select('id')
        .where('gtin', '=', l.gtin)
        .where('lot_number', '=', l.lot_number)
        .where('id', '!=', l.id)
        .executeTakeFirst();
      const unit = await trx
        .selectFrom('epcs')
        .select('epc')
        .where('lot_id', '=', l.id)
        .limit(1)
        .executeTakeFirst();
      const { row, audit: entry } = lotChange(
        l,
        { productRegistered: Boolean(product), before, clashId: clash?.id, hasUnits: Boolean(unit) },
        actor,
        now,
      );
      await trx
        .insertInto('lots')
        .values(row)
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet({ gtin: l.gtin, lot_number: l.lot_number, expiry: l.expiry, updated_at: now }),
        )
        .execute();
      audit.push(entry);
      return row;
    });
  }

  getLot(id: string) {
    return this.db.selectFrom('lots').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listLots() {
    return this.db.selectFrom('lots').selectAll().orderBy('id').execute();
  }

  /** Commissions EPCs to a lot as `epcsToCommission` and `commissioningChange` decide (commissioning.ts). */
  async commission(
    lotId: string,
    epcs: readonly string[],
    actor: string,
    now: number,
  ): Promise<{ added: number }> {
    const lot = await this.getLot(lotId);
    if (!lot) throw new ColdtraceError('not_found', `lot ${lotId} not found`);
    const norm = epcsToCommission(lot, epcs);
    return this.audited(now, async (trx, audit) => {
      const existing = new Map<string, string>();
      for (let i = 0; i < norm.length; i += 500) {
        const rows = await trx
          .selectFrom('epcs')
          .select(['epc', 'lot_id'])
          .where('epc', 'in', norm.slice(i, i + 500))
          .execute();
        for (const r of rows) existing.set(r.epc, r.lot_id);
      }
      const { fresh, audit: entries } = commissioningChange(lotId, norm, existing, actor);
      for (let i = 0; i < fresh.length; i += 500) {
        await trx
          .insertInto('epcs')
          .values(fresh.slice(i, i + 500).map((epc) => ({ epc, lot_id: lotId, commissioned_at: now })))
          .execute();
      }
      // Their cumulative rules (if their product has any) apply from now: the units are re-evaluated by the
      // engine, durably (docs/architecture.md "Evaluation marks").
      await insertMarks(marksDb(trx), 'epc', fresh, null, now);
      audit.push(...entries);
      return { added: fresh.length };
    });
  }

  // ---- portals, sensors, webhooks --------------------------------------------------------------

  async upsertPortal(p: PortalInput, actor: string, now: number) {
    return this.upsertSimple('portals', p, actor, now);
  }
  listPortals() {
    return this.db.selectFrom('portals').selectAll().orderBy('id').execute();
  }

  async upsertSensor(s: SensorInput, actor: string, now: number) {
    if (!(await this.store.getLocation(s.location_id))) {
      throw new ColdtraceError('invalid', `sensor ${s.id}: location ${s.location_id} is not registered`);
    }
    return this.upsertSimple('sensors', s, actor, now);
  }
  listSensors() {
    return this.db.selectFrom('sensors').selectAll().orderBy('id').execute();
  }

  private async upsertSimple<T extends 'portals' | 'sensors'>(
    table: T,
    v: T extends 'portals' ? PortalInput : SensorInput,
    actor: string,
    now: number,
  ) {
    return this.audited(now, async (trx, audit) => {
      const t: 'portals' | 'sensors' = table;
      const before = await trx.selectFrom(t).selectAll().where('id', '=', v.id).executeTakeFirst();
      const row = { ...v, created_at: before?.created_at ?? now, updated_at: now };
      await trx.deleteFrom(t).where('id', '=', v.id).execute();
      await trx.insertInto(t).values(row).execute();
      audit.push(masterDataAudit(table.slice(0, -1), v.id, before, row, actor));
      return row;
    });
  }

  async upsertWebhook(w: WebhookInput, actor: string, now: number) {
    return this.audited(now, async (trx, audit) => {
      const before = await trx
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('id', '=', w.id)
        .executeTakeFirst();
      await trx.deleteFrom('webhook_endpoints').where('id', '=', w.id).execute();
      const row = { ...w, created_at: before?.created_at ?? now };
      await trx.insertInto('webhook_endpoints').values(row).execute();
      audit.push(webhookAudit(before, row, actor));
      return row;
    });
  }
  listWebhooks() {
    return this.db.selectFrom('webhook_endpoints').selectAll().orderBy('id').execute();
  }

  // ---- EPCs ------------------------------------------------------------------------------------

  /** Everything known about one EPC (`epcSummary`, domain/epc-summary.ts). */
  async epcView(epcIn: string) {
    const epc = epcIn.toUpperCase();
    const [commissioning, custody, locks, moves] = await Promise.all([
      this.db.selectFrom('epcs').selectAll().where('epc', '=', epc).executeTakeFirst(),
      this.db.selectFrom('custody').selectAll().where('epc', '=', epc).orderBy('entered_at').execute(),
      this.db.selectFrom('locks').selectAll().where('epc', '=', epc).orderBy('created_at').execute(),
      this.db.selectFrom('movements').select('seq').where('epc', '=', epc).limit(1).execute(),
    ]);
    return epcSummary(epc, { commissioning, custody, locks, moved: moves.length > 0 });
  }

  /** EPCs seen in movements or commissioned; `uncommissioned` = seen but not commissioned to any lot. */
  async listEpcs(q: { uncommissioned?: boolean; lotId?: string; limit?: number } = {}) {
    const limit = q.limit ?? 1000;
    if (q.uncommissioned) {
      return this.db
        .selectFrom('custody')
        .leftJoin('epcs', 'epcs.epc', 'custody.epc')
        .select('custody.epc as epc')
        .distinct()
        .where('epcs.epc', 'is', null)
        .orderBy('custody.epc')
        .limit(limit)
        .execute()
        .then((rows) => rows.map((r) => ({ epc: r.epc, lotId: null as string | null })));
    }
    let s = this.db.selectFrom('epcs').select(['epc', 'lot_id']);
    if (q.lotId) s = s.where('lot_id', '=', q.lotId);
    return (await s.orderBy('epc').limit(limit).execute()).map((r) => ({
      epc: r.epc,
      lotId: r.lot_id as string | null,
    }));
  }

  /** Current location of each of the given EPCs (open custody interval). */
  async currentLocations(epcs: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < epcs.length; i += 500) {
      const rows = await this.db
        .selectFrom('custody')
        .select(['epc', 'location_id'])
        .where('epc', 'in', epcs.slice(i, i + 500))
        .where('left_at', 'is', null)
        .execute();
      for (const r of rows) out.set(r.epc, r.location_id);
    }
    return out;
  }

  // ---- locks -----------------------------------------------------------------------------------

  /** Locks with their unit's lot, in creation order (list-locks.ts), the first `limit` (10,000). */
  async listLocks(
    q: { state?: string; excursionId?: string; epc?: string; lotId?: string; limit?: number } = {},
  ) {
    return (await pageLocks(this.db, { ...q, limit: q.limit ?? 10_000 })).items;
  }

  listDispositions(q: { excursionId?: string; lotId?: string } = {}) {
    let s = this.db.selectFrom('dispositions').selectAll();
    if (q.excursionId) s = s.where('excursion_id', '=', q.excursionId);
    if (q.lotId) s = s.where('lot_id', '=', q.lotId);
    return s.orderBy('signed_at').execute();
  }

  getExcursion(id: string) {
    return this.db.selectFrom('excursions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  // ---- audit -----------------------------------------------------------------------------------

  /** Audit entries by sequence number: oldest first (page with `afterSeq`) or newest first (`beforeSeq`). */
  listAudit(
    q: {
      entityType?: string | undefined;
      entityId?: string | undefined;
      afterSeq?: number | undefined;
      beforeSeq?: number | undefined;
      order?: 'asc' | 'desc';
      limit?: number;
    } = {},
  ) {
    let s = this.db.selectFrom('audit_log').selectAll();
    if (q.entityType) s = s.where('entity_type', '=', q.entityType);
    if (q.entityId) s = s.where('entity_id', '=', q.entityId);
    if (q.afterSeq !== undefined) s = s.where('seq', '>', q.afterSeq);
    if (q.beforeSeq !== undefined) s = s.where('seq', '<', q.beforeSeq);
    return s
      .orderBy('seq', q.order ?? 'asc')
      .limit(q.limit ?? 1000)
      .execute();
  }
}
