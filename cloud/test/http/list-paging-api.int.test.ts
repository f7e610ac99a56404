import { listPagingApiSuite } from './list-paging-api-suite.js';

listPagingApiSuite('SQLite', async () => ({}));
