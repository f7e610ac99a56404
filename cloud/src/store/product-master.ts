import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { parseStoredRules } from '../domain/cumulative-rules.js';
import { type SignedChange, signatureRecord } from '../domain/e-signature.js';
import { type ProductSpec, productSpecOf } from '../domain/product-specs.js';
import {
  changesFrom,
  indexInForce,
  iso,
  jsonTime,
  newestAfter,
  replacesText,
  type SpecEffect,
  type SpecVersion,
  timeline,
} from '../domain/spec-versions.js';
import { appendAudit } from './audit-append.js';
import { insertMarks, marksDb } from './evaluation-marks.js';
import type { DomainDatabase, ProductsTable } from './schema.js';
import { addVersion, insertInitialVersion, specsInForce } from './spec-version-repo.js';

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
 * Annex 11 §10 change control, 21 CFR 11.50) as a new version in force from `effect.effectiveFrom`
 * (docs/domain.md "Effective-dated specifications"): the audit entry carries signer, meaning, reason,
 * before/after, the version and its effectiveFrom. Undefined when nothing changes.
 */
export async function changeProductSpecification(
  db: Kysely<DomainDatabase>,
  gtin: string,
  spec: ProductSpecification,
  now: number,
  signed: SignedChange,
  effect: SpecEffect = { kind: 'change', effectiveFrom: now, dataNow: now },
): Promise<Selectable<ProductsTable> | undefined> {
  validate({ gtin, ...spec });
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('products').selectAll().where('gtin', '=', gtin).executeTakeFirst();
    if (!before) throw new ColdtraceError('not_found', `product ${gtin} not found`);
    const next = { gtin, name: before.name, ...spec };
    return writeVersion(trx, before, next, now, signed.signer.username, signed.reason, effect, signed);
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
): Promise<Selectable<ProductsTable>> {
  if (before && SPECIFICATION.some((f) => before[f] !== p[f])) {
    // A program seeding master data replaces the specification for all time, as a correction from the beginning.
    const effect = { kind: 'correction', effectiveFrom: Number.NEGATIVE_INFINITY, dataNow: now } as const;
    return (await writeVersion(trx, before, p, now, actor, reason, effect)) ?? before;
  }
  const row = { ...p, created_at: before?.created_at ?? now, updated_at: now };
  await trx
    .insertInto('products')
    .values(row)
    .onConflict((oc) => oc.column('gtin').doUpdateSet({ name: p.name, updated_at: now }))
    .execute();
  if (!before) {
    // Version 1, in force from the beginning; units already commissioned to its lots are evaluated.
    await insertInitialVersion(trx, 'product', p.gtin, productSpecOf(p), { at: now, actor, reason });
    await insertMarks(marksDb(trx), 'product', [p.gtin], null, now);
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
        after: before ? row : { ...row, version: 1, effectiveFrom: null },
        reason,
      },
    ],
    now,
  );
  return row;
}

const sameSpec = (a: ProductSpec, b: ProductSpec) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A new version of a product's specification in force from `effect.effectiveFrom`; the row keeps the
 * newest version's specification. Undefined (nothing written) when every version in force from then on
 * already has it and the name is the same.
 */
async function writeVersion(
  trx: Transaction<DomainDatabase>,
  before: Selectable<ProductsTable>,
  p: ProductInput & { cumulative_rules: string },
  now: number,
  actor: string,
  reason: string,
  effect: SpecEffect,
  signed?: SignedChange,
): Promise<Selectable<ProductsTable> | undefined> {
  const spec = productSpecOf(p);
  const line = timeline(await productVersions(trx, before));
  const from = effect.effectiveFrom;
  const prev = line[indexInForce(line, from)]!;
  if (before.name === p.name && !changesFrom(line, from, spec, sameSpec)) return undefined;

  const plan = await addVersion(
    trx,
    'product',
    p.gtin,
    { kind: effect.kind, effectiveFrom: from, spec, now: effect.dataNow },
    { at: now, actor, reason },
  );
  const newest = newestAfter(line, plan);
  const columns = {
    min_c: newest.minC,
    max_c: newest.maxC,
    stability_budget_ms: newest.stabilityBudgetMs,
    cumulative_rules: JSON.stringify(newest.cumulativeRules),
  };
  const row = { ...before, name: p.name, ...columns, updated_at: now };
  await trx
    .updateTable('products')
    .set({ name: p.name, ...columns, updated_at: now })
    .where('gtin', '=', p.gtin)
    .execute();
  const correction = effect.kind === 'correction';
  const at = new Date(now).toISOString();
  const replaces = replacesText(plan);
  const cause = !correction
    ? `specification of product ${p.gtin} changed by ${actor} at ${at}, version ${plan.next.version} effective from ${iso(from)}`
    : signed
      ? `specification of product ${p.gtin} corrected retroactively by ${actor} at ${at} from ${iso(from)} (${replaces})`
      : `cumulative rules of product ${p.gtin} changed by ${actor} at ${at} for all time (${replaces})`;
  // Its units' rules are re-evaluated, durably; a change by a person is a master-data change, which never
  // lifts a lock (docs/architecture.md "Affected stock and locks").
  await insertMarks(marksDb(trx), 'product', [p.gtin], cause, now);
  const after = {
    ...row,
    version: plan.next.version,
    effectiveFrom: jsonTime(from),
    versionKind: effect.kind,
    replacesVersions: plan.replaced,
  };
  await appendAudit(
    trx,
    [
      {
        actor,
        action: correction && signed ? 'product.specification_corrected' : 'product.updated',
        entityType: 'product',
        entityId: p.gtin,
        before: { ...before, version: prev.version, effectiveFrom: jsonTime(prev.effectiveFrom) },
        after: signed
          ? {
              ...after,
              signature: signatureRecord(signed, { entityType: 'product', entityId: p.gtin, content: after }),
            }
          : after,
        reason,
      },
    ],
    now,
  );
  return row;
}

/** A product's specification versions in force; a product without any (none recorded) has its row's. */
export async function productVersions(
  db: Kysely<DomainDatabase> | Transaction<DomainDatabase>,
  p: Selectable<ProductsTable>,
): Promise<SpecVersion<ProductSpec>[]> {
  const versions = await specsInForce<ProductSpec>(db, 'product', p.gtin);
  return versions.length > 0
    ? versions
    : [{ version: 1, effectiveFrom: Number.NEGATIVE_INFINITY, spec: productSpecOf(p) }];
}
