import { request } from 'node:https';
import { createTestPki, type TestPki } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/** An HTTPS request trusting `ca` only (node's own TLS stack, as any client would). */
function httpsRequest(
  url: string,
  opts: { ca?: Buffer; method?: string; body?: unknown } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ...(opts.ca ? { ca: opts.ca } : {}),
        headers: body ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sessionCookie = (setCookie: string | string[] | undefined) =>
  [setCookie ?? []].flat().find((c) => c.startsWith('coldtrace_session='));

let pki: TestPki;
let tlsCloud: TestCloud;
let plainCloud: TestCloud;
let proxiedCloud: TestCloud;
let tlsUser: TestUser;
let plainUser: TestUser;
let proxiedUser: TestUser;

beforeAll(async () => {
  pki = createTestPki();
  tlsCloud = await startTestCloud({
    http: { host: '127.0.0.1', port: 0, tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile } },
  });
  plainCloud = await startTestCloud();
  proxiedCloud = await startTestCloud({ http: { host: '127.0.0.1', port: 0, trustProxy: '127.0.0.1' } });
  tlsUser = await createUser(tlsCloud.store, { roles: ['viewer'] });
  plainUser = await createUser(plainCloud.store, { roles: ['viewer'] });
  proxiedUser = await createUser(proxiedCloud.store, { roles: ['viewer'] });
});
afterAll(async () => {
  await tlsCloud?.stop();
  await plainCloud?.stop();
  await proxiedCloud?.stop();
  pki?.remove();
});

describe('HTTPS listener (http.tls)', () => {
  it('serves HTTPS with the configured certificate, trusted through the generated CA', async () => {
    expect(tlsCloud.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await httpsRequest(`${tlsCloud.httpUrl}/healthz`, { ca: pki.ca });
    expect(res.status).toBe(200);
    // Without the CA the certificate is not trusted: the handshake really uses it.
    await expect(httpsRequest(`${tlsCloud.httpUrl}/healthz`)).rejects.toThrow(
      /unable to verify the first certificate/,
    );
  });

  it('login over HTTPS sets a Secure session cookie and sends HSTS', async () => {
    const res = await httpsRequest(`${tlsCloud.httpUrl}/api/v1/auth/login`, {
      ca: pki.ca,
      method: 'POST',
      body: { username: tlsUser.username, password: tlsUser.password },
    });
    expect(res.status).toBe(200);
    const cookie = sessionCookie(res.headers['set-cookie']);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(res.headers['strict-transport-security']).toBe('max-age=15552000; includeSubDomains');
    const page = await httpsRequest(`${tlsCloud.httpUrl}/login`, { ca: pki.ca });
    expect(page.headers['strict-transport-security']).toBe('max-age=15552000; includeSubDomains');
  });

  it('a missing certificate file stops the start with the config path and the file', async () => {
    await expect(
      startTestCloud({
        http: {
          host: '127.0.0.1',
          port: 0,
          tls: { certFile: `${pki.dir}/nope.pem`, keyFile: pki.server.keyFile },
        },
      }),
    ).rejects.toThrow(/http\.tls\.certFile: cannot read .*nope\.pem/);
  });
});

describe('Secure cookies and HSTS behind a proxy (http.trustProxy)', () => {
  const login = (cloud: TestCloud, user: TestUser, proto?: string) =>
    cloud.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: proto ? { 'x-forwarded-proto': proto } : {},
      payload: { username: user.username, password: user.password },
    });

  it('a trusted proxy saying https gets them; saying http does not', async () => {
    const viaTls = await login(proxiedCloud, proxiedUser, 'https');
    expect(viaTls.statusCode).toBe(200);
    expect(sessionCookie(viaTls.headers['set-cookie'])).toMatch(/; Secure/);
    expect(viaTls.headers['strict-transport-security']).toBe('max-age=15552000; includeSubDomains');

    const viaHttp = await login(proxiedCloud, proxiedUser, 'http');
    expect(viaHttp.statusCode).toBe(200);
    expect(sessionCookie(viaHttp.headers['set-cookie'])).not.toMatch(/Secure/);
    expect(viaHttp.headers['strict-transport-security']).toBeUndefined();
  });

  it('plain HTTP without trustProxy: no Secure flag and no HSTS, whatever X-Forwarded-Proto claims', async () => {
    for (const proto of [undefined, 'https']) {
      const res = await login(plainCloud, plainUser, proto);
      expect(res.statusCode).toBe(200);
      const cookie = sessionCookie(res.headers['set-cookie']);
      expect(cookie).toMatch(/^coldtrace_session=[^;]+;/);
      expect(cookie).not.toMatch(/Secure/);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('plain HTTP on the real socket: no HSTS', async () => {
    const res = await fetch(`${plainCloud.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('Cache-Control on the API', () => {
  it('every /api/ response is no-store: success, 401, 404 and the percent-encoded path', async () => {
    for (const [url, status] of [
      ['/api/v1/auth/status', 200],
      ['/api/v1/lots', 401],
      ['/api/v1/no-such-route', 401],
      ['/%61pi/v1/lots', 401],
    ] as const) {
      const res = await plainCloud.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(status);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    const res = await fetch(`${plainCloud.httpUrl}/api/v1/auth/status`);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('pages and static files are not forced to no-store by it', async () => {
    const res = await plainCloud.app.inject({ method: 'GET', url: '/static/app.css' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).not.toBe('no-store');
  });
});
