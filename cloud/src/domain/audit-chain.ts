import { createHash } from 'node:crypto';

/** One entry of the audit trail as stored (`audit_log`). */
export interface AuditLogTable {
  seq: number;
  at: number;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  before_json: string | null;
  after_json: string | null;
  reason: string;
  prev_hash: string;
  hash: string;
}

/** Hash that precedes the first entry of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a caller appends; `seq`, `prev_hash` and `hash` are assigned when it is linked (`linkAuditEntries`). */
export interface AuditInput {
  actor: string;
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
  reason: string;
}

/** JSON with object keys sorted at every level: one byte string per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 over the previous hash and the entry's canonical content (docs/architecture.md "Audit trail"). */
export function auditHash(row: Omit<AuditLogTable, 'hash'>): string {
  const content = canonicalJson({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    before: row.before_json,
    after: row.after_json,
    reason: row.reason,
  });
  return createHash('sha256').update(row.prev_hash).update('\n').update(content).digest('hex');
}

export interface AuditVerifyResult {
  ok: boolean;
  entries: number;
  /** The first entry that does not verify (or where one is missing), with why. */
  firstBroken: {
    seq: number;
    problem: 'changed' | 'missing' | 'reordered' | 'head_mismatch';
    detail: string;
  } | null;
}

/**
 * Verifies a chain given in storage order (by seq): consecutive seq from 1, each `prev_hash` equal to the
 * previous entry's `hash`, and each `hash` recomputed from the content. A changed entry fails its own
 * hash; a deleted one leaves a seq gap; swapped entries break the seq order or the prev-hash links.
 * The head (last seq and hash, kept in its own row) catches the removal of the newest entries.
 */
export function verifyAuditChain(
  rows: readonly AuditLogTable[],
  head?: { seq: number; hash: string } | undefined,
): AuditVerifyResult {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const r of rows) {
    if (r.seq !== expectedSeq) {
      return broken(
        rows.length,
        r.seq < expectedSeq ? r.seq : expectedSeq,
        r.seq < expectedSeq ? 'reordered' : 'missing',
        r.seq < expectedSeq
          ? `entry ${r.seq} appears after entry ${expectedSeq - 1}`
          : `entry ${expectedSeq} is missing (next stored entry is ${r.seq})`,
      );
    }
    if (r.prev_hash !== prev) {
      return broken(
        rows.length,
        r.seq,
        'reordered',
        `entry ${r.seq} does not link to the entry before it (prev_hash differs)`,
      );
    }
    if (auditHash(r) !== r.hash) {
      return broken(rows.length, r.seq, 'changed', `entry ${r.seq}: content does not match its hash`);
    }
    prev = r.hash;
    expectedSeq++;
  }
  if (head && (head.seq !== expectedSeq - 1 || head.hash !== prev)) {
    return broken(
      rows.length,
      expectedSeq,
      head.seq > expectedSeq - 1 ? 'missing' : 'head_mismatch',
      `the chain head records entry ${head.seq} but the log ends at entry ${expectedSeq - 1}`,
    );
  }
  return { ok: true, entries: rows.length, firstBroken: null };
}

function broken(
  entries: number,
  seq: number,
  problem: NonNullable<AuditVerifyResult['firstBroken']>['problem'],
  detail: string,
): AuditVerifyResult {
  return { ok: false, entries, firstBroken: { seq, problem, detail } };
}

/**
 * The rows that append `entries` after `head`: consecutive seqs, each linked to the previous hash. Used by
 * the stores' appenders (`store/audit-append.ts`; the SQLite ingest store writes in its own synchronous
 * transaction).
 */
export function linkAuditEntries(
  head: { seq: number; hash: string },
  entries: readonly AuditInput[],
  at: number,
): AuditLogTable[] {
  let seq = head.seq;
  let prev = head.hash;
  const rows: AuditLogTable[] = [];
  for (const e of entries) {
    seq++;
    const row = {
      seq,
      at,
      actor: e.actor,
      action: e.action,
      entity_type: e.entityType,
      entity_id: e.entityId,
      before_json: e.before === undefined ? null : canonicalJson(e.before),
      after_json: e.after === undefined ? null : canonicalJson(e.after),
      reason: e.reason,
      prev_hash: prev,
    };
    const hash = auditHash(row);
    rows.push({ ...row, hash });
    prev = hash;
  }
  return rows;
}
