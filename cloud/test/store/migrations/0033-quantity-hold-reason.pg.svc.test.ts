import { describe } from 'vitest';
import { freshPgMigrationDbs } from '../pg-fresh.js';
import { quantityHoldReasonMigrationSuite } from './quantity-hold-reason-suite.js';

describe('migration 0033-quantity-hold-reason (PostgreSQL)', () => {
  quantityHoldReasonMigrationSuite(freshPgMigrationDbs());
});
