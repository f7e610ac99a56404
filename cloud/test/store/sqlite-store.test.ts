import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { runStoreContract } from './store-contract.js';

// Both ingest backends execute the same ingest plan; each must meet the whole contract on SQLite.
for (const ingest of ['sqlite', 'kysely'] as const) {
  runStoreContract(`SQLite (temp file, ${ingest} ingest backend)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-store-'));
    const store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`), { ingest });
    return {
      store,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
