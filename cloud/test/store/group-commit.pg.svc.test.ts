import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { runGroupCommitContract } from './group-commit-contract.js';
import { freshPostgresUrl } from './pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
runGroupCommitContract('PostgreSQL', async () => {
  const pg = await freshPostgresUrl();
  const store = new CloudStore(await openDatabase(pg.url));
  return {
    store,
    async close() {
      await store.close();
      await pg.drop();
    },
  };
});
