import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './audit-chain.js';
import type { DigestHead } from './reading-digests.js';

/**
 * Signed checkpoints (docs/architecture.md "Audit trail", checkpoints): the audit chain's head and each
 * gateway's reading-digest head, at a wall-clock time, signed with an Ed25519 key the database does not
 * hold and written where the database's users cannot rewrite it. Whoever rewrites the chain (deletes
 * entries and recomputes every hash and the head) or truncates it cannot make a signed checkpoint agree.
 */

export const CHECKPOINT_FORMAT = 'coldtrace-audit-checkpoint/1';

export interface CheckpointPayload {
  format: typeof CHECKPOINT_FORMAT;
  /** Wall-clock epoch ms when it was signed. */
  at: number;
  audit: { seq: number; hash: string };
  /** Each gateway's digest head, by gateway id. */
  readings: DigestHead[];
  /** SHA-256 of the signing key's public key (SPKI DER), hex: which key to check it with. */
  key: string;
}

export interface SignedCheckpoint extends CheckpointPayload {
  /** Ed25519 over the canonical JSON of the payload, base64. */
  signature: string;
}

/** The SHA-256 fingerprint of a public key (SPKI DER), hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

const payloadBytes = (p: CheckpointPayload) =>
  Buffer.from(
    canonicalJson({ format: p.format, at: p.at, audit: p.audit, readings: p.readings, key: p.key }),
  );

export function signCheckpoint(payload: CheckpointPayload, privateKey: KeyObject): SignedCheckpoint {
  return { ...payload, signature: sign(null, payloadBytes(payload), privateKey).toString('base64') };
}

/** A checkpoint read back (one file, or one line of the append-only file), or why it is not one. */
export function parseCheckpoint(text: string): SignedCheckpoint | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const c = v as Partial<SignedCheckpoint> | null;
  const hex64 = (h: unknown) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h);
  if (!c || typeof c !== 'object' || c.format !== CHECKPOINT_FORMAT) return `not a ${CHECKPOINT_FORMAT}`;
  if (!Number.isSafeInteger(c.at) || !hex64(c.key) || typeof c.signature !== 'string')
    return 'missing at, key or signature';
  if (!c.audit || !Number.isSafeInteger(c.audit.seq) || !hex64(c.audit.hash)) return 'bad audit head';
  if (
    !Array.isArray(c.readings) ||
    !c.readings.every(
      (h) => typeof h?.gateway === 'string' && Number.isSafeInteger(h.batches) && hex64(h.chain),
    )
  )
    return 'bad reading digest heads';
  return c as SignedCheckpoint;
}

/** Whether the signature is that of the key the checkpoint names, among `publicKeys`. */
export function signatureProblem(cp: SignedCheckpoint, publicKeys: ReadonlyMap<string, KeyObject>): string {
  const key = publicKeys.get(cp.key);
  if (!key) return `signed by key ${cp.key.slice(0, 16)}…, not a trusted public key`;
  const ok = verify(null, payloadBytes(cp), key, Buffer.from(cp.signature, 'base64'));
  return ok ? '' : 'the signature does not verify (forged or altered)';
}

export type CheckpointProblem =
  | 'unreadable'
  | 'bad_signature'
  | 'audit_truncated'
  | 'audit_rewritten'
  | 'digests_truncated'
  | 'digests_rewritten';

export interface CheckpointFinding {
  /** The file (and line, for the append-only file) it was read from. */
  source: string;
  problem: CheckpointProblem;
  detail: string;
}

/** What the database holds at a checkpoint's positions (read by the store). */
export interface ChainAtCheckpoint {
  auditHeadSeq: number;
  /** `audit_log.hash` of entry `cp.audit.seq`; undefined when there is no such entry. */
  auditHash: string | undefined;
  /** Per gateway of the checkpoint, the chain of its batch `batches`; undefined when not stored. */
  digestChains: ReadonlyMap<string, string | undefined>;
}

/**
 * Judges one checkpoint whose signature verified against the database: the checkpointed audit entry must
 * still be there with the same hash (else the trail was truncated, or rewritten from an earlier entry on),
 * and so must each gateway's checkpointed digest batch. Seq 0 (an empty trail) is always contained.
 */
export function checkpointFindings(
  source: string,
  cp: SignedCheckpoint,
  db: ChainAtCheckpoint,
): CheckpointFinding[] {
  const out: CheckpointFinding[] = [];
  const at = new Date(cp.at).toISOString();
  if (cp.audit.seq > 0) {
    if (db.auditHash === undefined) {
      out.push({
        source,
        problem: 'audit_truncated',
        detail: `the checkpoint of ${at} signed entry ${cp.audit.seq}, but the trail ends at entry ${db.auditHeadSeq}`,
      });
    } else if (db.auditHash !== cp.audit.hash) {
      out.push({
        source,
        problem: 'audit_rewritten',
        detail: `entry ${cp.audit.seq} has another hash than the checkpoint of ${at} signed: the trail was rewritten at or before it`,
      });
    }
  }
  for (const h of cp.readings) {
    const chain = db.digestChains.get(h.gateway);
    if (chain === undefined) {
      out.push({
        source,
        problem: 'digests_truncated',
        detail: `gateway ${h.gateway}: the checkpoint of ${at} signed reading batch ${h.batches}, which is no longer stored`,
      });
    } else if (chain !== h.chain) {
      out.push({
        source,
        problem: 'digests_rewritten',
        detail: `gateway ${h.gateway}: reading batch ${h.batches} differs from the checkpoint of ${at} (batches rewritten at or before it)`,
      });
    }
  }
  return out;
}
