import { runGroupCommitContract } from './group-commit-contract.js';
import { openFreshPgStore } from './pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
runGroupCommitContract('PostgreSQL', openFreshPgStore);
