import { ANY, badIds, longId, OPS, PRODUCT, type RouteSpec, SIGN, SPECIFICATION } from './access-rules.js';

/** Access rules and inputs of the lot and unit routes: lots, quantity holds, scans, receiving checks, EPCs. */
export const LOT_ROUTES: Record<string, RouteSpec> = {
  // ---- products and lots -----------------------------------------------------------------------------------
  'GET /api/v1/products': { access: ANY },
  'GET /api/v1/products/:gtin': {
    access: ANY,
    invalid: () => [
      { what: 'GTIN of 3 digits', url: '/api/v1/products/123', field: 'gtin' },
      { what: 'GTIN with an encoded slash', url: '/api/v1/products/0000000%2F000000', field: 'gtin' },
    ],
    unknown: () => [{ what: 'unknown product', url: '/api/v1/products/09999999999999', status: 404 }],
  },
  'PUT /api/v1/products/:gtin': {
    access: OPS,
    valid: (f) => ({
      url: `/api/v1/products/${String(1_000_000_000_000 + f.n()).padStart(14, '0')}`,
      payload: PRODUCT,
    }),
    invalid: () => [
      { what: 'GTIN of 3 digits', url: '/api/v1/products/123', payload: PRODUCT, field: 'gtin' },
      {
        what: 'negative stabilityBudgetMs',
        url: '/api/v1/products/09999999999998',
        payload: { ...PRODUCT, stabilityBudgetMs: -1 },
        field: 'stabilityBudgetMs',
      },
      {
        what: 'minC of the wrong type',
        url: '/api/v1/products/09999999999998',
        payload: { ...PRODUCT, minC: 'cold' },
        field: 'minC',
      },
      {
        what: 'unknown key',
        url: '/api/v1/products/09999999999998',
        payload: { ...PRODUCT, lot: 'A' },
        field: 'lot',
      },
    ],
  },
  'PUT /api/v1/products/:gtin/limits': {
    access: SIGN,
    // E-signed by the session user (tokens and other users are refused: limit-changes.int.test.ts).
    sessionOnly: true,
    valid: (f) => ({
      url: `/api/v1/products/${f.gtin}/limits`,
      payload: { ...SPECIFICATION, reason: 'stability study', ...f.signer },
    }),
    invalid: (f) => {
      const url = `/api/v1/products/${f.gtin}/limits`;
      const ok = { ...SPECIFICATION, reason: 'stability study', ...f.signer };
      return [
        { what: 'GTIN of 3 digits', url: '/api/v1/products/123/limits', payload: ok, field: 'gtin' },
        { what: 'missing reason', url, payload: { ...ok, reason: undefined }, field: 'reason' },
        { what: 'missing username', url, payload: { ...ok, username: undefined }, field: 'username' },
        {
          what: 'negative stabilityBudgetMs',
          url,
          payload: { ...ok, stabilityBudgetMs: -1 },
          field: 'stabilityBudgetMs',
        },
        { what: 'a name (not a specification)', url, payload: { ...ok, name: 'X' }, field: 'name' },
      ];
    },
    unknown: (f) => [
      {
        what: 'unknown product',
        url: '/api/v1/products/09999999999999/limits',
        payload: { ...SPECIFICATION, reason: 'stability study', ...f.signer },
        status: 404,
      },
    ],
  },
  'POST /api/v1/products/:gtin/limits/corrections': {
    access: SIGN,
    // E-signed by the session user, as a specification change (spec-changes.int.test.ts).
    sessionOnly: true,
    valid: (f) => ({
      url: `/api/v1/products/${f.gtin}/limits/corrections`,
      payload: { ...SPECIFICATION, effectiveFrom: null, reason: 'stability study', ...f.signer },
    }),
    invalid: (f) => {
      const url = `/api/v1/products/${f.gtin}/limits/corrections`;
      const ok = { ...SPECIFICATION, effectiveFrom: null, reason: 'stability study', ...f.signer };
      return [
        {
          what: 'GTIN of 3 digits',
          url: '/api/v1/products/123/limits/corrections',
          payload: ok,
          field: 'gtin',
        },
        {
          what: 'missing effectiveFrom',
          url,
          payload: { ...ok, effectiveFrom: undefined },
          field: 'effectiveFrom',
        },
        {
          what: 'negative effectiveFrom',
          url,
          payload: { ...ok, effectiveFrom: -1 },
          field: 'effectiveFrom',
        },
        { what: 'missing reason', url, payload: { ...ok, reason: undefined }, field: 'reason' },
      ];
    },
    unknown: (f) => [
      {
        what: 'unknown product',
        url: '/api/v1/products/09999999999999/limits/corrections',
        payload: { ...SPECIFICATION, effectiveFrom: null, reason: 'stability study', ...f.signer },
        status: 404,
      },
    ],
  },
  'GET /api/v1/products/:gtin/limits/versions': {
    access: ANY,
    valid: (f) => ({ url: `/api/v1/products/${f.gtin}/limits/versions` }),
    invalid: () => [{ what: 'GTIN of 3 digits', url: '/api/v1/products/123/limits/versions', field: 'gtin' }],
    unknown: () => [
      { what: 'unknown product', url: '/api/v1/products/09999999999999/limits/versions', status: 404 },
    ],
  },
  'GET /api/v1/lots': {
    access: ANY,
    invalid: () => [
      { what: 'malformed gtin', url: '/api/v1/lots?gtin=123', field: 'gtin' },
      { what: 'hasLocks not a boolean', url: '/api/v1/lots?hasLocks=maybe', field: 'hasLocks' },
      { what: 'limit 0', url: '/api/v1/lots?limit=0', field: 'limit' },
      { what: 'a cursor of another list', url: '/api/v1/lots?cursor=WzEsMl0', field: 'cursor' },
    ],
  },
  'GET /api/v1/lots/:id': {
    access: ANY,
    invalid: () => badIds((id) => `/api/v1/lots/${id}`),
    unknown: () => [{ what: 'unknown lot', url: '/api/v1/lots/no-such-lot', status: 404 }],
  },
  'PUT /api/v1/lots/:id': {
    access: OPS,
    valid: (f) => {
      const u = f.uniq();
      return {
        url: `/api/v1/lots/lot-${u}`,
        payload: { gtin: f.gtin, lotNumber: `L${u}`.slice(0, 20), expiry: '2027-01-31' },
      };
    },
    invalid: (f) => {
      const ok = { gtin: f.gtin, lotNumber: 'LX1', expiry: '2027-01-31' };
      return [
        ...badIds((id) => `/api/v1/lots/${id}`, 'id', ok),
        {
          what: 'expiry not ISO',
          url: '/api/v1/lots/lot-x',
          payload: { ...ok, expiry: '31/01/2027' },
          field: 'expiry',
        },
        {
          what: 'GTIN of 2 digits',
          url: '/api/v1/lots/lot-x',
          payload: { ...ok, gtin: '12' },
          field: 'gtin',
        },
        {
          what: 'missing lotNumber',
          url: '/api/v1/lots/lot-x',
          payload: { gtin: f.gtin, expiry: '2027-01-31' },
          field: 'lotNumber',
        },
        { what: 'unknown key', url: '/api/v1/lots/lot-x', payload: { ...ok, qty: 5 }, field: 'qty' },
      ];
    },
    unknown: () => [
      {
        what: 'unregistered GTIN',
        url: '/api/v1/lots/lot-y',
        payload: { gtin: '09999999999997', lotNumber: 'LY', expiry: '2027-01-31' },
        status: 400,
      },
    ],
  },
  'POST /api/v1/lots/:id/epcs': {
    access: OPS,
    valid: (f) => ({
      url: `/api/v1/lots/${f.lotId}/epcs`,
      payload: { epcs: [`AB${f.n().toString(16).toUpperCase().padStart(8, '0')}`] },
    }),
    invalid: (f) => [
      ...badIds((id) => `/api/v1/lots/${id}/epcs`, 'id', { epcs: ['DEADBEEF'] }),
      { what: 'no EPCs', url: `/api/v1/lots/${f.lotId}/epcs`, payload: { epcs: [] }, field: 'epcs' },
      { what: 'EPC not hex', url: `/api/v1/lots/${f.lotId}/epcs`, payload: { epcs: ['xyz'] }, field: 'epcs' },
      {
        what: 'unknown key',
        url: `/api/v1/lots/${f.lotId}/epcs`,
        payload: { epcs: ['DEADBEEF'], force: true },
        field: 'force',
      },
    ],
    unknown: () => [
      {
        what: 'unknown lot',
        url: '/api/v1/lots/no-such-lot/epcs',
        payload: { epcs: ['DEADBEEF'] },
        status: 404,
      },
    ],
  },
  'GET /api/v1/lots/:id/units': {
    access: ANY,
    invalid: () => badIds((id) => `/api/v1/lots/${id}/units`),
    unknown: () => [{ what: 'unknown lot', url: '/api/v1/lots/no-such-lot/units', status: 404 }],
  },
  'GET /api/v1/lots/:id/temperature': {
    access: ANY,
    valid: (f) => ({ url: `/api/v1/lots/${f.lotId}/temperature` }),
    invalid: (f) => [
      ...badIds((id) => `/api/v1/lots/${id}/temperature`),
      { what: 'limit 0', url: `/api/v1/lots/${f.lotId}/temperature?limit=0`, field: 'limit' },
      { what: 'limit too large', url: `/api/v1/lots/${f.lotId}/temperature?limit=20001`, field: 'limit' },
      { what: 'from not a number', url: `/api/v1/lots/${f.lotId}/temperature?from=today`, field: 'from' },
      { what: 'to before from', url: `/api/v1/lots/${f.lotId}/temperature?from=10&to=5`, field: 'to' },
      {
        what: 'forged cursor',
        url: `/api/v1/lots/${f.lotId}/temperature?after=not-a-cursor`,
        field: 'after',
      },
    ],
    unknown: () => [{ what: 'unknown lot', url: '/api/v1/lots/no-such-lot/temperature', status: 404 }],
  },
  'GET /api/v1/lots/:id/temperature/rollups': {
    access: ANY,
    valid: (f) => ({ url: `/api/v1/lots/${f.lotId}/temperature/rollups` }),
    invalid: (f) => [
      ...badIds((id) => `/api/v1/lots/${id}/temperature/rollups`),
      { what: 'limit 0', url: `/api/v1/lots/${f.lotId}/temperature/rollups?limit=0`, field: 'limit' },
      {
        what: 'limit too large',
        url: `/api/v1/lots/${f.lotId}/temperature/rollups?limit=10001`,
        field: 'limit',
      },
      {
        what: 'unknown resolution',
        url: `/api/v1/lots/${f.lotId}/temperature/rollups?resolution=1d`,
        field: 'resolution',
      },
      {
        what: 'to before from',
        url: `/api/v1/lots/${f.lotId}/temperature/rollups?from=10&to=5`,
        field: 'to',
      },
      {
        what: 'forged cursor',
        url: `/api/v1/lots/${f.lotId}/temperature/rollups?cursor=not-a-cursor`,
        field: 'cursor',
      },
    ],
    unknown: () => [
      { what: 'unknown lot', url: '/api/v1/lots/no-such-lot/temperature/rollups', status: 404 },
    ],
  },
  'GET /api/v1/lots/:id/trace': {
    access: ANY,
    valid: (f) => ({ url: `/api/v1/lots/${f.lotId}/trace` }),
    invalid: (f) => [
      ...badIds((id) => `/api/v1/lots/${id}/trace`),
      { what: 'limit 0', url: `/api/v1/lots/${f.lotId}/trace?limit=0`, field: 'limit' },
      { what: 'limit too large', url: `/api/v1/lots/${f.lotId}/trace?limit=5001`, field: 'limit' },
      { what: 'cursor not an EPC', url: `/api/v1/lots/${f.lotId}/trace?after=xyz`, field: 'after' },
    ],
    unknown: () => [{ what: 'unknown lot', url: '/api/v1/lots/no-such-lot/trace', status: 404 }],
  },
  'GET /api/v1/lots/:id/quantities': {
    access: ANY,
    valid: (f) => ({ url: `/api/v1/lots/${f.lotId}/quantities` }),
    invalid: () => badIds((id) => `/api/v1/lots/${id}/quantities`),
    unknown: () => [{ what: 'unknown lot', url: '/api/v1/lots/no-such-lot/quantities', status: 404 }],
  },
  'GET /api/v1/excursions/:id/quantities': {
    access: ANY,
    invalid: () => [
      { what: 'id over 200 characters', url: `/api/v1/excursions/${longId}/quantities`, field: 'id' },
    ],
    unknown: () => [
      {
        what: 'unknown excursion',
        url: '/api/v1/excursions/no-such-room@2020-01-01T00:00:00.000Z/quantities',
        status: 404,
      },
    ],
  },
  'GET /api/v1/quantity-holds': {
    access: ANY,
    invalid: () => [
      { what: 'unknown state', url: '/api/v1/quantity-holds?state=frozen', field: 'state' },
      { what: 'limit 0', url: '/api/v1/quantity-holds?limit=0', field: 'limit' },
      { what: 'malformed lotId', url: '/api/v1/quantity-holds?lotId=a%2Fb', field: 'lotId' },
      { what: 'a cursor of another list', url: '/api/v1/quantity-holds?cursor=WzEsMl0', field: 'cursor' },
    ],
  },
  'GET /api/v1/scans': {
    access: ANY,
    invalid: () => [
      { what: 'flagged not a boolean', url: '/api/v1/scans?flagged=maybe', field: 'flagged' },
      { what: 'unknown flag code', url: '/api/v1/scans?flag=scan_unmapped', field: 'flag' },
      { what: 'epc not hex', url: '/api/v1/scans?epc=xyz', field: 'epc' },
      { what: 'limit 0', url: '/api/v1/scans?limit=0', field: 'limit' },
      { what: 'from not a number', url: '/api/v1/scans?from=yesterday', field: 'from' },
      { what: 'cursor not a cursor', url: '/api/v1/scans?cursor=bm9wZQ', field: 'cursor' },
    ],
  },
  'GET /api/v1/receiving-check': {
    access: ANY,
    valid: (f) => ({
      url: `/api/v1/receiving-check?locationId=${f.locationId}&fromLocationId=${f.otherLocationId}&since=0&until=86400000`,
    }),
    invalid: (f) => [
      {
        what: 'no locationId',
        url: `/api/v1/receiving-check?fromLocationId=${f.otherLocationId}&since=0`,
        field: 'locationId',
      },
      {
        what: 'no fromLocationId',
        url: `/api/v1/receiving-check?locationId=${f.locationId}&since=0`,
        field: 'fromLocationId',
      },
      {
        what: 'no since',
        url: `/api/v1/receiving-check?locationId=${f.locationId}&fromLocationId=${f.otherLocationId}`,
        field: 'since',
      },
      {
        what: 'until before since',
        url: `/api/v1/receiving-check?locationId=${f.locationId}&fromLocationId=${f.otherLocationId}&since=5000&until=1000`,
        field: /until must be after since/,
      },
      {
        what: 'a window over 31 days',
        url: `/api/v1/receiving-check?locationId=${f.locationId}&fromLocationId=${f.otherLocationId}&since=0&until=${32 * 86_400_000}`,
        field: /at most 31 days/,
      },
      {
        what: 'the same location on both sides',
        url: `/api/v1/receiving-check?locationId=${f.locationId}&fromLocationId=${f.locationId}&since=0&until=1000`,
        field: /another location/,
      },
    ],
    unknown: (f) => [
      {
        what: 'unknown shipping location',
        url: `/api/v1/receiving-check?locationId=${f.locationId}&fromLocationId=no-such-room&since=0&until=1000`,
        status: 404,
      },
    ],
  },
  'GET /api/v1/epcs': {
    access: ANY,
    invalid: () => [
      {
        what: 'uncommissioned not a boolean',
        url: '/api/v1/epcs?uncommissioned=maybe',
        field: 'uncommissioned',
      },
      { what: 'limit 0', url: '/api/v1/epcs?limit=0', field: 'limit' },
    ],
  },
  'GET /api/v1/epcs/:epc': {
    access: ANY,
    invalid: () => [
      { what: 'EPC not hex', url: '/api/v1/epcs/XYZ', field: 'epc' },
      { what: 'EPC with a space', url: '/api/v1/epcs/DEAD%20BEEF', field: 'epc' },
    ],
    unknown: () => [{ what: 'never seen EPC', url: '/api/v1/epcs/DEADBEEF0001', status: 404 }],
  },
};
