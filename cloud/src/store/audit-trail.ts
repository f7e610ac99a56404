import { type Kysely, type Selectable, sql } from 'kysely';
import { type AuditVerifyResult, GENESIS_HASH, verifyAuditChain } from '../domain/audit-chain.js';
import {
  type AuditEntryData,
  describeAuditEntry,
  type NameKind,
  type NameLookup,
} from '../domain/audit-summary.js';
import type { AuditLogTable, DomainDatabase } from './schema.js';

/** The whole trail in seq order, read in pages of 5,000 (also what `audit verify --deep` replays). */
export async function readAuditLog(db: Kysely<DomainDatabase>): Promise<AuditLogTable[]> {
  const rows: AuditLogTable[] = [];
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(5000)
      .execute();
    rows.push(...page);
    if (page.length < 5000) break;
    after = Number(page[page.length - 1]!.seq);
  }
  return rows;
}

/** Reads the whole trail and verifies it against the head row. */
export async function verifyAuditTrail(db: Kysely<DomainDatabase>): Promise<AuditVerifyResult> {
  const rows = await readAuditLog(db);
  // Rows are read by seq, so a swap of seq values is seen as broken links; a swap of content as hashes.
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return verifyAuditChain(rows, head ?? { seq: 0, hash: GENESIS_HASH });
}

/** What GET /api/v1/audit and its exports select (docs/qa-pages.md "Audit trail"). */
export interface AuditFilter {
  entityType?: string | undefined;
  entityId?: string | undefined;
  /** The recorded actor (a username, `system`, a gateway id). */
  actor?: string | undefined;
  /** An action (`location.updated`) or its family (`location`, `disposition`). */
  action?: string | undefined;
  /** Entries recorded at or after this time (epoch ms). */
  from?: number | undefined;
  /** Entries recorded before this time (epoch ms). */
  to?: number | undefined;
  afterSeq?: number | undefined;
  beforeSeq?: number | undefined;
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
}

/** Audit entries matching `f`, by seq (oldest first unless `order: 'desc'`), at most `limit` (1000). */
export function listAuditEntries(db: Kysely<DomainDatabase>, f: AuditFilter): Promise<AuditLogTable[]> {
  let s = db.selectFrom('audit_log').selectAll();
  if (f.entityType) s = s.where('entity_type', '=', f.entityType);
  if (f.entityId) s = s.where('entity_id', '=', f.entityId);
  if (f.actor) s = s.where('actor', '=', f.actor);
  if (f.action) {
    const family = `${f.action}.`;
    // A family by its prefix; compared with substr, not LIKE, because actions contain `_` (a LIKE wildcard).
    s = s.where((eb) =>
      eb.or([
        eb('action', '=', f.action!),
        eb(sql<string>`substr(action, 1, ${sql.lit(family.length)})`, '=', family),
      ]),
    );
  }
  if (f.from !== undefined) s = s.where('at', '>=', f.from);
  if (f.to !== undefined) s = s.where('at', '<', f.to);
  if (f.afterSeq !== undefined) s = s.where('seq', '>', f.afterSeq);
  if (f.beforeSeq !== undefined) s = s.where('seq', '<', f.beforeSeq);
  return s
    .orderBy('seq', f.order ?? 'asc')
    .limit(f.limit ?? 1000)
    .execute();
}

/** The chain head (last seq and its hash), or the genesis for an empty trail. */
export async function auditChainHead(db: Kysely<DomainDatabase>): Promise<{ seq: number; hash: string }> {
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: GENESIS_HASH };
}

/** The actors (with printed names where they are users), actions and entity types on the trail. */
export async function auditFacets(db: Kysely<DomainDatabase>): Promise<{
  actors: Array<{ actor: string; name: string }>;
  actions: string[];
  entityTypes: string[];
}> {
  const actors = await db
    .selectFrom('audit_log')
    .leftJoin('users', 'users.username', 'audit_log.actor')
    .select(['audit_log.actor', 'users.printed_name'])
    .distinct()
    .orderBy('audit_log.actor')
    .execute();
  const actions = await db.selectFrom('audit_log').select('action').distinct().orderBy('action').execute();
  const types = await db
    .selectFrom('audit_log')
    .select('entity_type')
    .distinct()
    .orderBy('entity_type')
    .execute();
  return {
    actors: actors.map((r) => ({ actor: r.actor, name: r.printed_name ?? r.actor })),
    actions: actions.map((r) => r.action),
    entityTypes: types.map((r) => r.entity_type),
  };
}

/**
 * The display names the entries mention (locations, sensors, gateways, portals, lots with their product,
 * products, users by username or id), read in one query per kind: the formatter is run once to learn
 * which ids it asks for, then answered from the maps.
 */
export async function auditNameLookup(
  db: Kysely<DomainDatabase>,
  entries: readonly AuditEntryData[],
): Promise<NameLookup> {
  const wanted = new Map<NameKind, Set<string>>();
  const recorder: NameLookup = (kind, id) => {
    if (!wanted.has(kind)) wanted.set(kind, new Set());
    wanted.get(kind)!.add(id);
    return undefined;
  };
  for (const e of entries) describeAuditEntry(e, recorder);
  const names = new Map<string, string>();
  const put = (kind: NameKind, id: string, name: string | null) => {
    if (name) names.set(`${kind}\u0000${id}`, name);
  };
  for (const [kind, set] of wanted) {
    const ids = [...set];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      if (kind === 'location')
        for (const r of await db
          .selectFrom('locations')
          .select(['id', 'name'])
          .where('id', 'in', chunk)
          .execute())
          put(kind, r.id, r.name);
      else if (kind === 'sensor')
        for (const r of await db
          .selectFrom('sensors')
          .select(['id', 'name'])
          .where('id', 'in', chunk)
          .execute())
          put(kind, r.id, r.name);
      else if (kind === 'gateway')
        for (const r of await db
          .selectFrom('gateways')
          .select(['id', 'name'])
          .where('id', 'in', chunk)
          .execute())
          put(kind, r.id, r.name);
      else if (kind === 'portal')
        for (const r of await db
          .selectFrom('portals')
          .select(['id', 'name'])
          .where('id', 'in', chunk)
          .execute())
          put(kind, r.id, r.name);
      else if (kind === 'product')
        for (const r of await db
          .selectFrom('products')
          .select(['gtin', 'name'])
          .where('gtin', 'in', chunk)
          .execute())
          put(kind, r.gtin, r.name);
      else if (kind === 'lot')
        for (const r of await db
          .selectFrom('lots')
          .leftJoin('products', 'products.gtin', 'lots.gtin')
          .select(['lots.id', 'lots.lot_number', 'products.name'])
          .where('lots.id', 'in', chunk)
          .execute())
          put(kind, r.id, lotName(r.id, r.name, r.lot_number));
      else if (kind === 'user')
        for (const r of await db
          .selectFrom('users')
          .select(['id', 'username', 'printed_name'])
          .where((eb) => eb.or([eb('username', 'in', chunk), eb('id', 'in', chunk)]))
          .execute()) {
          put(kind, r.username, r.printed_name);
          put(kind, r.id, `${r.printed_name} (${r.username})`);
        }
    }
  }
  return (kind, id) => names.get(`${kind}\u0000${id}`);
}

/** `LOT-A (Insulin pens, lot no. L2026A)` */
function lotName(id: string, product: string | null, lotNumber: string): string {
  const parts = [product, lotNumber !== id ? `lot no. ${lotNumber}` : null].filter(Boolean);
  return parts.length ? `${id} (${parts.join(', ')})` : id;
}

/**
 * An audit row as the API, the pages and the reports show it (docs/architecture.md "Audit trail"): the
 * stored before/after parsed, camelCase names; what `describeAuditEntry` describes.
 */
export function auditEntryView(a: Selectable<AuditLogTable>) {
  return {
    seq: a.seq,
    at: a.at,
    actor: a.actor,
    action: a.action,
    entityType: a.entity_type,
    entityId: a.entity_id,
    before: a.before_json === null ? null : (JSON.parse(a.before_json) as unknown),
    after: a.after_json === null ? null : (JSON.parse(a.after_json) as unknown),
    reason: a.reason,
    hash: a.hash,
  };
}
