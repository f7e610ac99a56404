import { epcisHoldsApiSuite } from './epcis-holds-api-suite.js';

epcisHoldsApiSuite('SQLite', async () => ({}));
