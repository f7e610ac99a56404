import { describe, it } from 'vitest';
import {
  checkAuditAppend,
  checkCustodyRoundTrip,
  checkLocksOfUnits,
  checkMarksClaim,
} from './derive-arrays-suite.js';
import { withFreshPgStore } from './pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
describe('bulk lists and rows of derive transactions on PostgreSQL (as arrays, store/pg-arrays.ts)', () => {
  const store = withFreshPgStore();

  it('custody of 1,500 units replaced and read back, awkward text and open stays included', async () => {
    await checkCustodyRoundTrip(store());
  });
  it('1,003 audit entries appended read back as linked, and the chain verifies', async () => {
    await checkAuditAppend(store());
  });
  it('the marks of 450 units claimed and deleted, the others kept', async () => {
    await checkMarksClaim(store());
  });
  it('the excursion locks of 450 units', async () => {
    await checkLocksOfUnits(store());
  });
});
