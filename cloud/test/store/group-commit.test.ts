import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { runGroupCommitContract } from './group-commit-contract.js';

for (const ingest of ['sqlite', 'kysely'] as const)
  runGroupCommitContract(`SQLite, ${ingest} backend`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-group-'));
    const store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`), { ingest });
    return {
      store,
      async close() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
