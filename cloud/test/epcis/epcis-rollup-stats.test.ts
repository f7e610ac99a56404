import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { checkRollupStatsProperty } from './epcis-rollup-stats-suite.js';

describe('EPCIS sensor events from reading rollups (SQLite)', () => {
  let dir: string;
  let store: CloudStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-epcis-rollups-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('equal, byte for byte, the export from every reading for any readings and stays', async () => {
    await checkRollupStatsProperty(store, 80);
  });
});
