import { auditExportSuite } from './audit-export-suite.js';

auditExportSuite('SQLite', async () => ({}));
