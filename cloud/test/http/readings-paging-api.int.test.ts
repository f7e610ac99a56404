import { readingsPagingApiSuite } from './readings-paging-api-suite.js';

readingsPagingApiSuite('SQLite', async () => ({}));
