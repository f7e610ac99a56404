import { ANY, longId, type RouteSpec, SIGN } from './access-rules.js';

/** Access rules and inputs of the quality routes: excursions, locks, dispositions, audit, reports, EPCIS. */
export const QUALITY_ROUTES: Record<string, RouteSpec> = {
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
