import type { DeepCheck } from './deep-verify-types.js';
import { describeFinding } from './reading-digest-check.js';

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
      table: f.problem === 'batch_missing' || f.problem === 'digest_changed' ? 'reading_digests' : 'readings',
      row: f.batchIndex === 0 ? f.gateway : `${f.gateway}|${f.fromSeq}-${f.toSeq}`,
      auditSeq: null,
      detail: describeFinding(f),
    })),
};
