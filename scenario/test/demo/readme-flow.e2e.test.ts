import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserSession, browserMissing, launchBrowser, watchErrors } from '@coldtrace/cloud/testing';
import { socatMissing } from '@coldtrace/firmware-sim';
import { until } from '@coldtrace/shared/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addUser, DOCS_IMG, docShot, startDemo, typeSlowly, UPDATE_DOCS } from './readme-flow-helpers.js';
import {
  type AuditEntry,
  apiOf,
  type ExcursionView,
  logInSlowly,
  loginRedirects,
  sign,
} from './readme-flow-pages.js';

/**
 * Issue 16's acceptance: the README's main flow played by a person, at a person's speed, on the real demo
 * (`npm run demo` in a child process, its own data directory, the URL and login it prints). Sign in, leave
 * the dashboard alone for a minute, open the excursion, fill in the disposition form slowly, release LOT-A;
 * try to release LOT-B (over its stability budget): the page says it needs a justification and a second QA
 * user, a short justification is refused, a full one makes a proposal that waits for a second signature and
 * releases nothing; a second QA user (made with `coldtrace user add`, as docs/qa-pages.md says) sees the
 * proposal and rejects LOT-B instead; the first records its destruction. Then: every signature carries the
 * wall-clock time it was made (seconds apart, as the person took), no session ended on the way, and the
 * dashboard counted the rejected stock until the closing record and not after. The screenshots of the main
 * pages go to test-output/screenshots/readme-flow/ and, with COLDTRACE_UPDATE_DOCS_SCREENSHOTS=1, to
 * docs/img/qa-pages/ (docs/qa-pages.md "Walkthrough").
 */
const DONE = /^journey done: open (http:\/\/\S+)\/login and sign in as (\S+) \(password (\S+)\)$/m;
const MIN = 60_000;
const HOUR = 60 * MIN;
const BAD_CONSOLE = /Refused|Uncaught|TypeError|ReferenceError/;
/** The page's globals that code run in the browser reads (this workspace compiles without the DOM types). */
declare const document: { documentElement: { scrollWidth: number } };
declare const window: { innerWidth: number };

const missing = socatMissing() ?? browserMissing();
if (missing) console.warn(`SKIPPED the README flow at human speed: ${missing}`);

describe.skipIf(missing !== null)('the README flow at human speed in a real browser', () => {
  it('signs, decides and closes on the demo as a person would, on the wall clock', {
    timeout: 600_000,
  }, async () => {
    const base = mkdtempSync(join(tmpdir(), 'coldtrace-readme-flow-'));
    const dataDir = join(base, 'data');
    // As the README says: `npm run demo`, here with a data directory of its own (the CLI user needs it).
    const demo = startDemo(['--data-dir', dataDir]);
    let b: BrowserSession | undefined;
    let passed = false;
    try {
      const [, url, qaUser, qaPassword] = await until(() => DONE.exec(demo.output()), '"journey done"', {
        timeoutMs: 240_000,
        intervalMs: 200,
      });
      // The two-person rule needs another QA user: an administrator adds one on the server (docs/qa-pages.md).
      const qa2 = { username: 'qa2', password: `second-qa-${randomBytes(8).toString('hex')}` };
      const cliBefore = Date.now();
      const added = await addUser(
        `sqlite:${join(dataDir, 'cloud.db')}`,
        qa2.username,
        'qa',
        'Second QA Reviewer',
        qa2.password,
      );
      const cliAfter = Date.now();
      expect(added.code, added.stderr).toBe(0);

      b = await launchBrowser();
      const page = await b.context.newPage();
      page.setDefaultTimeout(30_000);
      const errors = watchErrors(page);
      const api = apiOf(page.context().request, url!);
      const card = (p: Page, lot: string) => p.locator(`article.lot[data-lot="${lot}"]`);

      // Sign in. The session runs on the wall clock: 12 h from now, not 12 h of the ×1200 data clock (36 s).
      await page.goto(`${url}/login`);
      await page.locator('#username').waitFor();
      await docShot(page, 'login', undefined, 520);
      const login = await logInSlowly(page, url!, qaUser!, qaPassword!);
      expect(Math.abs(login.expiresAt - (login.at + 12 * HOUR))).toBeLessThan(MIN);
      const qaToLogin = loginRedirects(page);
      const link = page.locator('#open-excursions a[href^="/excursions/"]');
      await link.first().waitFor();
      expect(await link.count(), 'the demo has one excursion to review').toBe(1);
      const excursionId = decodeURIComponent((await link.getAttribute('href'))!.split('/')[2]!);
      for (const lot of ['LOT-A', 'LOT-B'])
        await page.locator(`#locked-lots tr[data-lot="${lot}"]`).waitFor();
      await docShot(page, 'dashboard');

      // A deliberate human pause, not a wait for a condition (the acceptance: "wait 60 s idle"): the person
      // reads the dashboard for a minute and touches nothing. On the data clock this minute is 20 h, past
      // both session limits; on the wall clock the session lives on.
      const idleFrom = Date.now();
      await page.waitForTimeout(60_000);
      expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(60_000);

      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/excursions/')), link.click()]);
      await page.locator('#excursion-chart polyline.series').first().waitFor();
      await card(page, 'LOT-B').locator('form.disposition').waitFor();
      expect(qaToLogin, 'the session survived the idle minute').toEqual([]);
      await docShot(page, 'excursion');

      // LOT-A, within its stability budget: one signature. The form is filled in slowly, as a person does
      // (the acceptance: ≥ 20 s): the pauses are deliberate reading time, the typing is key by key.
      const formA = card(page, 'LOT-A').locator('form.disposition');
      const formFrom = Date.now();
      await page.waitForTimeout(3_000); // reads the lot card before choosing
      expect(await formA.locator('.f-decision').inputValue(), 'no default decision').toBe('');
      await formA.locator('.f-decision').selectOption('release');
      expect(await formA.locator('.meaning').textContent()).toMatch(/^Release: /);
      await page.waitForTimeout(3_000); // reads the meaning of the signature
      await typeSlowly(
        formA.locator('.f-reason'),
        'Reviewed the reefer data: under 3 h above 8 °C, within the 48 h stability budget of the pens.',
      );
      await typeSlowly(formA.locator('.f-password'), qaPassword!);
      expect(Date.now() - formFrom, 'the form took a person’s time').toBeGreaterThanOrEqual(20_000);
      await docShot(page, 'disposition-form', card(page, 'LOT-A'));
      const releaseA = await sign(page, formA.locator('.f-sign'), '/dispositions', 201);
      await card(page, 'LOT-B').locator('form.disposition').waitFor();
      expect(await card(page, 'LOT-A').locator('form.disposition').count()).toBe(0);
      const exPath = `/api/v1/excursions/${encodeURIComponent(excursionId)}`;
      const lotState = async (lotId: string) => {
        const l = (await api.get<ExcursionView>(exPath)).affectedLots.find((x) => x.lotId === lotId)!;
        return { locked: l.lockedUnits, released: l.releasedUnits, rejected: l.rejectedUnits };
      };
      expect(await lotState('LOT-A')).toEqual({ locked: 0, released: 12, rejected: 0 });

      // LOT-B, past its 2 h budget: before anyone signs, the page says a release needs a justification and a
      // second QA user.
      const cardB = card(page, 'LOT-B');
      const formB = cardB.locator('form.disposition');
      const needs = cardB.locator('[data-k="release-needs"]');
      expect(await needs.isVisible()).toBe(true);
      expect(await needs.textContent()).toMatch(/justification .* second QA signature/);
      await page.waitForTimeout(2_000); // reads the notice
      await formB.locator('.f-decision').selectOption('release');
      const justification = formB.locator('.f-justification');
      expect(await justification.isVisible(), 'choosing release asks for the justification').toBe(true);
      await typeSlowly(
        formB.locator('.f-reason'),
        'Release requested by the store for urgent patient supply.',
        100,
      );
      await typeSlowly(justification, 'Looks fine.');
      await typeSlowly(formB.locator('.f-password'), qaPassword!, 100);
      await formB.locator('.f-sign').click();
      // Refused on the page: the justification is under the minimum, the form is not submitted (its
      // message would say "Signing…" at once) and nothing is signed.
      expect(
        await justification.evaluate(
          (el) => (el as unknown as { validity: { tooShort: boolean } }).validity.tooShort,
        ),
      ).toBe(true);
      expect(await formB.locator('.form-msg').textContent()).toBe('');
      // The API refuses the same, whatever the client: no justification, then a short one.
      const body = {
        lotId: 'LOT-B',
        decision: 'release',
        reason: 'urgent supply',
        username: qaUser,
        password: qaPassword,
      };
      for (const justification of [undefined, 'Looks fine.']) {
        const refused = await api.post(`${exPath}/dispositions`, { ...body, justification });
        expect(refused.status, refused.body.message).toBe(400);
        expect(refused.body.message).toMatch(/justification of at least 50 characters/);
      }
      expect(await lotState('LOT-B')).toEqual({ locked: 12, released: 0, rejected: 0 });

      // A full justification: the first signature becomes a proposal waiting for another QA user, not a release.
      await justification.press('ControlOrMeta+a');
      await justification.press('Backspace');
      await typeSlowly(
        justification,
        'Stability data on file for this vaccine allow 4 h at up to 25 °C; the store needs the stock for patients.',
        60,
      );
      await docShot(page, 'two-person-rule', cardB);
      const proposal = await sign(page, formB.locator('.f-sign'), '/dispositions', 202);
      expect(proposal.body.status).toBe('awaiting_second_signature');
      const proposed = proposal.body.proposal as { id: string; signature: { signedAt: number } };
      await cardB.locator(`.proposal[data-proposal="${proposed.id}"]`).waitFor();
      expect(await cardB.locator('.proposal').textContent()).toContain('waiting for a second QA signature');
      expect(
        await cardB.locator('form.approve').count(),
        'the proposer cannot give the second signature',
      ).toBe(0);
      expect(await lotState('LOT-B')).toEqual({ locked: 12, released: 0, rejected: 0 });
      const pending = await api.get<Array<{ id: string; state: string; signature: { username: string } }>>(
        `/api/v1/release-proposals?excursionId=${encodeURIComponent(excursionId)}`,
      );
      expect(pending.map((p) => [p.id, p.state, p.signature.username])).toEqual([
        [proposed.id, 'pending', qaUser],
      ]);

      // The second QA user, in a browser of their own, finds the proposal with the form for the second
      // signature, and rejects LOT-B instead of approving.
      const ctx2 = await b.browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page2 = await ctx2.newPage();
      page2.setDefaultTimeout(30_000);
      const errors2 = watchErrors(page2);
      await logInSlowly(page2, url!, qa2.username, qa2.password);
      const qa2ToLogin = loginRedirects(page2);
      expect(await page2.locator('#tile-second-signature .tile-value').textContent()).toBe('1');
      await page2.goto(`${url}/excursions/${encodeURIComponent(excursionId)}`);
      const card2B = card(page2, 'LOT-B');
      await card2B.locator(`.proposal[data-proposal="${proposed.id}"] form.approve`).waitFor();
      await docShot(page2, 'release-proposal', card2B);
      const form2B = card2B.locator('form.disposition');
      await page2.waitForTimeout(3_000); // reads the proposal and its justification
      await form2B.locator('.f-decision').selectOption('reject');
      expect(await form2B.locator('.meaning').textContent()).toMatch(/^Reject: /);
      await typeSlowly(
        form2B.locator('.f-reason'),
        'Over the 2 h stability budget; the justification does not cover 22 °C.',
        100,
      );
      await typeSlowly(form2B.locator('.f-password'), qa2.password, 100);
      const rejectB = await sign(page2, form2B.locator('.f-sign'), '/dispositions', 201);
      expect(await lotState('LOT-B')).toEqual({ locked: 0, released: 0, rejected: 12 });
      expect((await api.get<ExcursionView>(exPath)).reviewState).toBe('decided');

      // Decided is not done: the dashboard counts the rejected stock until its closing record…
      await page.goto(`${url}/`);
      await page.locator('#tile-rejected-awaiting .tile-value', { hasText: '12' }).waitFor();
      const rejected = () => api.get<Array<{ lotId: string; units: number }>>('/api/v1/rejected-stock');
      expect((await rejected()).map((r) => [r.lotId, r.units])).toEqual([['LOT-B', 12]]);
      await docShot(page, 'dashboard-rejected', undefined, 600);

      // …which the first QA user records on the lot page, slowly again.
      await page.goto(`${url}/lots/LOT-B`);
      const closure = page.locator('#rejected-stock form.closure');
      await closure.waitFor();
      const awaiting = page.locator('#rejected-stock [data-k="rejected-awaiting"]');
      expect(await awaiting.getAttribute('class'), 'the lot page says the stock awaits its end').toContain(
        'notice',
      );
      await docShot(page, 'lot');
      await page.waitForTimeout(2_000); // reads the lot page
      await closure.locator('.f-outcome').selectOption('destroyed');
      await typeSlowly(closure.locator('.f-reference'), 'DC-2026-0117', 120);
      await typeSlowly(
        closure.locator('.f-closure-reason'),
        'Destroyed by the licensed contractor, certificate attached.',
        80,
      );
      await typeSlowly(closure.locator('.f-closure-password'), qaPassword!, 100);
      await docShot(page, 'rejected-stock', page.locator('#rejected-stock'), 340);
      const destroyed = await sign(page, closure.locator('.f-close'), '/stock-closures', 201);
      await page.locator('#stock-closures tbody tr').first().waitFor();
      expect(await page.locator('#rejected-stock form.closure').count()).toBe(0);
      expect(await awaiting.getAttribute('class')).not.toContain('notice');
      expect(await rejected()).toEqual([]);
      // …and not after.
      await page.goto(`${url}/`);
      await page.locator('#tile-rejected-awaiting .tile-value', { hasText: '0' }).waitFor();

      await page.goto(`${url}/audit`);
      await page.locator('#audit .audit-action').first().waitFor();
      await docShot(page, 'audit', undefined, 720);
      await page2.setViewportSize({ width: 390, height: 844 });
      await page2.goto(`${url}/excursions/${encodeURIComponent(excursionId)}`);
      await page2.locator('#excursion-chart polyline.series').first().waitFor();
      expect(await page2.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(
        true,
      );
      await docShot(page2, 'phone', undefined, 844);

      // The signatures carry the wall-clock time each was made: inside the click → answer window, seconds
      // apart as the person took them (not the hours of the ×1200 data clock), the same on the audit trail.
      const signings = [
        {
          what: 'release LOT-A',
          s: releaseA,
          at: (releaseA.body.signature as { signedAt: number }).signedAt,
        },
        { what: 'propose LOT-B', s: proposal, at: proposed.signature.signedAt },
        { what: 'reject LOT-B', s: rejectB, at: (rejectB.body.signature as { signedAt: number }).signedAt },
        {
          what: 'destroy LOT-B',
          s: destroyed,
          at: (destroyed.body.signature as { signedAt: number }).signedAt,
        },
      ];
      for (const { what, s, at } of signings) {
        expect(at, what).toBeGreaterThanOrEqual(s.before);
        expect(at, what).toBeLessThanOrEqual(s.after);
      }
      for (let i = 1; i < signings.length; i++) {
        const [prev, next] = [signings[i - 1]!, signings[i]!];
        const gap = next.at - prev.at;
        const slack = prev.s.after - prev.s.before + (next.s.after - next.s.before);
        expect(
          Math.abs(gap - (next.s.before - prev.s.before)),
          `${prev.what} → ${next.what}`,
        ).toBeLessThanOrEqual(slack);
        expect(gap, `${prev.what} → ${next.what}: seconds apart`).toBeGreaterThan(5_000);
        expect(gap, `${prev.what} → ${next.what}: not hours`).toBeLessThan(15 * MIN);
      }
      const stored = await api.get<ExcursionView>(exPath);
      expect(
        stored.dispositions.map((d) => [d.lotId, d.decision, d.signature.username, d.signature.signedAt]),
      ).toEqual([
        ['LOT-A', 'release', qaUser, signings[0]!.at],
        ['LOT-B', 'reject', qa2.username, signings[2]!.at],
      ]);
      const audit = await api.get<AuditEntry[]>(`/api/v1/audit?from=${cliBefore}&order=asc&limit=10000`);
      const entry = (action: string) => {
        const found = audit.filter((a) => a.action === action);
        expect(found, action).toHaveLength(1);
        return found[0]!;
      };
      for (const [action, actor, s] of [
        ['disposition.release', qaUser, releaseA],
        ['release.proposed', qaUser, proposal],
        ['disposition.reject', qa2.username, rejectB],
        ['stock.destroyed', qaUser, destroyed],
      ] as const) {
        const e = entry(action);
        expect(e.actor, action).toBe(actor);
        expect(e.at, action).toBeGreaterThanOrEqual(s.before);
        expect(e.at, action).toBeLessThanOrEqual(s.after);
      }
      const created = audit.find((a) => a.action === 'user.created' && a.actor.startsWith('cli:'));
      expect(created?.at).toBeGreaterThanOrEqual(cliBefore);
      expect(created?.at).toBeLessThanOrEqual(cliAfter);

      // No session ended on the way: neither page was sent back to login, and the first session, signed in
      // minutes ago (days on the data clock), still answers.
      expect(qaToLogin).toEqual([]);
      expect(qa2ToLogin).toEqual([]);
      expect(Date.now() - login.at).toBeGreaterThan(2 * MIN);
      expect((await api.get<{ username: string }>('/api/v1/auth/me')).username).toBe(qaUser);
      expect([...errors, ...errors2].filter((e) => BAD_CONSOLE.test(e))).toEqual([]);
      await ctx2.close();
      if (UPDATE_DOCS) console.log(`README flow screenshots copied to ${DOCS_IMG}`);
      passed = true;
    } finally {
      await b?.close();
      const out = await demo.stop();
      if (passed) {
        expect(out, 'the demo ends on Ctrl-C with its summary').toContain('What happened:');
        rmSync(base, { recursive: true, force: true });
      } else {
        writeFileSync(join(base, 'demo-output.txt'), out);
        console.error(`README flow failed: the demo's output and data are kept in ${base}`);
      }
    }
  });
});
