import { describe } from 'vitest';
import { freshPgMigrationDbs } from '../pg-fresh.js';
import { specVersionsMigrationSuite } from './spec-versions-suite.js';

describe('migration 0015-spec-versions (PostgreSQL)', () => {
  specVersionsMigrationSuite(freshPgMigrationDbs());
});
