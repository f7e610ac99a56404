import { scansApiSuite } from './scans-api-suite.js';

scansApiSuite('SQLite', async () => ({}));
