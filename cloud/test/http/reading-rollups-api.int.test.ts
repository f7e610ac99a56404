import { readingRollupsApiSuite } from './reading-rollups-api-suite.js';

readingRollupsApiSuite('SQLite', async () => ({}));
