// Fetch wrapper for /api/v1: same-origin session cookie, CSRF synchronizer token on state-changing calls.
let mePromise;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** The logged-in user (cached): { username, printedName, roles, csrfToken }. Redirects to /login if none. */
export function me() {
  mePromise ??= request('GET', '/api/v1/auth/me');
  return mePromise;
}

async function request(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const m = await me();
    headers['x-csrf-token'] = m.csrfToken;
  }
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  // A 401 means "log in again" only when the session itself is gone (a refused e-signature is a 401 too).
  if (res.status === 401 && path !== '/api/v1/auth/me' && !(await sessionAlive())) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, { message: 'not logged in' });
  }
  if (res.status === 401 && path === '/api/v1/auth/me') {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, { message: 'not logged in' });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

async function sessionAlive() {
  const res = await fetch('/api/v1/auth/me', { credentials: 'same-origin' });
  return res.ok;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body ?? {}),
  put: (path, body) => request('PUT', path, body ?? {}),
  patch: (path, body) => request('PATCH', path, body ?? {}),
  del: (path) => request('DELETE', path),
  /** GET that resolves to `fallback` when the endpoint does not exist (yet) instead of failing the page. */
  async optional(path, fallback = null) {
    try {
      return await request('GET', path);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return fallback;
      throw err;
    }
  },
};

export function hasRole(user, ...roles) {
  return roles.some((r) => user.roles.includes(r));
}
