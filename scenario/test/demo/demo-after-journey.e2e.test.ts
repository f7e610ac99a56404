import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { socatMissing as socatMissingReason } from '@coldtrace/firmware-sim';
import { until } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { type DemoSummary, runDemo } from '../../src/demo/demo.js';
import { loadScenario } from '../../src/load-scenario.js';

/**
 * After the demo's journey (docs/architecture.md "Time"): the site is shut down, the data clock stands at
 * the journey's end, the terminal says "journey done" with the QA login, and a person signing in then is
 * on the wall clock. A 40-minute journey at the demo's ×1200 keeps it short; `demo.e2e.test.ts` runs the
 * real command.
 */
const SHORT = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/short-journey.yaml');
const socatMissing = socatMissingReason();
if (socatMissing) console.warn(`SKIPPED demo after the journey: ${socatMissing}`);

const DONE = /^journey done: open (http:\/\/\S+)\/login and sign in as (\S+) \(password (\S+)\)$/m;
const STANDS = /^the data clock stands at (\S+), the journey's end/m;

describe.skipIf(socatMissing !== null)('the demo after its journey', () => {
  it('stops the data, says "journey done" with the QA login, and signs on the wall clock', {
    timeout: 120_000,
  }, async () => {
    const s = loadScenario(SHORT).scenario;
    const end = Date.parse(s.start) + s.duration;
    let text = '';
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const abort = new AbortController();
    const demo = runDemo({ scenarioFile: SHORT, out, signal: abort.signal, httpPort: 0, mqttPort: 0 });
    let summary: DemoSummary | undefined;
    try {
      const [, url, username, password] = await until(() => DONE.exec(text), '"journey done"', {
        timeoutMs: 90_000,
      });
      // The data clock stopped at (or a settling moment after) the journey's end, and was said so first.
      const stoppedAt = Date.parse(STANDS.exec(text)![1]!);
      expect(stoppedAt).toBeGreaterThanOrEqual(end);
      expect(stoppedAt).toBeLessThan(end + 3_600_000);
      expect(text.indexOf('the data clock stands')).toBeLessThan(text.indexOf('journey done'));

      const api = async (method: string, path: string, headers: Record<string, string>, body?: object) => {
        const res = await fetch(`${url}/api/v1${path}`, {
          method,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        const json: unknown = res.headers.get('content-type')?.includes('json')
          ? await res.json()
          : undefined;
        return { status: res.status, json, res };
      };
      const login = await api('POST', '/auth/login', {}, { username, password });
      expect(login.status).toBe(200);
      const cookie = login.res.headers.get('set-cookie')!.split(';')[0]!;
      const session = { cookie, 'x-csrf-token': (login.json as { csrfToken: string }).csrfToken };

      // Nothing feeds the cloud any more: every gateway is disconnected, so the readings stay as they are.
      const gateways = (await api('GET', '/gateways', session)).json as Array<{ online: boolean }>;
      expect(gateways.length).toBe(s.gateways.length);
      expect(gateways.map((g) => g.online)).toEqual(s.gateways.map(() => false));
      const readingsAtDone = ((await api('GET', '/readings?limit=100000', session)).json as unknown[]).length;
      expect(readingsAtDone).toBeGreaterThan(0);

      // The README's flow: QA releases the lot with an e-signature, stamped by the wall clock.
      const [x] = (await api('GET', '/excursions', session)).json as Array<{ id: string }>;
      const locks = (await api('GET', '/locks?state=active', session)).json as Array<{ createdAt: number }>;
      expect(locks).toHaveLength(2);
      for (const l of locks) expect(l.createdAt).toBeLessThanOrEqual(stoppedAt); // data time
      const before = Date.now();
      const signed = await api('POST', `/excursions/${encodeURIComponent(x!.id)}/dispositions`, session, {
        lotId: 'LOT-B',
        decision: 'reject',
        reason: 'critical excursion, over the stability budget',
        username,
        password,
      });
      const after = Date.now();
      expect(signed.status).toBe(201);
      const { signedAt } = (signed.json as { signature: { signedAt: number } }).signature;
      expect(signedAt).toBeGreaterThanOrEqual(before);
      expect(signedAt).toBeLessThanOrEqual(after);
      expect((await api('GET', '/auth/me', session)).status).toBe(200);

      abort.abort();
      summary = await demo;
      expect(summary.journey).toMatchObject({ completed: true, dataClockStoppedAt: stoppedAt });
      expect(summary.readings).toBe(readingsAtDone);
      expect(summary.lots).toEqual([{ id: 'LOT-B', units: 2, locked: 0 }]);
    } finally {
      abort.abort();
      summary ??= await demo.catch(() => undefined);
    }
  });
});
