import { freshPostgresUrl } from '../store/pg-fresh.js';
import { runDomainStoreContract } from './domain-store-contract.js';

// A fresh database per test on the PostgreSQL of the services suite (deploy/dev-services.sh), dropped after.
runDomainStoreContract('PostgreSQL', async () => {
  const pg = await freshPostgresUrl();
  return { url: pg.url, cleanup: () => pg.drop() };
});
