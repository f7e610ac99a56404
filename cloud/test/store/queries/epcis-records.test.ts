import { openDatabase } from '../../../src/store/db.js';
import { epcisRecordsSuite } from './epcis-records-suite.js';

epcisRecordsSuite('SQLite', () => openDatabase(':memory:'), 150);
