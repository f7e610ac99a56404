import { ADMIN, ANY, badIds, LIMITS, LOCATION, OPS, type RouteSpec, SIGN } from './access-rules.js';
import { AUTH_ROUTES } from './access-table-auth.js';
import { DOMAIN_ROUTES } from './access-table-domain.js';
import { HIBC_LINK_ROUTES } from './access-table-hibc.js';

/**
 * The access rule of every route the cloud serves, and the inputs the endpoint suite sends to it (types
 * and rule names in access-rules.ts). The suite FAILS when the running app has a route this table does not
 * name: adding an endpoint means deciding here (or in the access-table-*.ts parts it spreads in) who may call it.
 */
export const ACCESS_TABLE: Record<string, RouteSpec> = {
  // ---- open: health, metrics, API docs (Swagger UI and its assets), static files, login page ----------
  'GET /healthz': { access: 'open' },
  'GET /readyz': { access: 'open' },
  'GET /metrics': { access: 'open' },
  'GET /openapi.json': { access: 'open' },
  'GET /docs': { access: 'open' },
  'GET /docs/': { access: 'open' },
  'GET /docs/*': { access: 'open', valid: () => ({ url: '/docs/static/swagger-ui.css' }) },
  'GET /docs/json': { access: 'open' },
  'GET /docs/yaml': { access: 'open' },
  'GET /docs/static/index.html': { access: 'open' },
  'GET /docs/static/swagger-initializer.js': { access: 'open' },
  'GET /static/:file': { access: 'open' },
  'GET /login': { access: 'open' },

  // ---- QA pages: any logged-in user; the API behind them enforces the roles ------------------------------
  'GET /': { access: 'page' },
  'GET /excursions': { access: 'page' },
  'GET /excursions/:id': { access: 'page' },
  'GET /lots': { access: 'page' },
  'GET /lots/:id': { access: 'page' },
  'GET /scans': { access: 'page' },
  'GET /gateways': { access: 'page' },
  'GET /audit': { access: 'page' },

  // ---- auth and users (access-table-auth.ts) ----------------------------------------------------------------
  ...AUTH_ROUTES,

  // ---- gateways -----------------------------------------------------------------------------------------------
  'GET /api/v1/gateways': { access: ANY },
  'GET /api/v1/gateways/:id': {
    access: ANY,
    invalid: () => badIds((id) => `/api/v1/gateways/${id}`),
    unknown: () => [{ what: 'unknown gateway', url: '/api/v1/gateways/no-such-gw', status: 404 }],
  },
  'GET /api/v1/data-gaps': { access: ANY },
  'POST /api/v1/gateways/:id/credentials': {
    access: ADMIN,
    valid: (f) => ({ url: `/api/v1/gateways/gw-${f.uniq()}/credentials`, payload: { name: 'Dock gateway' } }),
    invalid: () => [
      ...badIds((id) => `/api/v1/gateways/${id}/credentials`),
      {
        what: 'name of the wrong type',
        url: '/api/v1/gateways/gw-x/credentials',
        payload: { name: 5 },
        field: 'name',
      },
      {
        what: 'unknown key',
        url: '/api/v1/gateways/gw-x/credentials',
        payload: { secret: 'mine' },
        field: 'secret',
      },
    ],
  },

  // ---- locations (master data) ----------------------------------------------------------------------------
  'GET /api/v1/locations': { access: ANY },
  'GET /api/v1/locations/:id': {
    access: ANY,
    invalid: () => badIds((id) => `/api/v1/locations/${id}`),
    unknown: () => [{ what: 'unknown location', url: '/api/v1/locations/no-such-room', status: 404 }],
  },
  'PUT /api/v1/locations/:id': {
    access: OPS,
    valid: (f) => ({ url: `/api/v1/locations/loc-${f.uniq()}`, payload: LOCATION }),
    invalid: () => [
      ...badIds((id) => `/api/v1/locations/${id}`, 'id', LOCATION),
      {
        what: 'missing maxGapMs',
        url: '/api/v1/locations/room-x',
        payload: { ...LOCATION, maxGapMs: undefined },
        field: 'maxGapMs',
      },
      {
        what: 'minC of the wrong type',
        url: '/api/v1/locations/room-x',
        payload: { ...LOCATION, minC: 'cold' },
        field: 'minC',
      },
      {
        what: 'kind not in the list',
        url: '/api/v1/locations/room-x',
        payload: { ...LOCATION, kind: 'cave' },
        field: 'kind',
      },
      {
        what: 'minC above maxC',
        url: '/api/v1/locations/room-x',
        payload: { ...LOCATION, minC: 9 },
        field: 'maxC',
      },
      {
        what: 'unknown key',
        url: '/api/v1/locations/room-x',
        payload: { ...LOCATION, maxc: 8 },
        field: 'maxc',
      },
    ],
  },

  'PUT /api/v1/locations/:id/limits': {
    access: SIGN,
    // E-signed by the session user (tokens and other users are refused: limit-changes.int.test.ts).
    sessionOnly: true,
    // Well-formed and correctly signed: past the auth layer (the change itself is tested elsewhere).
    valid: (f) => ({
      url: `/api/v1/locations/${f.locationId}/limits`,
      payload: { ...LIMITS, reason: 'mapping study', ...f.signer },
    }),
    invalid: (f) => {
      const url = `/api/v1/locations/${f.locationId}/limits`;
      const ok = { ...LIMITS, reason: 'mapping study', ...f.signer };
      return [
        ...badIds((id) => `/api/v1/locations/${id}/limits`, 'id', ok),
        { what: 'missing reason', url, payload: { ...ok, reason: undefined }, field: 'reason' },
        { what: 'blank reason', url, payload: { ...ok, reason: '   ' }, field: 'reason' },
        { what: 'missing password', url, payload: { ...ok, password: undefined }, field: 'password' },
        { what: 'minC above maxC', url, payload: { ...ok, minC: 9 }, field: 'maxC' },
        { what: 'a name (not a limit)', url, payload: { ...ok, name: 'Room' }, field: 'name' },
      ];
    },
    unknown: (f) => [
      {
        what: 'unknown location',
        url: '/api/v1/locations/no-such-room/limits',
        payload: { ...LIMITS, reason: 'mapping study', ...f.signer },
        status: 404,
      },
    ],
  },

  'POST /api/v1/locations/:id/limits/corrections': {
    access: SIGN,
    // E-signed by the session user, as a limit change (limit-changes.int.test.ts).
    sessionOnly: true,
    valid: (f) => ({
      url: `/api/v1/locations/${f.locationId}/limits/corrections`,
      payload: { ...LIMITS, effectiveFrom: null, reason: 'mapping study', ...f.signer },
    }),
    invalid: (f) => {
      const url = `/api/v1/locations/${f.locationId}/limits/corrections`;
      const ok = { ...LIMITS, effectiveFrom: null, reason: 'mapping study', ...f.signer };
      return [
        ...badIds((id) => `/api/v1/locations/${id}/limits/corrections`, 'id', ok),
        {
          what: 'missing effectiveFrom',
          url,
          payload: { ...ok, effectiveFrom: undefined },
          field: 'effectiveFrom',
        },
        {
          what: 'effectiveFrom not a time',
          url,
          payload: { ...ok, effectiveFrom: 'yesterday' },
          field: 'effectiveFrom',
        },
        { what: 'missing reason', url, payload: { ...ok, reason: undefined }, field: 'reason' },
        { what: 'minC above maxC', url, payload: { ...ok, minC: 9 }, field: 'maxC' },
      ];
    },
    unknown: (f) => [
      {
        what: 'unknown location',
        url: '/api/v1/locations/no-such-room/limits/corrections',
        payload: { ...LIMITS, effectiveFrom: null, reason: 'mapping study', ...f.signer },
        status: 404,
      },
    ],
  },
  'GET /api/v1/locations/:id/limits/versions': {
    access: ANY,
    valid: (f) => ({ url: `/api/v1/locations/${f.locationId}/limits/versions` }),
    invalid: () => badIds((id) => `/api/v1/locations/${id}/limits/versions`),
    unknown: () => [
      { what: 'unknown location', url: '/api/v1/locations/no-such-room/limits/versions', status: 404 },
    ],
  },

  // ---- telemetry ----------------------------------------------------------------------------------------------
  'GET /api/v1/readings': {
    access: ANY,
    invalid: () => [
      { what: 'negative from', url: '/api/v1/readings?from=-1', field: 'from' },
      { what: 'limit not a number', url: '/api/v1/readings?limit=abc', field: 'limit' },
      { what: 'malformed gatewayId', url: '/api/v1/readings?gatewayId=bad%20id', field: 'gatewayId' },
    ],
  },
  'GET /api/v1/readings/rollups': {
    access: ANY,
    valid: () => ({ url: '/api/v1/readings/rollups?sensorId=s1&resolution=1h' }),
    invalid: () => [
      { what: 'no sensorId', url: '/api/v1/readings/rollups?resolution=1h', field: 'sensorId' },
      {
        what: 'unknown resolution',
        url: '/api/v1/readings/rollups?sensorId=s1&resolution=1d',
        field: 'resolution',
      },
      { what: 'negative to', url: '/api/v1/readings/rollups?sensorId=s1&resolution=5m&to=-1', field: 'to' },
    ],
  },
  'GET /api/v1/movements': {
    access: ANY,
    invalid: () => [{ what: 'limit 0', url: '/api/v1/movements?limit=0', field: 'limit' }],
  },
  'GET /api/v1/alarms': {
    access: ANY,
    invalid: () => [
      { what: 'malformed gatewayId', url: '/api/v1/alarms?gatewayId=a%2Fb', field: 'gatewayId' },
    ],
  },
  'GET /api/v1/dead-letters': {
    access: ANY,
    invalid: () => [
      { what: 'limit 0', url: '/api/v1/dead-letters?limit=0', field: 'limit' },
      { what: 'malformed gatewayId', url: '/api/v1/dead-letters?gatewayId=a%2Fb', field: 'gatewayId' },
      { what: 'a cursor of another list', url: '/api/v1/dead-letters?cursor=WyJhIl0', field: 'cursor' },
    ],
  },
  'GET /api/v1/dead-letters/:id': {
    access: ANY,
    valid: () => ({ url: '/api/v1/dead-letters/1' }),
    invalid: () => [
      { what: 'id not a number', url: '/api/v1/dead-letters/abc', field: 'id' },
      { what: 'id 0', url: '/api/v1/dead-letters/0', field: 'id' },
    ],
    unknown: () => [{ what: 'unknown dead letter', url: '/api/v1/dead-letters/999999999', status: 404 }],
  },
  'POST /api/v1/dead-letters/:id/replay': {
    access: OPS,
    noBody: true,
    valid: () => ({ url: '/api/v1/dead-letters/999999999/replay' }),
    invalid: () => [{ what: 'id not a number', url: '/api/v1/dead-letters/abc/replay', field: 'id' }],
    unknown: () => [
      { what: 'unknown dead letter', url: '/api/v1/dead-letters/999999999/replay', status: 404 },
    ],
  },

  ...DOMAIN_ROUTES,
  ...HIBC_LINK_ROUTES,
};
