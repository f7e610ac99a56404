import { describe } from 'vitest';
import { freshPostgresUrl } from '../store/pg-fresh.js';
import { runDeadNodeStart } from './dead-node-start-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh): each test on a fresh database.
describe('evaluation marks of dead nodes taken over at start (PostgreSQL)', () => {
  runDeadNodeStart('PostgreSQL', { fresh: freshPostgresUrl, shared: true });
});
