import { UNITS_PER_TRANSACTION } from '../../src/engine/subject-rebuilds.js';
import { runStartCustodyChunks } from './start-custody-chunks-suite.js';

// The PostgreSQL variant is start-custody-chunks.pg.svc.test.ts. SQLite's start keeps 200 per transaction:
// each holds the event loop.
runStartCustodyChunks('SQLite', { atStart: UNITS_PER_TRANSACTION });
