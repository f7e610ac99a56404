import { openDatabase } from '../../../src/store/db.js';
import { listPagingSuite } from './list-paging-suite.js';

listPagingSuite('SQLite', () => openDatabase(':memory:'), 60);
