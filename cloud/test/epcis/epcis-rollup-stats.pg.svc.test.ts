import { describe, it } from 'vitest';
import { withFreshPgStore } from '../store/pg-fresh.js';
import { checkRollupStatsProperty } from './epcis-rollup-stats-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): rollups merged and summed by PostgreSQL.
describe('EPCIS sensor events from reading rollups (PostgreSQL)', () => {
  const store = withFreshPgStore();

  it('equal, byte for byte, the export from every reading for any readings and stays', async () => {
    await checkRollupStatsProperty(store(), 40);
  });
});
