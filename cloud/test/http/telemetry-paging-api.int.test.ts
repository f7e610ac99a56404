import { telemetryPagingApiSuite } from './telemetry-paging-api-suite.js';

telemetryPagingApiSuite('SQLite', async () => ({}));
