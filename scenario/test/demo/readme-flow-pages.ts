import { until } from '@coldtrace/shared/testing';
import type { APIRequestContext, Locator, Page, Route } from 'playwright-core';
import { expect } from 'vitest';
import { typeSlowly } from './readme-flow-helpers.js';

// What the README flow test does in its pages: sign, log in, watch for ended sessions, call the API as the
// page's user; and the API views it reads.

export interface Signing {
  before: number;
  after: number;
  body: Record<string, unknown>;
}

/**
 * Clicks a signing button and waits for the page to reload with the signed record. The answer is read on its
 * way to the page (the page reloads as soon as it has it, and a reloaded page's responses are gone).
 */
export async function sign(page: Page, button: Locator, path: string, status: number): Promise<Signing> {
  let answer: { status: number; text: string } | undefined;
  const matches = (u: URL) => u.pathname.endsWith(path);
  const handler = async (route: Route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    const res = await route.fetch();
    answer = { status: res.status(), text: await res.text() };
    await route.fulfill({ response: res });
  };
  await page.route(matches, handler);
  const reloaded = page.waitForEvent('load');
  reloaded.catch(() => {}); // awaited below once the answer is known
  const before = Date.now();
  await button.click();
  const got = await until(() => answer, `the answer to POST ${path}`, { timeoutMs: 30_000 });
  const after = Date.now();
  expect(got.status, got.text).toBe(status);
  await reloaded;
  await page.unroute(matches, handler);
  return { before, after, body: JSON.parse(got.text) as Record<string, unknown> };
}

/** Logs in through the login page, typing like a person; returns the session's `expiresAt` and when. */
export async function logInSlowly(page: Page, url: string, username: string, password: string) {
  await page.goto(`${url}/login`);
  await typeSlowly(page.locator('#username'), username, 120);
  await typeSlowly(page.locator('#password'), password, 120);
  // The login answer is read on its way to the page (the page navigates away as soon as it has it).
  let expiresAt = 0;
  await page.route('**/api/v1/auth/login', async (route) => {
    const res = await route.fetch();
    expiresAt = ((await res.json()) as { expiresAt: number }).expiresAt;
    await route.fulfill({ response: res });
  });
  const at = Date.now();
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('#login-submit')]);
  await page.unroute('**/api/v1/auth/login');
  return { at, expiresAt };
}

/** Main-frame navigations to /login after signing in: a session that ended sends the page there. */
export function loginRedirects(page: Page): string[] {
  const seen: string[] = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame() && new URL(f.url()).pathname.startsWith('/login')) seen.push(f.url());
  });
  return seen;
}

export function apiOf(request: APIRequestContext, url: string) {
  return {
    async get<T>(path: string): Promise<T> {
      const res = await request.get(`${url}${path}`);
      expect(res.status(), `GET ${path}: ${await res.text()}`).toBe(200);
      return (await res.json()) as T;
    },
    async post(path: string, data: object) {
      const { csrfToken } = (await (await request.get(`${url}/api/v1/auth/me`)).json()) as {
        csrfToken: string;
      };
      const res = await request.post(`${url}${path}`, { data, headers: { 'x-csrf-token': csrfToken } });
      return { status: res.status(), body: (await res.json()) as { error?: string; message?: string } };
    },
  };
}

export interface LotView {
  lotId: string;
  lockedUnits: number;
  releasedUnits: number;
  rejectedUnits: number;
}
export interface ExcursionView {
  reviewState: string;
  affectedLots: LotView[];
  dispositions: Array<{ lotId: string; decision: string; signature: { username: string; signedAt: number } }>;
}
export interface AuditEntry {
  at: number;
  actor: string;
  action: string;
}
