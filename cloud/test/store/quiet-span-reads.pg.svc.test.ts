import { describe, it } from 'vitest';
import { withFreshPgStore } from './pg-fresh.js';
import { checkDerivedIn, checkQuietSpanReads } from './quiet-span-reads-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
describe('quiet-span reads on PostgreSQL (docs/architecture.md "Recovery")', () => {
  const store = withFreshPgStore();

  it('raw rows and rollups per bucket and sensor over a range equal a recomputation from the rows', async () => {
    await checkQuietSpanReads(store(), 40);
  });

  it('derived rows in a range: an excursion touching it, a gap of the location overlapping it', async () => {
    await checkDerivedIn(store());
  });
});
