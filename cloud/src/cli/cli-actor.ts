import { userInfo } from 'node:os';

/**
 * The actor of a human action taken with a `coldtrace` CLI on the server, for the audit trail: the
 * operating-system account that ran it (`cli:<user>`), the only identity the CLI has.
 */
export function cliActor(): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry for the uid (some containers): fall back to the environment.
  }
  return `cli:${name || process.env.USER || process.env.LOGNAME || 'unknown'}`;
}
