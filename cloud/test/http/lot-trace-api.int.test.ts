import { lotTraceSuite } from './lot-trace-suite.js';

lotTraceSuite('SQLite', async () => ({}));
