import { runDomainStoreContract } from './domain-store-contract.js';

runDomainStoreContract('SQLite', async () => ({ url: undefined, cleanup: async () => {} }));
