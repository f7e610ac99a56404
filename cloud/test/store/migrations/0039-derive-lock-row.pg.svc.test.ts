import { describe } from 'vitest';
import { freshPgMigrationDbs } from '../pg-fresh.js';
import { deriveLockRowMigrationSuite } from './derive-lock-row-suite.js';

describe('migration 0039-derive-lock-row (PostgreSQL)', () => {
  deriveLockRowMigrationSuite(freshPgMigrationDbs());
});
