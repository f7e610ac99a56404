import type { Role } from '../../src/auth/roles.js';

/**
 * Types and rule names of the endpoint suite's access table (docs/qa-pages.md "Roles", "Authentication").
 *
 * - `open`: no authentication at all (health, metrics, API docs, static files, login);
 * - `page`: an HTML page for any logged-in user; without login a 303 to /login;
 * - a role list: the caller needs at least one of them (roles are not ranked).
 */
export type Access = 'open' | 'page' | readonly Role[];

/** Any authenticated user (the default for GET). */
export const ANY: readonly Role[] = ['viewer', 'operator', 'qa', 'admin'];
/** Master data and operations: operator or admin (qa signs, it does not edit master data). */
export const OPS: readonly Role[] = ['operator', 'admin'];
/** Signing (dispositions, limit and specification changes) and audit verification (qa+): 21 CFR 11.50. */
export const SIGN: readonly Role[] = ['qa', 'admin'];
export const ADMIN: readonly Role[] = ['admin'];

export interface Req {
  url: string;
  payload?: unknown;
}

/** What the suite knows when it builds a request (created in its beforeAll). */
export interface Fixture {
  /** A user that can log in (for POST /auth/login). */
  loginUser: { username: string; password: string };
  /** A QA user whose credentials sign dispositions. */
  /** The session user's own credentials (an e-signature is accepted only from its owner). */
  signer: { username: string; password: string };
  /** Valid credentials of another QA user. */
  otherSigner: { username: string; password: string };
  /** An existing user (target of PATCH /users/:id). */
  userId: string;
  locationId: string;
  /** A second location (the shipping side of a receiving check). */
  otherLocationId: string;
  gtin: string;
  lotId: string;
  /** Unique per call, for ids the valid requests create. */
  uniq(): string;
  /** Unique number per call. */
  n(): number;
}

export interface InvalidCase {
  what: string;
  url: string;
  payload?: unknown;
  /** The field the `message` must name (or a pattern it must match). */
  field: string | RegExp;
  /** Default 400 with `error: 'invalid'` (also for router errors: `frameworkErrors` in build-app.ts). */
  status?: 400;
  error?: string;
  /**
   * A defect of the route found by this suite (reported, not yet fixed): the case runs with `it.fails`, so
   * it starts failing — and must be moved back to the strict cases — once the route is fixed.
   */
  knownDefect?: string;
}

export interface UnknownCase {
  what: string;
  url: string;
  payload?: unknown;
  /** 404 for an unknown id in the path; 400 for an unknown reference in the body. */
  status: 404 | 400;
}

export interface RouteSpec {
  access: Access;
  /** Minimal well-formed input: an allowed caller must get past the auth layer. Default: the sample URL. */
  valid?: (f: Fixture, role: Role | 'none') => Req;
  /** A write that takes no body (the malformed-body cases do not apply). */
  noBody?: boolean;
  /** The allowed-caller check needs a cookie session (the route serves logged-in users only). */
  sessionOnly?: boolean;
  invalid?: (f: Fixture) => InvalidCase[];
  unknown?: (f: Fixture) => UnknownCase[];
}

/** A location's limits (alone: an e-signed limit change). */
export const LIMITS = {
  minC: 2,
  maxC: 8,
  alarmDelayMs: 600_000,
  criticalMarginC: 5,
  maxGapMs: 300_000,
};
export const LOCATION = { name: 'Cold room', kind: 'room', ...LIMITS };
/** A product's specification (alone: an e-signed specification change). */
export const SPECIFICATION = { minC: 2, maxC: 8, stabilityBudgetMs: 3_600_000 };
export const PRODUCT = { name: 'Vaccine', ...SPECIFICATION };

/** A malformed path id: a space, and an encoded slash (decoded into the parameter by Fastify). */
export const badIds = (url: (id: string) => string, field = 'id', payload?: unknown): InvalidCase[] => [
  { what: 'id with a space', url: url('bad%20id'), payload, field },
  { what: 'id with an encoded slash', url: url('a%2Fb'), payload, field },
];
export const badUuid = (url: (id: string) => string, payload?: unknown): InvalidCase[] => [
  { what: 'id that is not a UUID', url: url('not-a-uuid'), payload, field: 'id' },
  ...badIds(url, 'id', payload),
];
/**
 * Excursion ids are `location@ISO-start` (free text; the schema allows 200 characters, but Fastify's
 * default `maxParamLength` of 100 stops longer ones first).
 */
export const longId = 'x'.repeat(201);

/** Human name of an access rule, for test titles. */
export function accessName(a: Access): string {
  if (a === 'open' || a === 'page') return a;
  if (a.length === 4) return 'any user';
  return a.join('|');
}
