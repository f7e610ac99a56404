import { parseCommand, pickCommand } from '@coldtrace/shared/cli';
import { verifyAuditTrail } from '../store/audit-trail.js';
import { CloudStore } from '../store/cloud-store.js';
import { openDatabase } from '../store/db.js';
import { AUDIT_COMMANDS, AUDIT_VERIFY_COMMAND } from './commands.js';

/**
 * `coldtrace audit verify [--database URL] [--json]`: recomputes the audit trail's hash chain and
 * reports the first broken entry (changed, missing or reordered). Exit 0 = intact, 1 = broken.
 */
export async function runAuditCli(argv: string[]): Promise<number> {
  const { values } = parseCommand(AUDIT_VERIFY_COMMAND, pickCommand(AUDIT_COMMANDS, argv).argv);
  const store = new CloudStore(await openDatabase(values.database));
  try {
    const r = await verifyAuditTrail(store.db);
    if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else if (r.ok) process.stdout.write(`audit trail intact: ${r.entries} entries verified\n`);
    else {
      const b = r.firstBroken!;
      process.stdout.write(`audit trail BROKEN at entry ${b.seq} (${b.problem}): ${b.detail}\n`);
    }
    return r.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
