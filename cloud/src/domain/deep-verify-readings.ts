import type { DeepCheck } from './deep-verify-types.js';
import { describeFinding, type ReadingDigestProblem } from './reading-digest-check.js';

const TABLE_OF: Partial<Record<ReadingDigestProblem, string>> = {
  batch_missing: 'reading_digests',
  digest_changed: 'reading_digests',
  deletion_mismatch: 'reading_deletions',
  deletion_unaudited: 'reading_deletions',
  deleted_batch_stored: 'reading_deletions',
};

/**
 * `audit verify --deep`: the readings against their per-batch digests (docs/architecture.md "Audit
 * trail", reading digests), one finding per batch named (gateway, seq range) by the digest verification
 * the store ran (`verifyReadingDigests`, batch by batch, not holding every reading at once).
 */
export const readingDigestCheck: DeepCheck = {
  name: 'readings',
  covers: 'stored readings against their per-batch digests and digest chains',
  run: (d) =>
    d.readingDigests.findings.map((f) => ({
      check: 'readings',
      table: TABLE_OF[f.problem] ?? 'readings',
      row: f.batchIndex === 0 ? f.gateway : `${f.gateway}|${f.fromSeq}-${f.toSeq}`,
      auditSeq: null,
      detail: describeFinding(f),
    })),
};
