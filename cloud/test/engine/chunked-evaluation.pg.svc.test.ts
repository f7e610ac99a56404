import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { freshPostgresUrl } from '../store/pg-fresh.js';
import { runChunkedEquivalence } from './chunked-evaluation-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh): the
// chunks' boundary queries and derive transactions (derive locks) on PostgreSQL, each store a fresh database.
runChunkedEquivalence('PostgreSQL', {
  open: async () => {
    const db = await freshPostgresUrl();
    const store = new CloudStore(await openDatabase(db.url));
    return {
      store,
      async close() {
        await store.close();
        await db.drop();
      },
    };
  },
  numRuns: 15,
  quietRuns: 10,
  boundRuns: 12,
});
