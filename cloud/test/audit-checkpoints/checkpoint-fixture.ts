import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { linkAuditEntries } from '../../src/domain/audit-chain.js';
import { appendAudit } from '../../src/store/audit-append.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';

/** A SQLite cloud database in a temporary directory, with helpers to fill it and copy it for tampering. */
export async function openFixture() {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-checkpoints-'));
  const stores: CloudStore[] = [];
  const open = async (file: string) => {
    const s = new CloudStore(await openDatabase(`sqlite:${join(dir, file)}`));
    stores.push(s);
    return s;
  };
  const store = await open('cloud.db');
  let seq = 0;
  return {
    dir,
    store,
    url: `sqlite:${join(dir, 'cloud.db')}`,
    /** Appends `n` audit entries (master-data changes by `alice`). */
    async audit(n: number) {
      await store.db.transaction().execute((trx) =>
        appendAudit(
          trx,
          Array.from({ length: n }, () => ({
            actor: 'alice',
            action: 'location.update',
            entityType: 'location',
            entityId: `room-${++seq}`,
            after: { maxC: 8 },
            reason: 'commissioning',
          })),
          T0 + seq,
        ),
      );
    },
    /** One batch of `n` readings of `gatewayId` from `firstSeq`. */
    async ingest(gatewayId: string, firstSeq: number, n: number) {
      await store.ingestReadings(
        gatewayId,
        readingsBatch(gatewayId, readings(n, { firstSeq })),
        T0 + firstSeq,
      );
    },
    /** A copy of the database (VACUUM INTO), opened: the tampering happens there. */
    async copy(name: string) {
      await sql`VACUUM INTO ${join(dir, name)}`.execute(store.db);
      return { store: await open(name), url: `sqlite:${join(dir, name)}` };
    },
    async close() {
      for (const s of stores.splice(0)) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What an insider with database access does to hide entries: deletes them and re-links everything after
 * (new seqs, every hash recomputed, the head updated), so the chain itself verifies again.
 */
export async function rewriteWithout(store: CloudStore, deleteSeqs: readonly number[]): Promise<void> {
  const rows = await store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  const kept = rows.filter((r) => !deleteSeqs.includes(r.seq));
  const relinked = linkAuditEntries(
    { seq: 0, hash: '0'.repeat(64) },
    kept.map((r) => ({
      actor: r.actor,
      action: r.action,
      entityType: r.entity_type,
      entityId: r.entity_id,
      after: r.after_json === null ? undefined : JSON.parse(r.after_json),
      before: r.before_json === null ? undefined : JSON.parse(r.before_json),
      reason: r.reason,
    })),
    rows[0]!.at,
  );
  await store.db.deleteFrom('audit_log').execute();
  await store.db.insertInto('audit_log').values(relinked).execute();
  const last = relinked[relinked.length - 1]!;
  await store.db
    .updateTable('audit_head')
    .set({ seq: last.seq, hash: last.hash })
    .where('id', '=', 1)
    .execute();
}
