import {
  ADMIN,
  ANY,
  badIds,
  longId,
  OPS,
  PRODUCT,
  type RouteSpec,
  SIGN,
  SPECIFICATION,
} from './access-rules.js';

/** Access rules and inputs of the domain routes: master data, lots, EPCs, excursions, audit, exports. */
export const DOMAIN_ROUTES: Record<string, RouteSpec> = {
  // ---- portals, sensors, webhooks -----------------------------------------------------------------------
  'GET /api/v1/portals': { access: ANY },
  'PUT /api/v1/portals/:id': {
    access: OPS,
    valid: (f) => ({ url: `/api/v1/portals/p-${f.uniq()}`, payload: { name: 'Dock door' } }),
    invalid: () => [
      ...badIds((id) => `/api/v1/portals/${id}`, 'id', { name: 'Dock door' }),
      { what: 'missing name', url: '/api/v1/portals/p-x', payload: {}, field: 'name' },
      {
        what: 'from of the wrong type',
        url: '/api/v1/portals/p-x',
        payload: { name: 'D', from: 5 },
        field: 'from',
      },
      {
        what: 'unknown key',
        url: '/api/v1/portals/p-x',
        payload: { name: 'D', gateway: 'g' },
        field: 'gateway',
      },
    ],
  },
  'GET /api/v1/sensors': {
    access: ANY,
    invalid: () => [
      { what: 'unknown calibration state', url: '/api/v1/sensors?calibration=expired', field: 'calibration' },
    ],
  },
  'GET /api/v1/calibration-alarms': {
    access: ANY,
    invalid: () => [
      { what: 'all is not true/false', url: '/api/v1/calibration-alarms?all=yes', field: 'all' },
    ],
  },
  'PUT /api/v1/sensors/:id': {
    access: OPS,
    valid: (f) => ({
      url: `/api/v1/sensors/s-${f.uniq()}`,
      payload: { name: 'Probe', locationId: f.locationId },
    }),
    invalid: (f) => [
      ...badIds((id) => `/api/v1/sensors/${id}`, 'id', { name: 'Probe', locationId: f.locationId }),
      {
        what: 'missing locationId',
        url: '/api/v1/sensors/s-x',
        payload: { name: 'Probe' },
        field: 'locationId',
      },
      {
        what: 'malformed locationId',
        url: '/api/v1/sensors/s-x',
        payload: { name: 'Probe', locationId: 'bad id' },
        field: 'locationId',
      },
      {
        what: 'unknown key',
        url: '/api/v1/sensors/s-x',
        payload: { name: 'Probe', locationId: f.locationId, unit: 'C' },
        field: 'unit',
      },
      {
        what: 'calibration due before it was made',
        url: '/api/v1/sensors/s-x',
        payload: {
          name: 'Probe',
          locationId: f.locationId,
          calibration: { certificate: 'CAL-1', calibratedAt: 2_000, dueAt: 1_000 },
        },
        field: 'dueAt',
      },
    ],
    unknown: () => [
      {
        what: 'unregistered location',
        url: '/api/v1/sensors/s-y',
        payload: { name: 'Probe', locationId: 'no-such-room' },
        status: 400,
      },
    ],
  },
  'GET /api/v1/webhooks': { access: ADMIN },
  'PUT /api/v1/webhooks/:id': {
    access: ADMIN,
    valid: (f) => ({
      url: `/api/v1/webhooks/wh-${f.uniq()}`,
      payload: { url: 'https://example.invalid/hook', secret: '0123456789abcdef', enabled: false },
    }),
    invalid: () => {
      const ok = { url: 'https://example.invalid/hook', secret: '0123456789abcdef' };
      return [
        ...badIds((id) => `/api/v1/webhooks/${id}`, 'id', ok),
        { what: 'ftp url', url: '/api/v1/webhooks/wh-x', payload: { ...ok, url: 'ftp://x/y' }, field: 'url' },
        {
          what: 'short secret',
          url: '/api/v1/webhooks/wh-x',
          payload: { ...ok, secret: 'short' },
          field: 'secret',
        },
        {
          what: 'unknown event',
          url: '/api/v1/webhooks/wh-x',
          payload: { ...ok, events: ['bogus'] },
          field: 'events',
        },
        {
          what: 'unknown key',
          url: '/api/v1/webhooks/wh-x',
          payload: { ...ok, retries: 3 },
          field: 'retries',
        },
      ];
    },
  },

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
    // E-signed by the session user, as a specification change (limit-changes.int.test.ts).
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

  // ---- excursions, locks, dispositions, audit, reports, EPCIS ---------------------------------------------
  'GET /api/v1/excursions': {
    access: ANY,
    invalid: () => [
      { what: 'malformed locationId', url: '/api/v1/excursions?locationId=bad%20id', field: 'locationId' },
      { what: 'unknown reviewState', url: '/api/v1/excursions?reviewState=maybe', field: 'reviewState' },
      { what: 'unknown state', url: '/api/v1/excursions?state=hot', field: 'state' },
      { what: 'limit over the maximum', url: '/api/v1/excursions?limit=1001', field: 'limit' },
      { what: 'cursor not base64url JSON', url: '/api/v1/excursions?cursor=%21%21', field: 'cursor' },
    ],
  },
  'GET /api/v1/excursions/:id': {
    access: ANY,
    invalid: () => [
      {
        what: 'id over 200 characters',
        url: `/api/v1/excursions/${longId}`,
        field: 'id',
      },
      { what: 'broken percent-encoding', url: '/api/v1/excursions/%zz', field: /%zz/ },
    ],
    unknown: () => [
      {
        what: 'unknown excursion',
        url: '/api/v1/excursions/no-such-room@2020-01-01T00:00:00.000Z',
        status: 404,
      },
      // Excursion ids are free text (location@ISO-start), so a space or slash is merely unknown.
      { what: 'id with a space', url: '/api/v1/excursions/bad%20id', status: 404 },
      { what: 'id with an encoded slash', url: '/api/v1/excursions/a%2Fb', status: 404 },
    ],
  },
  'GET /api/v1/monitoring-gaps': {
    access: ANY,
    invalid: () => [
      { what: 'malformed locationId', url: '/api/v1/monitoring-gaps?locationId=a%2Fb', field: 'locationId' },
    ],
  },
  'GET /api/v1/locks': {
    access: ANY,
    invalid: () => [
      { what: 'unknown state', url: '/api/v1/locks?state=frozen', field: 'state' },
      { what: 'limit 0', url: '/api/v1/locks?limit=0', field: 'limit' },
      { what: 'unknown cause', url: '/api/v1/locks?cause=heat', field: 'cause' },
      { what: 'a cursor of another list', url: '/api/v1/locks?cursor=WzEsMl0', field: 'cursor' },
    ],
  },
  'GET /api/v1/summary': {
    access: ANY,
    invalid: () => [{ what: 'lots over the maximum', url: '/api/v1/summary?lots=501', field: 'lots' }],
  },
  'GET /api/v1/rule-alarms': {
    access: ANY,
    invalid: () => [
      { what: 'unknown rule', url: '/api/v1/rule-alarms?rule=frost', field: 'rule' },
      { what: 'limit 0', url: '/api/v1/rule-alarms?limit=0', field: 'limit' },
      { what: 'a cursor of another list', url: '/api/v1/rule-alarms?cursor=WyJhIl0', field: 'cursor' },
    ],
  },
  'POST /api/v1/excursions/:id/dispositions': {
    access: SIGN,
    // Signed in the signer's own session (tokens and other users are refused: see the suite).
    sessionOnly: true,
    // Well-formed, correctly signed, for an excursion that does not exist: past the auth layer, then 404.
    valid: (f) => ({
      url: '/api/v1/excursions/no-such-room@2020-01-01T00:00:00.000Z/dispositions',
      payload: { lotId: f.lotId, decision: 'release', reason: 'checked', ...f.signer },
    }),
    invalid: (f) => {
      const url = '/api/v1/excursions/no-such-room@2020-01-01T00:00:00.000Z/dispositions';
      const ok = { lotId: f.lotId, decision: 'release', reason: 'checked', ...f.signer };
      return [
        {
          what: 'id over 200 characters',
          url: `/api/v1/excursions/${longId}/dispositions`,
          payload: ok,
          field: 'id',
        },
        {
          what: 'both lotId and epc',
          url,
          payload: { ...ok, epc: 'DEADBEEF' },
          field: /exactly one of lotId or epc/,
        },
        { what: 'unknown decision', url, payload: { ...ok, decision: 'maybe' }, field: 'decision' },
        { what: 'missing reason', url, payload: { ...ok, reason: undefined }, field: 'reason' },
        { what: 'unknown key', url, payload: { ...ok, meaning: 'approval' }, field: 'meaning' },
      ];
    },
    unknown: (f) => [
      {
        what: 'unknown excursion',
        url: '/api/v1/excursions/no-such-room@2020-01-01T00:00:00.000Z/dispositions',
        payload: { lotId: f.lotId, decision: 'reject', reason: 'checked', ...f.signer },
        status: 404,
      },
    ],
  },
  'GET /api/v1/release-proposals': {
    access: ANY,
    invalid: () => [{ what: 'unknown state', url: '/api/v1/release-proposals?state=maybe', field: 'state' }],
  },
  'POST /api/v1/release-proposals/:id/approve': {
    access: SIGN,
    // Signed in the signer's own session, like a disposition.
    sessionOnly: true,
    // Well-formed and correctly signed, for a proposal that does not exist: past the auth layer, then 404.
    valid: (f) => ({ url: '/api/v1/release-proposals/no-such-proposal/approve', payload: { ...f.signer } }),
    invalid: (f) => [
      {
        what: 'id over 200 characters',
        url: `/api/v1/release-proposals/${longId}/approve`,
        payload: { ...f.signer },
        field: 'id',
      },
      {
        what: 'unknown key',
        url: '/api/v1/release-proposals/p-1/approve',
        payload: { ...f.signer, decision: 'release' },
        field: 'decision',
      },
    ],
    unknown: (f) => [
      {
        what: 'unknown proposal',
        url: '/api/v1/release-proposals/no-such-proposal/approve',
        payload: { ...f.signer },
        status: 404,
      },
    ],
  },
  'GET /api/v1/rejected-stock': { access: ANY },
  'GET /api/v1/stock-closures': {
    access: ANY,
    invalid: () => [{ what: 'empty lotId', url: '/api/v1/stock-closures?lotId=', field: 'lotId' }],
  },
  'POST /api/v1/stock-closures': {
    access: SIGN,
    // Signed in the signer's own session, like a disposition.
    sessionOnly: true,
    // Well-formed and correctly signed, for a lot with nothing rejected: past the auth layer, then 409.
    valid: (f) => ({
      url: '/api/v1/stock-closures',
      payload: {
        lotId: f.lotId,
        outcome: 'destroyed',
        reference: 'DC-1',
        reason: 'incinerated',
        ...f.signer,
      },
    }),
    invalid: (f) => {
      const ok = {
        lotId: f.lotId,
        outcome: 'destroyed',
        reference: 'DC-1',
        reason: 'incinerated',
        ...f.signer,
      };
      return [
        {
          what: 'unknown outcome',
          url: '/api/v1/stock-closures',
          payload: { ...ok, outcome: 'lost' },
          field: 'outcome',
        },
        {
          what: 'missing reference',
          url: '/api/v1/stock-closures',
          payload: { ...ok, reference: undefined },
          field: 'reference',
        },
        {
          what: 'both lotId and epc',
          url: '/api/v1/stock-closures',
          payload: { ...ok, epc: 'DEADBEEF' },
          field: /exactly one of lotId or epc/,
        },
      ];
    },
  },
  'GET /api/v1/dispositions': {
    access: ANY,
    invalid: () => [
      { what: 'lotId given twice', url: '/api/v1/dispositions?lotId=a&lotId=b', field: 'lotId' },
    ],
  },
  'GET /api/v1/audit': {
    access: ANY,
    invalid: () => [
      { what: 'negative afterSeq', url: '/api/v1/audit?afterSeq=-1', field: 'afterSeq' },
      { what: 'limit not a number', url: '/api/v1/audit?limit=abc', field: 'limit' },
      { what: 'limit 0', url: '/api/v1/audit?limit=0', field: 'limit' },
      { what: 'beforeSeq 0', url: '/api/v1/audit?beforeSeq=0', field: 'beforeSeq' },
      { what: 'unknown order', url: '/api/v1/audit?order=sideways', field: 'order' },
      { what: 'from not a time', url: '/api/v1/audit?from=last-week', field: 'from' },
    ],
  },
  'GET /api/v1/audit/verify': { access: SIGN },
  'GET /api/v1/audit/facets': { access: ANY },
  'GET /api/v1/audit/export.csv': {
    access: ANY,
    invalid: () => [
      { what: 'from not a time', url: '/api/v1/audit/export.csv?from=yesterday', field: 'from' },
      { what: 'to not a time', url: '/api/v1/audit/export.csv?to=2026-13', field: 'to' },
    ],
  },
  'GET /api/v1/audit/export.pdf': {
    access: ANY,
    invalid: () => [{ what: 'from not a time', url: '/api/v1/audit/export.pdf?from=soon', field: 'from' }],
  },
  'GET /api/v1/excursions/:id/report.pdf': {
    access: ANY,
    invalid: () => [
      {
        what: 'id over 200 characters',
        url: `/api/v1/excursions/${longId}/report.pdf`,
        field: 'id',
      },
    ],
    unknown: () => [
      {
        what: 'unknown excursion',
        url: '/api/v1/excursions/no-such-room@2020-01-01T00:00:00.000Z/report.pdf',
        status: 404,
      },
    ],
  },
  'GET /api/v1/epcis/events': {
    access: ANY,
    invalid: () => [
      { what: 'EPC not hex', url: '/api/v1/epcis/events?epc=xyz', field: 'epc' },
      { what: 'from not a time', url: '/api/v1/epcis/events?from=yesterday', field: 'from' },
      { what: 'tz not ±hh:mm', url: '/api/v1/epcis/events?tz=CET', field: 'tz' },
      {
        what: 'to before from',
        url: '/api/v1/epcis/events?from=2000&to=1000',
        field: /to must be after from/,
      },
    ],
  },
};
