import { z } from 'zod';

/**
 * The four roles of docs/architecture.md "HTTP API and QA pages". A user holds one or more; they are not
 * ranked.
 */
export const ROLES = ['viewer', 'operator', 'qa', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);
export const rolesSchema = z.array(roleSchema).min(1).max(ROLES.length);

/** Every authenticated user may read; writing needs one of these unless a route says otherwise. */
export const ANY_ROLE: readonly Role[] = ROLES;
export const WRITE_ROLES: readonly Role[] = ['operator', 'qa', 'admin'];
/** Roles allowed to sign a disposition (21 CFR 11.50 signature manifestation). */
export const SIGNING_ROLES: readonly Role[] = ['qa', 'admin'];

/** True when `have` holds at least one of `need`. */
export function hasAnyRole(have: readonly string[], need: readonly string[]): boolean {
  return need.some((r) => have.includes(r));
}

/** Roles as stored (comma-separated, sorted in ROLES order, unknown names dropped). */
export function encodeRoles(roles: readonly string[]): string {
  return ROLES.filter((r) => roles.includes(r)).join(',');
}

export function decodeRoles(text: string): Role[] {
  const set = new Set(text.split(','));
  return ROLES.filter((r) => set.has(r));
}

/** Who made a request: a page session or an integration's bearer token. */
export interface Principal {
  kind: 'session' | 'token';
  /** The user; for a token, the user who created it (null for tokens issued by the CLI). */
  userId: string | null;
  username: string;
  printedName: string;
  roles: Role[];
  /** Session only: the synchronizer token that state-changing requests must echo in `x-csrf-token`. */
  csrfToken?: string;
  tokenId?: string;
}
