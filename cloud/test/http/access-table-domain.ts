import type { RouteSpec } from './access-rules.js';
import { LOT_ROUTES } from './access-table-lots.js';
import { MASTER_DATA_ROUTES } from './access-table-master-data.js';
import { QUALITY_ROUTES } from './access-table-quality.js';

/** Access rules and inputs of the domain routes: master data, lots, EPCs, excursions, audit, exports. */
export const DOMAIN_ROUTES: Record<string, RouteSpec> = {
  ...MASTER_DATA_ROUTES,
  ...LOT_ROUTES,
  ...QUALITY_ROUTES,
};
