import type { FastifyInstance, FastifyRequest } from 'fastify';

/** RFC 6797 §6.1: 180 days, subdomains included. */
const HSTS = 'max-age=15552000; includeSubDomains';

/**
 * Whether the client reached us over TLS: served over TLS, or a trusted proxy said so
 * (`X-Forwarded-Proto`, read only when `trustProxy` trusts it), or the config forces it (`cookieSecure`).
 */
export function overTls(req: FastifyRequest, forceSecure: boolean): boolean {
  return forceSecure || req.protocol === 'https';
}

/** The path of a request URL, percent-decoded where it decodes (as the router sees it). */
export function decodedPath(url: string): string {
  const path = url.split('?', 1)[0]!;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Response headers of the transport, on every reply (errors and 404s included):
 * - HSTS only over TLS: RFC 6797 §7.2 forbids it over plain HTTP, where it would be ignored anyway;
 * - `Cache-Control: no-store` under /api/: lot, excursion and user data must not stay in browser or proxy
 *   caches (RFC 9111 §5.2.2.5).
 */
export function installTransportHeaders(app: FastifyInstance, forceSecure: boolean): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (overTls(req, forceSecure)) reply.header('strict-transport-security', HSTS);
    if (decodedPath(req.url).startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
