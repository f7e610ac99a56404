import { openFreshPgStore } from '../store/pg-fresh.js';
import { runChunkedEquivalence } from './chunked-evaluation-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh): the
// chunks' boundary queries and derive transactions (derive locks) on PostgreSQL, each store a fresh database.
runChunkedEquivalence('PostgreSQL', {
  open: openFreshPgStore,
  numRuns: 15,
  quietRuns: 10,
  boundRuns: 24,
});
