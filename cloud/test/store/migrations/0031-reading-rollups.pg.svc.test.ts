import { describe } from 'vitest';
import { freshPgMigrationDbs } from '../pg-fresh.js';
import { readingRollupsMigrationSuite } from './reading-rollups-suite.js';

describe('migration 0031-reading-rollups (PostgreSQL)', () => {
  readingRollupsMigrationSuite(freshPgMigrationDbs());
});
