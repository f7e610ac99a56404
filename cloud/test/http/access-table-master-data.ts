import { ADMIN, ANY, badIds, OPS, type RouteSpec } from './access-rules.js';

/** Access rules and inputs of the master-data routes: portals, sensors, calibration alarms, webhooks, products. */
export const MASTER_DATA_ROUTES: Record<string, RouteSpec> = {
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
};
