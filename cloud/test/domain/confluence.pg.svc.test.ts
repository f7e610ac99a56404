import { freshPostgresUrl } from '../store/pg-fresh.js';
import { runConfluence } from './confluence-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// Two engines, each with its own pool on a fresh database, running concurrently: ingest and derive
// transactions overlap, so the cross-process serialisation (advisory locks, derive locks, audit head,
// evaluation marks claimed by id) is what keeps the result equal to the single-engine reference.
runConfluence('PostgreSQL, two pools, concurrent', {
  numRuns: 6,
  concurrent: true,
  database: freshPostgresUrl,
});
