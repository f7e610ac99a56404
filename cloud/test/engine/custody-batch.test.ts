import { runCustodyBatch } from './custody-batch-suite.js';

// The PostgreSQL variant is custody-batch.pg.svc.test.ts.
runCustodyBatch('SQLite', { numRuns: 25 });
