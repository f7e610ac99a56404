import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import type { AuditDescription, AuditEntryData } from '../../src/domain/audit-summary.js';
import { createUser, login, type Session, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { hasPoppler, pdfToText } from '../reports/pdf-tools.js';

const MIN = 60_000;
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };

/** An entry as GET /api/v1/audit shows it: stored fields and their description. */
type Entry = AuditEntryData & AuditDescription;

/**
 * GET /api/v1/audit filters and the CSV/PDF exports (docs/qa-pages.md "Audit trail"): entries in plain
 * language with names, filters by entity, actor, action family and time, exports stating range, filters,
 * chain head and verification.
 */
export function auditExportSuite(
  name: string,
  store: () => Promise<Pick<CloudConfigInput, 'database'>>,
): void {
  describe(`audit trail filters and exports (${name})`, () => {
    let cloud: TestCloud;
    /** The cloud's log lines (JSON): an export is logged, the audit trail records changes only. */
    const logged: Array<Record<string, unknown>> = [];
    let qa: TestUser;
    let op: TestUser;
    let qaS: Session;
    let opS: Session;
    let betweenMs: number;

    const call = async (url: string, s: Session) => {
      const res = await cloud.app.inject({ url, headers: { cookie: s.cookie } });
      return res;
    };
    const list = async (query: string, s: Session = qaS) => {
      const res = await call(`/api/v1/audit?${query}`, s);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as Entry[];
    };

    beforeAll(async () => {
      cloud = await startTestCloud(await store(), {
        log: pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) }),
      });
      qa = await createUser(cloud.store, {
        roles: ['qa', 'operator'],
        username: 'quinn',
        printedName: 'Quinn QA',
      });
      op = await createUser(cloud.store, {
        roles: ['operator'],
        username: 'otto',
        printedName: 'Otto Operator',
      });
      qaS = await login(cloud, qa.username, qa.password);
      opS = await login(cloud, op.username, op.password);
      const put = async (url: string, s: Session, payload: object) => {
        const res = await cloud.app.inject({ method: 'PUT', url, headers: s.headers, payload });
        expect(res.statusCode, res.body).toBe(200);
      };
      await put('/api/v1/locations/room-1', opS, { name: 'Room 1', kind: 'room', ...LIMITS });
      await put('/api/v1/locations/room-2', opS, { name: 'Room 2', kind: 'room', ...LIMITS });
      const created = await list('entityType=location');
      betweenMs = created.at(-1)!.at + 1;
      // The wall clock of the audit must move past `betweenMs` before the next entry.
      while (Date.now() <= betweenMs + 1) await new Promise((r) => setImmediate(r));
      // QA renames room 1 (a limit change is a signed specification change: docs/qa-pages.md "Roles").
      await put('/api/v1/locations/room-1', qaS, { name: 'Cold room 1', kind: 'room', ...LIMITS });
    });
    afterAll(async () => cloud?.stop());

    it('describes each entry in plain language, with names instead of ids and printed names of users', async () => {
      const [change] = await list('entityType=location&entityId=room-1&action=location.updated');
      expect(change).toMatchObject({
        actor: 'quinn',
        actorName: 'Quinn QA',
        subject: 'Location Cold room 1',
        summary: 'Location Cold room 1 updated: name Room 1 → Cold room 1',
        changes: [{ field: 'name', before: 'Room 1', after: 'Cold room 1' }],
      });
      const [created] = await list('entityType=location&entityId=room-2');
      expect(created).toMatchObject({ actorName: 'Otto Operator', action: 'location.created' });
      expect(created!.summary).toMatch(/^Location Room 2 created: /);
    });

    it('filters by actor, action family and time range; the page’s filter choices list them', async () => {
      const all = await list('entityType=location');
      expect(all.map((e) => [e.entityId, e.action])).toEqual([
        ['room-1', 'location.created'],
        ['room-2', 'location.created'],
        ['room-1', 'location.updated'],
      ]);
      expect((await list('actor=otto&entityType=location')).map((e) => e.entityId)).toEqual([
        'room-1',
        'room-2',
      ]);
      expect((await list('actor=quinn&entityType=location')).map((e) => e.action)).toEqual([
        'location.updated',
      ]);
      // A family matches its actions, not another action that merely starts with the same letters.
      expect((await list('action=location')).length).toBe(3);
      expect(await list('action=locat')).toEqual([]);
      expect((await list(`entityType=location&from=${betweenMs}`)).map((e) => e.action)).toEqual([
        'location.updated',
      ]);
      expect((await list(`entityType=location&to=${betweenMs}`)).length).toBe(2);
      const iso = new Date(betweenMs).toISOString();
      expect((await list(`entityType=location&from=${encodeURIComponent(iso)}`)).length).toBe(1);
      const bad = await call('/api/v1/audit?from=yesterday', qaS);
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: 'invalid' });

      const facets = (await call('/api/v1/audit/facets', opS)).json() as {
        actors: Array<{ actor: string; name: string }>;
        actions: string[];
        entityTypes: string[];
      };
      expect(facets.actors).toEqual(
        expect.arrayContaining([
          { actor: 'otto', name: 'Otto Operator' },
          { actor: 'quinn', name: 'Quinn QA' },
        ]),
      );
      expect(facets.actions).toEqual(expect.arrayContaining(['location.created', 'location.updated']));
      expect(facets.entityTypes).toContain('location');
    });

    it('exports CSV with the filters, range, chain head and verification; any signed-in role may export', async () => {
      const entries = await list('entityType=location');
      const res = await call('/api/v1/audit/export.csv?entityType=location', opS);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
      expect(res.headers['content-disposition']).toMatch(
        /^attachment; filename="coldtrace-audit-\d{8}T\d{6}\.csv"$/,
      );
      const csv = res.body;
      const head = (await cloud.store.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow()) as {
        seq: number;
        hash: string;
      };
      expect(csv).toContain('"Filters","entityType = location"');
      const [first, last] = [entries[0]!, entries.at(-1)!];
      expect(csv).toContain(`"Range","seq ${first.seq} to ${last.seq}, `);
      expect(csv).toContain(`"Chain head","seq ${head.seq}, SHA-256 ${head.hash}"`);
      expect(csv).toContain('"Chain verification","verified: all');
      expect(csv).toContain('"Generated","');
      expect(csv).toContain('by Otto Operator (otto)');
      const rows = csv.split('\r\n').filter((l) => l.startsWith('"entry"'));
      expect(rows).toHaveLength(3);
      expect(rows[2]).toContain(
        '"Location Cold room 1 updated: name Room 1 → Cold room 1","name: Room 1 → Cold room 1"',
      );
      expect(rows[2]).toContain('"master data: name changed"');
      expect((await call('/api/v1/audit/export.csv', { cookie: '' } as Session)).statusCode).toBe(401);
      // Who exported what, in the log.
      expect(logged.filter((l) => l.event === 'audit.export')).toContainEqual(
        expect.objectContaining({
          format: 'csv',
          actor: 'Otto Operator (otto)',
          filters: { entityType: 'location' },
          entries: 3,
          truncated: false,
        }),
      );
    });

    it('a broken chain is stated in the export', async () => {
      const { seq } = (await list('entityType=location&action=location.updated'))[0]!;
      await cloud.store.db
        .updateTable('audit_log')
        .set({ reason: 'edited behind the system' })
        .where('seq', '=', seq)
        .execute();
      try {
        const csv = (await call('/api/v1/audit/export.csv?entityType=location', qaS)).body;
        expect(csv).toContain(`"Chain verification","FAILED at entry ${seq} (changed)`);
      } finally {
        await cloud.store.db
          .updateTable('audit_log')
          .set({ reason: 'master data: name changed' })
          .where('seq', '=', seq)
          .execute();
      }
      expect((await call('/api/v1/audit/export.csv?entityType=location', qaS)).body).toContain(
        '"verified: all',
      );
    });

    it('exports a PDF with the same statements and entries', async (ctx) => {
      const res = await call('/api/v1/audit/export.pdf?actor=quinn&entityType=location', qaS);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      if (!hasPoppler()) {
        console.warn('PDF text not checked: pdftotext (poppler-utils) is missing');
        ctx.skip();
      }
      const text = pdfToText(res.rawPayload).replace(/\s+/g, ' ');
      expect(text).toContain('Audit trail export');
      expect(text).toContain('Filters: entityType = location; actor = quinn');
      expect(text).toMatch(/Chain head: seq \d+, SHA-256 [0-9a-f]{64}/);
      expect(text).toContain('Chain verification: verified');
      expect(text).toContain('Location Cold room 1 updated: name Room 1 -> Cold room 1');
      expect(text).toContain('Quinn QA (quinn)');
      expect(text).toContain('Reason: master data: name changed');
      expect(text).not.toContain('Room 2');
      expect(text).toMatch(/Page 1 of 1/);
    });
  });
}
