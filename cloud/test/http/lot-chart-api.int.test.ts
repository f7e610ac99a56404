import { lotChartSuite } from './lot-chart-suite.js';

lotChartSuite('SQLite', async () => ({}));
