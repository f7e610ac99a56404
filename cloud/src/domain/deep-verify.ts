import { dispositionCheck, manifestCheck } from './deep-verify-dispositions.js';
import { holdCheck } from './deep-verify-holds.js';
import { lockCheck } from './deep-verify-locks.js';
import { masterDataCheck, specificationManifestCheck, userCheck } from './deep-verify-master.js';
import { readingDigestCheck } from './deep-verify-readings.js';
import type { DeepCheck, DeepFinding, DeepVerifyData } from './deep-verify-types.js';

export type { DeepCheck, DeepFinding, DeepVerifyData } from './deep-verify-types.js';

/**
 * The checks of `coldtrace audit verify --deep` (docs/architecture.md "Audit trail"), each a pure
 * comparison of the tables with the replayed trail or with the signed manifests.
 */
export const DEEP_CHECKS: readonly DeepCheck[] = [
  lockCheck,
  holdCheck,
  dispositionCheck,
  manifestCheck,
  userCheck,
  masterDataCheck,
  specificationManifestCheck,
  readingDigestCheck,
];

export interface DeepVerifyReport {
  ok: boolean;
  checks: Array<{ name: string; covers: string; findings: number }>;
  findings: DeepFinding[];
}

/** Runs the checks over what the store read; ok when none finds anything. */
export function deepVerify(
  data: DeepVerifyData,
  checks: readonly DeepCheck[] = DEEP_CHECKS,
): DeepVerifyReport {
  const findings: DeepFinding[] = [];
  const summary = checks.map((c) => {
    const found = c.run(data);
    findings.push(...found);
    return { name: c.name, covers: c.covers, findings: found.length };
  });
  return { ok: findings.length === 0, checks: summary, findings };
}

/** One line per finding: check, table and row, then what contradicts what. */
export function deepFindingLine(f: DeepFinding): string {
  return `${f.check}: ${f.table} row ${f.row}: ${f.detail}`;
}
