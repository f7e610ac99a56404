import { freshPostgresUrl } from '../store/pg-fresh.js';
import { runCustodyBatch } from './custody-batch-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
runCustodyBatch('PostgreSQL', { numRuns: 8, database: freshPostgresUrl });
