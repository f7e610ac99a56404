import type { AuditLogTable } from './audit-chain.js';
import { type DeepCheck, type DeepFinding, entryJson, sameValue, show } from './deep-verify-types.js';
import { sealManifest, specificationManifest } from './signature-manifest.js';

/** What the trail last recorded for each column of an entity, with the entry that recorded it. */
type Replayed = Map<string, { values: Map<string, { value: unknown; seq: number }>; seq: number }>;

function replay(
  audit: readonly AuditLogTable[],
  entityType: string,
  valuesOf: (e: AuditLogTable, after: Record<string, unknown>) => Record<string, unknown> | undefined,
  /** An entry recording the row's removal: the row must not exist after it (until created again). */
  removes?: (e: AuditLogTable) => boolean,
): Replayed {
  const out: Replayed = new Map();
  for (const e of audit) {
    if (e.entity_type !== entityType) continue;
    if (removes?.(e)) {
      out.delete(e.entity_id);
      continue;
    }
    const after = entryJson(e.after_json);
    const values = after && valuesOf(e, after);
    if (!values) continue;
    const was = out.get(e.entity_id) ?? { values: new Map(), seq: e.seq };
    for (const [k, v] of Object.entries(values)) was.values.set(k, { value: v, seq: e.seq });
    was.seq = e.seq;
    out.set(e.entity_id, was);
  }
  return out;
}

function compare(
  check: string,
  table: string,
  rows: ReadonlyArray<{ id: string; label?: string; row: Record<string, unknown> }>,
  replayed: Replayed,
): DeepFinding[] {
  const out: DeepFinding[] = [];
  const f = (row: string, seq: number | null, detail: string) =>
    out.push({ check, table, row, auditSeq: seq, detail });
  const seen = new Set<string>();
  for (const { id, label = id, row } of rows) {
    seen.add(id);
    const x = replayed.get(id);
    if (!x) {
      f(label, null, 'no audit entry records this row (written outside the audited path)');
      continue;
    }
    for (const [col, { value, seq }] of x.values) {
      if (!(col in row)) continue; // a column dropped since: nothing to compare
      if (!sameValue(row[col], value))
        f(label, seq, `${col} ${show(row[col])}, but audit entry ${seq} recorded ${show(value)}`);
    }
  }
  for (const [id, x] of replayed) {
    if (!seen.has(id)) f(id, x.seq, `missing: audit entry ${x.seq} recorded it; the row was deleted`);
  }
  return out;
}

/**
 * Users against `user.*` entries (21 CFR 11.10(d), (g): who may sign): roles, printed name and disabled
 * flag as the trail last set them, so a role granted by a direct edit is found.
 */
export const userCheck: DeepCheck = {
  name: 'users',
  covers: 'user roles, printed names and disabled flags replayed from user.* entries',
  run({ audit, users }) {
    const replayed = replay(audit, 'user', (e, a) => {
      const v: Record<string, unknown> = {};
      if (e.action === 'user.created') {
        v.username = a.username;
        v.printed_name = a.printedName;
        v.roles = a.roles;
        v.disabled = a.disabled;
      }
      if ('roles' in a) v.roles = a.roles;
      if ('printedName' in a) v.printed_name = a.printedName;
      if ('disabled' in a) v.disabled = a.disabled;
      return v;
    });
    return compare(
      'users',
      'users',
      users.map((u) => ({ id: u.id, label: `${u.id} (${u.username})`, row: { ...u } })),
      replayed,
    );
  },
};

/** Entries whose `after` is the row as written: created, updated, and a specification's retroactive correction. */
const recordsRow = (kind: string, action: string) =>
  action === `${kind}.created` ||
  action === `${kind}.updated` ||
  (action.startsWith(`${kind}.`) && action.endsWith('_corrected'));

/** Bookkeeping columns, not master data: stamped by writes whatever changed. */
const BOOKKEEPING = new Set(['created_at', 'updated_at']);

/**
 * Master data against `<kind>.created` / `<kind>.updated` / `<kind>.*_corrected` entries (EU GMP Annex 11
 * §9, §10): every column the trail recorded (limits, tolerances, rules, lots' product and expiry, ...) as its
 * last entry left it; a row a `<kind>.deleted` entry removed (an HIBC link) must be gone.
 */
export const masterDataCheck: DeepCheck = {
  name: 'master data',
  covers: 'master-data rows replayed from <kind>.created/updated entries',
  run({ audit, master }) {
    return master.flatMap((t) => {
      const replayed = replay(
        audit,
        t.kind,
        (e, a) => {
          if (!recordsRow(t.kind, e.action)) return undefined;
          const v: Record<string, unknown> = {};
          for (const [k, value] of Object.entries(a)) {
            if (!BOOKKEEPING.has(k) && (value === null || typeof value !== 'object')) v[k] = value;
          }
          return v;
        },
        (e) => e.action === `${t.kind}.deleted`,
      );
      return compare(
        'master data',
        t.table,
        t.rows.map((row) => ({ id: String(row[t.key]), row })),
        replayed,
      );
    });
  },
};

/**
 * Signed specification changes (21 CFR 11.70): each signature's manifest recomputed from the entry it signs:
 * its hash, the entity, and the digest of the state approved (the entry's `after` without the signature).
 */
export const specificationManifestCheck: DeepCheck = {
  name: 'specification signatures',
  covers: 'manifests of signed specification changes recomputed from their entries',
  run({ audit }) {
    const out: DeepFinding[] = [];
    for (const e of audit) {
      const after = entryJson(e.after_json);
      const sig = after?.signature as Record<string, unknown> | undefined;
      if (!after || !sig || typeof sig.manifestHash !== 'string') continue;
      const { signature: _signature, ...content } = after;
      const m = sealManifest((sig.manifest ?? {}) as Record<string, unknown>);
      const recomputed = specificationManifest({
        entityType: e.entity_type,
        entityId: e.entity_id,
        content,
        meaning: String(sig.meaning),
        reason: e.reason,
        signer: {
          userId: String(sig.signerId),
          username: String(sig.username),
          printedName: String(sig.printedName),
        },
        signedAt: Number(sig.signedAt),
      });
      if (m.hash !== sig.manifestHash || recomputed.hash !== sig.manifestHash)
        out.push({
          check: 'specification signatures',
          table: 'audit_log',
          row: String(e.seq),
          auditSeq: e.seq,
          detail: `the signature's manifest ${sig.manifestHash} does not match the ${e.entity_type} ${e.entity_id} change it signs (recomputed ${recomputed.hash})`,
        });
    }
    return out;
  },
};
