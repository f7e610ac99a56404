import { openDatabase } from '../../src/store/db.js';
import { lotAssessmentCacheSuite } from './lot-assessment-cache-suite.js';

lotAssessmentCacheSuite('SQLite', () => openDatabase(':memory:'));
