import { heldClosuresSuite } from './held-closures-suite.js';

heldClosuresSuite('SQLite', async () => ({}));
