import { describe } from 'vitest';
import { freshPgMigrationDbs } from '../pg-fresh.js';
import { locationSensorsMigrationSuite } from './location-sensors-suite.js';

describe('migration 0042-location-sensors (PostgreSQL)', () => {
  locationSensorsMigrationSuite(freshPgMigrationDbs());
});
