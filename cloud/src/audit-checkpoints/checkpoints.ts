import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  CHECKPOINT_FORMAT,
  type CheckpointFinding,
  checkpointFindings,
  keyFingerprint,
  type SignedCheckpoint,
  signatureProblem,
  signCheckpoint,
} from '../domain/audit-checkpoint.js';
import { chainAtCheckpoint, checkpointState } from '../store/checkpoint-state.js';
import type { Database } from '../store/schema.js';
import { type CheckpointDestination, readCheckpoints, writeCheckpoint } from './checkpoint-files.js';

/**
 * Signs the chain heads as they are now (wall time `at`) and writes the checkpoint to `dest`
 * (docs/architecture.md "Audit trail", checkpoints). Returns it and where it went.
 */
export async function createCheckpoint(
  db: Kysely<Database>,
  privateKey: KeyObject,
  dest: CheckpointDestination,
  at: number,
): Promise<{ checkpoint: SignedCheckpoint; written: string[] }> {
  const publicKey = createPublicKey(privateKey);
  const state = await checkpointState(db);
  const checkpoint = signCheckpoint(
    { format: CHECKPOINT_FORMAT, at, ...state, key: keyFingerprint(publicKey) },
    privateKey,
  );
  return { checkpoint, written: writeCheckpoint(dest, checkpoint, publicKey) };
}

export interface CheckpointReport {
  ok: boolean;
  /** Checkpoints read (whether or not they verified). */
  checkpoints: number;
  findings: CheckpointFinding[];
}

/**
 * `audit verify --checkpoints PATH`: each checkpoint's signature against the trusted keys, then that the
 * database still holds every checkpointed position. No checkpoint at all is a finding too (deleting them
 * all must not pass).
 */
export async function verifyCheckpoints(
  db: Kysely<Database>,
  path: string,
  publicKeys: ReadonlyMap<string, KeyObject>,
): Promise<CheckpointReport> {
  const read = readCheckpoints(path);
  const findings: CheckpointFinding[] = [];
  const valid: Array<{ source: string; cp: SignedCheckpoint }> = [];
  for (const r of read) {
    if (!r.checkpoint) {
      findings.push({ source: r.source, problem: 'unreadable', detail: r.problem });
      continue;
    }
    const bad = signatureProblem(r.checkpoint, publicKeys);
    if (bad) findings.push({ source: r.source, problem: 'bad_signature', detail: bad });
    else valid.push({ source: r.source, cp: r.checkpoint });
  }
  if (read.length === 0)
    findings.push({ source: path, problem: 'unreadable', detail: 'no checkpoint found' });
  for (const { source, cp } of valid)
    findings.push(...checkpointFindings(source, cp, await chainAtCheckpoint(db, cp)));
  return { ok: findings.length === 0, checkpoints: read.length, findings };
}
