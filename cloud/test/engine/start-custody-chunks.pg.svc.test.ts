import { RECOVERY_UNITS_PER_TRANSACTION } from '../../src/engine/subject-rebuilds.js';
import { freshPostgresUrl } from '../store/pg-fresh.js';
import { runStartCustodyChunks } from './start-custody-chunks-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
runStartCustodyChunks('PostgreSQL', { atStart: RECOVERY_UNITS_PER_TRANSACTION, database: freshPostgresUrl });
