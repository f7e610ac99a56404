import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateKeyFiles,
  loadPrivateKey,
  publicKeyring,
} from '../../src/audit-checkpoints/checkpoint-keys.js';
import { createCheckpoint, verifyCheckpoints } from '../../src/audit-checkpoints/checkpoints.js';
import { EPOCH_SEQ_SPAN } from '../../src/domain/ingest/epochs.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { verifyReadingDigests } from '../../src/store/reading-digest-reads.js';
import { type FreshPostgres, freshPostgresUrl } from './pg-fresh.js';
import { ingestDigestScenario } from './reading-digests-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/architecture.md "Audit trail", reading digests: the Kysely backend on PostgreSQL records the digests
// the SQLite backend records for the same batches (bigints come back as strings: read as numbers).

describe('reading digests and checkpoints on PostgreSQL', () => {
  let pg: FreshPostgres;
  let pgStore: CloudStore;
  let sqliteStore: CloudStore;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-digests-pg-'));
    pg = await freshPostgresUrl();
    pgStore = new CloudStore(await openDatabase(pg.url));
    sqliteStore = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  });
  afterAll(async () => {
    await pgStore?.close();
    await sqliteStore?.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the same digests as the SQLite backend, verifies them, and names an edited reading', async () => {
    const onPg = await ingestDigestScenario(pgStore);
    expect(onPg).toHaveLength(6);
    expect(onPg).toEqual(await ingestDigestScenario(sqliteStore));
    expect(await verifyReadingDigests(pgStore.db)).toMatchObject({ ok: true, gateways: 2, batches: 6 });

    const keyFile = join(dir, 'key.pem');
    generateKeyFiles(keyFile);
    const cps = join(dir, 'checkpoints.jsonl');
    await createCheckpoint(pgStore.db, loadPrivateKey(keyFile), { file: cps }, Date.UTC(2026, 11, 6));
    const keys = publicKeyring([`${keyFile}.pub`]);
    expect(await verifyCheckpoints(pgStore.db, cps, keys)).toMatchObject({ ok: true, checkpoints: 1 });

    await pgStore.db
      .updateTable('readings')
      .set({ temp_c: 9.5 })
      .where('gateway_id', '=', 'gw-a')
      .where('seq', '=', EPOCH_SEQ_SPAN + 9)
      .execute();
    const r = await verifyReadingDigests(pgStore.db);
    expect(r.findings.map((f) => [f.gateway, f.batchIndex, f.problem])).toEqual([
      ['gw-a', 4, 'reading_edited'],
    ]);

    // The newest batch of gw-b deleted with its digest row: only the checkpoint knows.
    await pgStore.db.deleteFrom('readings').where('gateway_id', '=', 'gw-b').execute();
    await pgStore.db.deleteFrom('reading_digests').where('gateway_id', '=', 'gw-b').execute();
    const c = await verifyCheckpoints(pgStore.db, cps, keys);
    expect(c.findings.map((f) => f.problem)).toEqual(['digests_truncated']);
  });
});
