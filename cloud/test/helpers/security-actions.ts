import type { CloudStore } from '../../src/store/cloud-store.js';

/** The security events on the audit trail about `subject` (an account or client id), oldest first. */
export async function securityActions(store: CloudStore, subject: string): Promise<string[]> {
  const rows = await store.db
    .selectFrom('audit_log')
    .select('action')
    .where('entity_type', '=', 'security')
    .where('entity_id', '=', subject)
    .orderBy('seq')
    .execute();
  return rows.map((e) => e.action);
}
