import { epcisExportGoldenSuite } from './epcis-export-golden-suite.js';

epcisExportGoldenSuite('SQLite', async () => ({}));
