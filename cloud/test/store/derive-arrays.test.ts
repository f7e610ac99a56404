import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import {
  checkAuditAppend,
  checkCustodyRoundTrip,
  checkLocksOfUnits,
  checkMarksClaim,
} from './derive-arrays-suite.js';

// The PostgreSQL variant (the lists and rows as arrays) is derive-arrays.pg.svc.test.ts.
describe('bulk lists and rows of derive transactions on SQLite', () => {
  let dir: string;
  let store: CloudStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-derive-arrays-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('custody of 1,500 units replaced and read back, awkward text and open stays included', async () => {
    await checkCustodyRoundTrip(store);
  });
  it('1,003 audit entries appended read back as linked, and the chain verifies', async () => {
    await checkAuditAppend(store);
  });
  it('the marks of 450 units claimed and deleted, the others kept', async () => {
    await checkMarksClaim(store);
  });
  it('the excursion locks of 450 units', async () => {
    await checkLocksOfUnits(store);
  });
});
