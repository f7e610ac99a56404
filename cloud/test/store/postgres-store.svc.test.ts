import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { freshPostgresUrl } from './pg-fresh.js';
import { runStoreContract } from './store-contract.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
runStoreContract('PostgreSQL (fresh database)', async () => {
  const pg = await freshPostgresUrl();
  try {
    const store = new CloudStore(await openDatabase(pg.url));
    return {
      store,
      async cleanup() {
        await store.close();
        await pg.drop();
      },
    };
  } catch (err) {
    await pg.drop();
    throw err;
  }
});
