import { ANY, OPS, type RouteSpec } from './access-rules.js';

/** Access rules and inputs of the HIBC link routes (master data: docs/barcode.md "HIBC"). */
export const HIBC_LINK_ROUTES: Record<string, RouteSpec> = {
  'GET /api/v1/hibc-links': { access: ANY },
  'PUT /api/v1/hibc-links/:di': {
    access: OPS,
    valid: (f) => ({
      url: `/api/v1/hibc-links/H${String(f.n()).padStart(3, '0')}PROD1`,
      payload: { gtin: f.gtin },
    }),
    invalid: (f) => [
      {
        what: 'DI with a lower-case LIC',
        url: '/api/v1/hibc-links/a123PROD1',
        payload: { gtin: f.gtin },
        field: 'di',
      },
      {
        what: 'DI without a unit of measure',
        url: '/api/v1/hibc-links/A123PRODX',
        payload: { gtin: f.gtin },
        field: 'di',
      },
      {
        what: 'DI with an encoded slash',
        url: '/api/v1/hibc-links/A123%2FP1',
        payload: { gtin: f.gtin },
        field: 'di',
      },
      {
        what: 'GTIN of 3 digits',
        url: '/api/v1/hibc-links/A123PROD1',
        payload: { gtin: '123' },
        field: 'gtin',
      },
      {
        what: 'unknown key',
        url: '/api/v1/hibc-links/A123PROD1',
        payload: { gtin: f.gtin, lot: 'A1' },
        field: 'lot',
      },
    ],
    unknown: () => [
      {
        what: 'unknown product',
        url: '/api/v1/hibc-links/A123PROD1',
        payload: { gtin: '09999999999999' },
        status: 400,
      },
    ],
  },
  'DELETE /api/v1/hibc-links/:di': {
    access: OPS,
    noBody: true,
    valid: () => ({ url: '/api/v1/hibc-links/Z999NOLINK1' }),
    invalid: () => [
      { what: 'DI with a lower-case LIC', url: '/api/v1/hibc-links/a123PROD1', field: 'di' },
      { what: 'DI of 3 characters', url: '/api/v1/hibc-links/A12', field: 'di' },
    ],
    unknown: () => [{ what: 'unknown link', url: '/api/v1/hibc-links/Z999NOLINK1', status: 404 }],
  },
};
