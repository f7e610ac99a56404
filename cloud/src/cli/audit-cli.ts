import { parseCommand, pickCommand } from '@coldtrace/shared/cli';
import { deepVerify } from '../domain/deep-verify.js';
import { verifyAuditTrail } from '../store/audit-trail.js';
import { CloudStore } from '../store/cloud-store.js';
import { openDatabase } from '../store/db.js';
import { readDeepVerifyData } from '../store/deep-verify-reads.js';
import { runCheckpointCommand, verifyExtras } from './audit-checkpoint-cli.js';
import { deepReport } from './audit-deep-report.js';
import { databaseOf } from './cli-database.js';
import { AUDIT_COMMANDS, AUDIT_VERIFY_COMMAND } from './commands.js';

/**
 * `coldtrace audit verify [--database URL] [--json]`: recomputes the audit trail's hash chain and
 * reports the first broken entry (changed, missing or reordered). With `--deep` it also replays the trail
 * against the domain tables and recomputes the signature manifests (domain/deep-verify.ts), one line per
 * contradiction. With `--checkpoints` and `--readings` it also checks the signed checkpoints and the reading
 * digests (audit-checkpoint-cli.ts, which also runs `audit checkpoint` and `audit keygen`). Exit 0 =
 * intact, 1 = broken or contradicted.
 */
export async function runAuditCli(argv: string[]): Promise<number> {
  const picked = pickCommand(AUDIT_COMMANDS, argv);
  if (picked.command !== AUDIT_VERIFY_COMMAND) return runCheckpointCommand(picked.command, picked.argv);
  const { values } = parseCommand(AUDIT_VERIFY_COMMAND, picked.argv);
  const store = new CloudStore(await openDatabase(databaseOf(values)));
  try {
    const r = await verifyAuditTrail(store.db);
    const deep = values.deep ? deepVerify(await readDeepVerifyData(store.db)) : undefined;
    const extra = await verifyExtras(store.db, values);
    if (values.json)
      process.stdout.write(`${JSON.stringify({ ...(deep ? { ...r, deep } : r), ...extra.json })}\n`);
    else if (r.ok) process.stdout.write(`audit trail intact: ${r.entries} entries verified\n`);
    else {
      const b = r.firstBroken!;
      process.stdout.write(`audit trail BROKEN at entry ${b.seq} (${b.problem}): ${b.detail}\n`);
    }
    if (deep && !values.json) process.stdout.write(deepReport(deep));
    if (!values.json) process.stdout.write(extra.text);
    return r.ok && (deep?.ok ?? true) && extra.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
