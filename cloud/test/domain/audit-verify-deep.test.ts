import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealManifest } from '../../src/domain/signature-manifest.js';
import { dispositionView } from '../../src/http/views.js';
import { signedFlow, U1, U2, verifyDeep } from './deep-verify-flow.js';
import { type Harness, openHarness } from './harness.js';

/** Each tamper test edits a copy of the database of one real flow (`signedFlow`). */
let h: Harness;
let xid: string;
let dispositionId: string;
let qaId: string;
let n = 0;

function copy(): { url: string; db: SqliteDatabase.Database } {
  const file = join(h.dir, `copy-${++n}.db`);
  h.store.opened.sqlite!.exec(`VACUUM INTO '${file}'`);
  return { url: `sqlite:${file}`, db: new SqliteDatabase(file) };
}

beforeAll(async () => {
  h = await openHarness();
  ({ excursionId: xid, dispositionId, qaId } = await signedFlow(h));
});
afterAll(() => h?.close());

describe('signature manifests (21 CFR 11.70)', () => {
  it('are stored with the disposition, on its audit entry and in its API view', async () => {
    const row = await h.store.db
      .selectFrom('dispositions')
      .selectAll()
      .where('id', '=', dispositionId)
      .executeTakeFirstOrThrow();
    expect(row.manifest_hash).toMatch(/^[0-9a-f]{64}$/);
    const m = JSON.parse(row.manifest_json!) as Record<string, unknown>;
    expect(sealManifest(m).hash).toBe(row.manifest_hash);
    expect(m).toMatchObject({
      decision: 'reject',
      subject: { id: xid, cause: 'excursion', version: 1 },
      scope: { type: 'epc', epc: U1, units: [U1] },
      signer: { userId: qaId, username: 'qa.anna', printedName: 'Anna Quality' },
      signedAt: Number(row.signed_at),
    });
    // The reviewed data: the readings of the excursion's window (60..100 min at 5 min steps, inclusive).
    expect((m.reviewedData as { readings: number }).readings).toBe(9);
    const entry = await h.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'disposition.reject')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(entry.after_json!)).toMatchObject({ manifestHash: row.manifest_hash, manifest: m });
    expect(dispositionView(row).manifestHash).toBe(row.manifest_hash);
  });
});

describe('coldtrace audit verify --deep', () => {
  it('an untampered database verifies: exit 0, every check ok', async () => {
    const c = copy();
    c.db.close();
    const r = await verifyDeep(c.url);
    expect(r.out).toMatch(/audit trail intact/);
    for (const check of ['locks', 'dispositions', 'manifests', 'users', 'master data'])
      expect(r.out).toMatch(new RegExp(`deep check ${check} \\(.*\\): ok`));
    expect(r.out).toMatch(/tables agree with the audit trail/);
    expect(r.code).toBe(0);
  });

  const tampers: Array<[string, (db: SqliteDatabase.Database) => void, RegExp[]]> = [
    [
      'a deleted lock',
      (db) => db.prepare('DELETE FROM locks WHERE epc = ?').run(U2),
      [/locks: locks row [0-9A-F]+\|\S+: missing: audit entry \d+ \(lock\.created\) left it active/],
    ],
    [
      'an unlocked unit',
      (db) => db.prepare("UPDATE locks SET state = 'lifted' WHERE epc = ?").run(U2),
      [/locks: locks row [0-9A-F]+\|\S+: state lifted, but audit entry \d+ \(lock\.created\) left it active/],
    ],
    [
      'a reject flipped to release in dispositions and locks',
      (db) => {
        db.prepare("UPDATE dispositions SET decision = 'release'").run();
        db.prepare("UPDATE locks SET state = 'released' WHERE disposition_id IS NOT NULL").run();
      },
      [
        /dispositions: dispositions row \S+: decision "release", but audit entry \d+ signed "reject"/,
        /manifests: dispositions row \S+: decision "release", but the signed manifest \([0-9a-f]{64}\) says "reject"/,
        /manifests: locks row [0-9A-F]+\|\S+: state released, but disposition \S+ signed reject/,
        /locks: locks row [0-9A-F]+\|\S+: state released, but audit entry \d+ \(disposition\.reject\) left it rejected/,
      ],
    ],
    [
      'a reject flipped in locks only',
      (db) => db.prepare("UPDATE locks SET state = 'released' WHERE disposition_id IS NOT NULL").run(),
      [/manifests: locks row [0-9A-F]+\|\S+: state released, but disposition \S+ signed reject/],
    ],
    [
      'an edited manifest',
      (db) =>
        db
          .prepare("UPDATE dispositions SET manifest_json = replace(manifest_json, 'reject', 'release')")
          .run(),
      [/manifests: dispositions row \S+: manifest recomputes to [0-9a-f]{64}, but manifest_hash is/],
    ],
    [
      "the signed excursion's content edited (its version kept)",
      (db) => db.prepare('UPDATE excursions SET max_c = 9 WHERE id = ?').run(xid),
      [
        /manifests: excursions row \S+: content digest [0-9a-f]{64} at version 1, but disposition \S+ signed content [0-9a-f]{64} at that version/,
      ],
    ],
    [
      'a role granted by a direct edit',
      (db) => db.prepare("UPDATE users SET roles = 'qa' WHERE username = 'victor'").run(),
      [/users: users row \S+ \(victor\): roles "qa", but audit entry \d+ recorded "viewer"/],
    ],
    [
      "a location's limits edited directly",
      (db) => db.prepare("UPDATE locations SET max_c = 30 WHERE id = 'truck-1'").run(),
      [/master data: locations row truck-1: max_c 30, but audit entry \d+ recorded 8/],
    ],
    [
      "a lot's expiry edited directly",
      (db) => db.prepare("UPDATE lots SET expiry = '2030-01-01' WHERE id = 'LOT-1'").run(),
      [/master data: lots row LOT-1: expiry "2030-01-01", but audit entry \d+ recorded "2027-12-31"/],
    ],
    [
      'a product inserted directly',
      (db) =>
        db
          .prepare(
            "INSERT INTO products (gtin, name, min_c, max_c, stability_budget_ms, created_at, updated_at) VALUES ('80614141999990', 'X', 2, 8, 0, 0, 0)",
          )
          .run(),
      [/master data: products row 80614141999990: no audit entry records this row/],
    ],
  ];
  it.each(tampers)('reports %s, naming the row (exit 1)', async (_what, tamper, expected) => {
    const c = copy();
    tamper(c.db);
    c.db.close();
    const r = await verifyDeep(c.url);
    // The hash chain itself is intact: only --deep finds a direct edit of a domain table.
    expect(r.out).toMatch(/audit trail intact/);
    for (const e of expected) expect(r.out).toMatch(e);
    expect(r.out).toMatch(/tables CONTRADICT/);
    expect(r.code).toBe(1);
  });

  it('--json gives the checks and the findings with their rows and audit entries', async () => {
    const c = copy();
    c.db.prepare("UPDATE dispositions SET decision = 'release'").run();
    c.db.close();
    const r = await verifyDeep(c.url, '--json');
    const json = JSON.parse(r.out) as {
      ok: boolean;
      deep: { ok: boolean; checks: Array<{ name: string; findings: number }>; findings: unknown[] };
    };
    expect(json.ok).toBe(true); // the chain itself
    expect(json.deep.ok).toBe(false);
    expect(json.deep.checks.find((k) => k.name === 'dispositions')?.findings).toBe(1);
    expect(json.deep.findings).toContainEqual({
      check: 'dispositions',
      table: 'dispositions',
      row: dispositionId,
      auditSeq: expect.any(Number),
      detail: expect.stringMatching(/^decision "release", but audit entry \d+ signed "reject"$/),
    });
    expect(r.code).toBe(1);
  });
});
