import { quantityHoldsSuite } from './quantity-holds-suite.js';

quantityHoldsSuite('SQLite', async () => ({}));
