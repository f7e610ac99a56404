import { type DeepVerifyReport, deepFindingLine } from '../domain/deep-verify.js';

/** The text `audit verify --deep` prints: one line per check, then one per finding (row and audit entry). */
export function deepReport(r: DeepVerifyReport): string {
  const lines = r.checks.map(
    (c) => `deep check ${c.name} (${c.covers}): ${c.findings === 0 ? 'ok' : `${c.findings} finding(s)`}`,
  );
  for (const f of r.findings) lines.push(`  ${deepFindingLine(f)}`);
  lines.push(
    r.ok
      ? 'tables agree with the audit trail and the signed manifests'
      : `tables CONTRADICT the audit trail or the signed manifests: ${r.findings.length} finding(s)`,
  );
  return `${lines.join('\n')}\n`;
}
