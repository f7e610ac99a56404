/**
 * Socket errors of a connection to the database server (Node's `code`): refused while the server is down or
 * restarting, reset or broken when it went away, unreachable or unresolvable over the network.
 */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of a session the server ended or would not start (PostgreSQL docs, Appendix A
 * "PostgreSQL Error Codes"): 57P01 admin_shutdown (a fast shutdown or `pg_terminate_backend`), 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down, in recovery), 57P05
 * idle_session_timeout; class 08 is "connection exception" as a whole.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P05']);

/**
 * node-postgres and pg-pool failures without a code (pg 8: lib/client.js, pg-pool/index.js): the server
 * closed the socket, a new connection's connect timed out, or the client lost its connection before this
 * query. Not pg-pool's 'timeout exceeded when trying to connect': that is a wait for a free connection of a
 * busy pool (a stall, not an outage), which a probe getting one connection does not show over.
 */
const DRIVER_MESSAGES = [
  /^Connection terminated unexpectedly$/,
  /^Connection terminated due to connection timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
];

/**
 * Whether `err` says the database could not be reached or dropped the session, as opposed to refusing the
 * statement (a full disk, a read-only database, a constraint, a bug). A read that answers afterwards on a
 * fresh connection shows the first kind is over; it says nothing of the second (ingest-health.ts).
 * Follows `cause` and the `errors` of an AggregateError (Node's connect to several addresses).
 */
export function isConnectionFailure(err: unknown, depth = 0): boolean {
  if (depth > 4 || typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (SOCKET_CODES.has(e.code) || SQLSTATES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code)) return true;
  }
  if (typeof e.message === 'string' && DRIVER_MESSAGES.some((m) => m.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isConnectionFailure(x, depth + 1))) return true;
  return isConnectionFailure(e.cause, depth + 1);
}
