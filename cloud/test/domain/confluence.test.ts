import { runConfluence } from './confluence-suite.js';

// Two engines on one SQLite file (two connections, as two processes would be), their work interleaved
// step by step; the PostgreSQL variant, with the two running concurrently, is confluence.pg.svc.test.ts.
runConfluence('two SQLite connections, interleaved', { numRuns: 12, concurrent: false });
