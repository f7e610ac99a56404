import { ColdtraceError } from '@coldtrace/shared';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthConfig } from './auth-config.js';
import { type AuthService, csrfMatches } from './auth-service.js';
import { ANY_ROLE, hasAnyRole, type Principal, WRITE_ROLES } from './roles.js';
import { decodedPath, overTls } from './transport-security.js';

export const SESSION_COOKIE = 'coldtrace_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Per-route settings the auth hook reads from `config` (`app.get(url, { config: { roles: [...] } }, …)`). */
export interface AuthRouteConfig {
  /** Roles of which the caller needs at least one. Default: any role for GET/HEAD, operator/qa/admin otherwise. */
  roles?: readonly string[];
  /** No authentication at all (login, first-run status, static assets). */
  public?: boolean;
  /** An HTML page: unauthenticated callers are redirected to /login instead of getting 401. */
  page?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; set by the auth hook for every authenticated route, else null. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    roles?: readonly string[];
    public?: boolean;
    page?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Paths that stay open without authentication (documented in docs/qa-pages.md). */
function isOpenPath(path: string): boolean {
  return (
    path === '/healthz' ||
    path === '/readyz' ||
    path === '/metrics' ||
    path === '/openapi.json' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/static/') ||
    path === '/favicon.ico'
  );
}

/** Reads the bearer token or the session cookie; null when neither authenticates. */
export async function authenticate(auth: AuthService, req: FastifyRequest): Promise<Principal | null> {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m ? auth.tokenPrincipal(m[1]!) : null;
  }
  const cookie = req.cookies?.[SESSION_COOKIE];
  return cookie ? auth.sessionPrincipal(cookie) : null;
}

/** `Secure` whenever the client reached us over TLS (auth/transport-security.ts), or when forced. */
export function setSessionCookie(reply: FastifyReply, config: AuthConfig, sessionId: string): void {
  reply.setCookie(SESSION_COOKIE, sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: overTls(reply.request, config.cookieSecure),
    maxAge: Math.floor(config.sessionTtlMs / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply, config: AuthConfig): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: overTls(reply.request, config.cookieSecure),
  });
}

/**
 * Cookies, security headers, the login rate limiter and the authorization hook, on the root instance
 * (not encapsulated, so every route registered on `app` is covered).
 *
 * - `/api/v1/**` needs a session cookie or a bearer token (401), and the route's roles (403, a security
 *   event: audit trail, log, metric);
 * - a cookie-authenticated state-changing request must echo the session's CSRF token in `x-csrf-token`
 *   (OWASP CSRF Prevention Cheat Sheet, synchronizer token pattern); bearer tokens are not ambient
 *   credentials, so they need none;
 * - pages (`config.page`) redirect to /login.
 */
export async function installAuth(
  app: FastifyInstance,
  auth: AuthService,
  config: AuthConfig,
): Promise<void> {
  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    // CSP Level 3: scripts and styles only from our own origin; no inline script anywhere.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Sent per request by auth/transport-security.ts: only when the client reached us over TLS.
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      new ColdtraceError('too_many_requests', `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  });
  app.decorateRequest('principal', null);

  // 21 CFR 11.300(d): attempts at unauthorized use are detected and reported. Every 403 (the role check
  // below, a missing CSRF token, a route's own refusal such as signing as someone else) is a security event.
  app.addHook('onError', async (req, _reply, err) => {
    if (!(err instanceof ColdtraceError) || err.code !== 'forbidden') return;
    const actor = req.principal?.username ?? '(anonymous)';
    const what = `${req.method} ${req.routeOptions.url ?? decodedPath(req.url)}`;
    await auth.security.record({
      event: /^signature refused/.test(err.message) ? 'signature_refused' : 'permission_denied',
      actor,
      subject: what,
      source: req.ip,
      code: 'forbidden',
      reason: `${actor} refused ${what}: ${err.message}`,
      details: { roles: req.principal?.roles ?? [] },
    });
  });

  app.addHook('onRequest', async (req, reply) => {
    // Decide on the route the router matched (its pattern, after percent-decoding), never on the raw
    // URL: `/%61pi/v1/lots` reaches the same handler as `/api/v1/lots`. Every matched route needs
    // authentication unless it is declared public or is one of the open paths (deny by default).
    const route = req.routeOptions.url;
    const cfg = (req.routeOptions.config ?? {}) as AuthRouteConfig;
    if (route === undefined) {
      // No route: a 404 follows. Under /api/ it is a 401 first, so the API cannot be mapped anonymously.
      if (!decodedPath(req.url).startsWith('/api/')) return;
    } else if (cfg.public || isOpenPath(route)) return;
    const isPage = cfg.page === true;

    const principal = await authenticate(auth, req);
    if (!principal) {
      if (isPage) {
        clearSessionCookie(reply, config);
        return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
      }
      throw new ColdtraceError('unauthorized', 'authentication required: log in or send a bearer token');
    }
    req.principal = principal;
    if (principal.kind === 'session' && !SAFE_METHODS.has(req.method)) {
      const given = req.headers[CSRF_HEADER];
      if (!csrfMatches(principal.csrfToken!, typeof given === 'string' ? given : undefined))
        throw new ColdtraceError(
          'forbidden',
          `missing or invalid CSRF token (send the ${CSRF_HEADER} header)`,
        );
    }
    const need = cfg.roles ?? (SAFE_METHODS.has(req.method) ? ANY_ROLE : WRITE_ROLES);
    if (!hasAnyRole(principal.roles, need)) {
      if (isPage) throw new ColdtraceError('forbidden', 'your roles do not allow this page');
      throw new ColdtraceError('forbidden', `needs one of the roles: ${need.join(', ')}`);
    }
  });
}

/** The principal of an authenticated route (the hook guarantees it). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ColdtraceError('unauthorized', 'authentication required');
  return req.principal;
}
