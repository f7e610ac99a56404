import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { parseStoredRules } from '../domain/cumulative-rules.js';
import { type SignedChange, signatureRecord } from '../domain/e-signature.js';
import { appendAudit } from './audit-append.js';
import { insertMarks, marksDb } from './evaluation-marks.js';
import type { DomainDatabase, ProductsTable } from './schema.js';

/** `cumulative_rules` (canonical JSON, see cumulative-rules.ts): absent keeps the stored rules ('[]' when new). */
export type ProductInput = Omit<
  Selectable<ProductsTable>,
  'created_at' | 'updated_at' | 'cumulative_rules'
> & {
  cumulative_rules?: string | undefined;
};

/** A product's specification: tolerance, stability budget and cumulative rules (canonical JSON). */
export type ProductSpecification = Pick<
  Selectable<ProductsTable>,
  'min_c' | 'max_c' | 'stability_budget_ms' | 'cumulative_rules'
>;

export interface ProductWrite {
  actor: string;
  /**
   * Refuse (`forbidden`, nothing written) a change of an existing product's specification: the unsigned
   * master-data route, where it changes only through `changeProductSpecification`.
   */
  keepSpecification?: boolean | undefined;
}

const SPECIFICATION = ['min_c', 'max_c', 'stability_budget_ms', 'cumulative_rules'] as const;

/** Creates or updates a product (docs/architecture.md "Master data"), audited in the same transaction. */
export async function upsertProduct(
  db: Kysely<DomainDatabase>,
  p: ProductInput,
  now: number,
  by: ProductWrite,
): Promise<Selectable<ProductsTable>> {
  validate(p);
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('products').selectAll().where('gtin', '=', p.gtin).executeTakeFirst();
    const next = { ...p, cumulative_rules: p.cumulative_rules ?? before?.cumulative_rules ?? '[]' };
    if (before && by.keepSpecification && SPECIFICATION.some((f) => before[f] !== next[f])) {
      throw new ColdtraceError(
        'forbidden',
        `the specification of product ${p.gtin} (tolerance, stability budget, cumulative rules) changes only with PUT /api/v1/products/${p.gtin}/limits: role qa or admin, a reason and an e-signature (EU GMP Annex 11 §10, 21 CFR 11.200); nothing was changed`,
      );
    }
    return writeProduct(trx, before, next, now, by.actor, 'master data');
  });
}

/**
 * Changes the specification of an existing product (`not_found` otherwise) under an e-signature (EU GMP
 * Annex 11 §10 change control, 21 CFR 11.50): the audit entry carries signer, meaning and reason.
 */
export async function changeProductSpecification(
  db: Kysely<DomainDatabase>,
  gtin: string,
  spec: ProductSpecification,
  now: number,
  signed: SignedChange,
): Promise<Selectable<ProductsTable>> {
  validate({ gtin, ...spec });
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('products').selectAll().where('gtin', '=', gtin).executeTakeFirst();
    if (!before) throw new ColdtraceError('not_found', `product ${gtin} not found`);
    const next = { gtin, name: before.name, ...spec };
    return writeProduct(trx, before, next, now, signed.signer.username, signed.reason, signed);
  });
}

function validate(p: { gtin: string; min_c: number; max_c: number; cumulative_rules?: string | undefined }) {
  if (!(p.min_c < p.max_c)) throw new ColdtraceError('invalid', 'product tolerance: minC must be below maxC');
  if (p.cumulative_rules === undefined) return;
  try {
    parseStoredRules(p.gtin, p.cumulative_rules);
  } catch (err) {
    throw new ColdtraceError('invalid', errorMessage(err));
  }
}

async function writeProduct(
  trx: Transaction<DomainDatabase>,
  before: Selectable<ProductsTable> | undefined,
  p: ProductInput & { cumulative_rules: string },
  now: number,
  actor: string,
  reason: string,
  signed?: SignedChange,
): Promise<Selectable<ProductsTable>> {
  const row = { ...p, created_at: before?.created_at ?? now, updated_at: now };
  await trx
    .insertInto('products')
    .values(row)
    .onConflict((oc) =>
      oc.column('gtin').doUpdateSet({
        name: p.name,
        min_c: p.min_c,
        max_c: p.max_c,
        stability_budget_ms: p.stability_budget_ms,
        cumulative_rules: p.cumulative_rules,
        updated_at: now,
      }),
    )
    .execute();
  // New rules (or none any more) change which units are locked: the engine re-evaluates the product's units,
  // durably; a change by a person is a master-data change, which never lifts a lock.
  if (before?.cumulative_rules !== p.cumulative_rules) {
    const cause = before
      ? `cumulative rules of product ${p.gtin} changed by ${actor} at ${new Date(now).toISOString()}`
      : null;
    await insertMarks(marksDb(trx), 'product', [p.gtin], cause, now);
  }
  await appendAudit(
    trx,
    [
      {
        actor,
        action: before ? 'product.updated' : 'product.created',
        entityType: 'product',
        entityId: p.gtin,
        before,
        after: signed ? { ...row, signature: signatureRecord(signed) } : row,
        reason,
      },
    ],
    now,
  );
  return row;
}
