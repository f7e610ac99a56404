import { openDatabase } from '../../../src/store/db.js';
import { backlogReadsSuite } from './backlog-reads-suite.js';

backlogReadsSuite('SQLite', () => openDatabase(':memory:'), 1200);
