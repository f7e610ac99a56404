// Tables of accounts and their credentials.

/**
 * Users of the HTTP API and pages (docs/architecture.md "HTTP API and QA pages"). `roles` is a
 * comma-separated subset of viewer,operator,qa,admin.
 */
export interface UsersTable {
  id: string;
  username: string;
  printed_name: string;
  roles: string;
  /** argon2id PHC string. */
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

/** Page sessions: only the SHA-256 of the cookie value is stored. */
export interface SessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

/** Bearer tokens for integrations: only the SHA-256 of the token is stored. */
export interface ApiTokensTable {
  id: string;
  token_hash: string;
  name: string;
  /** The user who created it (audit), or null for tokens issued by the CLI. */
  user_id: string | null;
  roles: string;
  created_at: number;
  last_used_at: number | null;
  revoked: number;
}

/** Consecutive failed logins per username (also unknown ones), for lockout and backoff. */
export interface LoginFailuresTable {
  username: string;
  failures: number;
  last_failure_at: number;
  locked_until: number;
}
