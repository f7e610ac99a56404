import { expect } from 'vitest';
import { type AuditInput, linkAuditEntries, verifyAuditChain } from '../../src/domain/audit-chain.js';
import type { CustodyInterval } from '../../src/domain/custody.js';
import { ChangeLog } from '../../src/domain/exposure.js';
import { appendAudit } from '../../src/store/audit-append.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { deriveRepo } from '../../src/store/derive-repo.js';
import { claimMarks, deleteMarks, insertMarks, marksDb } from '../../src/store/evaluation-marks.js';
import { storedLocks } from '../../src/store/lock-writes.js';

// The lists and rows a derive transaction reads and writes in bulk (a start's custody rebuild: up to 1,000
// units per statement), sent to PostgreSQL as arrays (store/pg-arrays.ts) and to SQLite as lists of
// parameters: what is written and read back is the same on both. More units than one SQLite statement
// takes (200 marks or locks, 1,000 units), and text an array literal must escape.

/** Text that an array literal quotes and escapes: its delimiters, quotes, backslashes, NULL, blanks. */
const AWKWARD = ['a"b', 'c\\d', '{e,f}', 'NULL', '', ' g ', 'h\ni', 'ünï €', '\\"', 'null'];
const epcOf = (i: number) => `urn:epc:${AWKWARD[i % AWKWARD.length]}:${i}`;
const T = 1_780_000_000_000;

/** Custody of `n` units (1 to 3 intervals each, the last one open for every third unit), in EPC order. */
function custodyOf(n: number, shift: number): Map<string, CustodyInterval[]> {
  const out = new Map<string, CustodyInterval[]>();
  for (let i = 0; i < n; i++) {
    const epc = epcOf(i);
    const stays = 1 + ((i + shift) % 3);
    out.set(
      epc,
      Array.from({ length: stays }, (_, k) => ({
        epc,
        location_id: `loc ${AWKWARD[(i + k) % AWKWARD.length]}`,
        entered_at: T + i * 1000 + k * 100 + shift,
        left_at: k === stays - 1 && i % 3 === 0 ? null : T + i * 1000 + k * 100 + 50 + shift,
        gateway_id: `gw,${k}`,
        seq: 2 ** 40 + i * 10 + k,
      })),
    );
  }
  return out;
}

/** Custody replaced, read back and replaced again for 1,500 units; only the units given are touched. */
export async function checkCustodyRoundTrip(store: CloudStore): Promise<void> {
  const first = custodyOf(1500, 0);
  const epcs = [...first.keys()];
  await store.db.transaction().execute(async (trx) => {
    const repo = deriveRepo(trx, new ChangeLog(), T);
    await repo.replaceCustody(first);
    expect(await repo.custodyOf(epcs)).toEqual(first);
    // Every other unit replaced again: the others keep their rows.
    const second = custodyOf(1500, 7);
    const changed = new Map([...second].filter((_, i) => i % 2 === 0));
    await repo.replaceCustody(changed);
    const expected = new Map([...first].map(([epc, rows]) => [epc, changed.get(epc) ?? rows]));
    expect(await repo.custodyOf(epcs)).toEqual(expected);
    expect((await repo.custodyOf([epcs[3]!, 'urn:epc:none'])).get(epcs[3]!)).toEqual(expected.get(epcs[3]!));
    expect((await repo.custodyOf([])).size).toBe(0);
    await repo.replaceCustody(new Map());
  });
}

/** Audit entries appended in one go (1,000 and then 3) read back as linked, and the chain verifies. */
export async function checkAuditAppend(store: CloudStore): Promise<void> {
  const entries = (n: number, tag: string): AuditInput[] =>
    Array.from({ length: n }, (_, i) => ({
      actor: `system ${AWKWARD[i % AWKWARD.length]}`,
      action: 'custody.changed',
      entityType: 'epc',
      entityId: epcOf(i),
      before: i % 4 === 0 ? undefined : [{ location: AWKWARD[i % AWKWARD.length], from: i, to: null }],
      after: i % 5 === 0 ? undefined : { text: `${tag}${AWKWARD[(i + 1) % AWKWARD.length]}`, n: i / 3 },
      reason: `${tag} ${AWKWARD[(i + 2) % AWKWARD.length]}`,
    }));
  const head = await store.db.selectFrom('audit_head').selectAll().executeTakeFirst();
  const start = { seq: Number(head?.seq ?? 0), hash: head?.hash ?? '0'.repeat(64) };
  const a = entries(1000, 'first');
  const b = entries(3, 'second');
  await store.db.transaction().execute(async (trx) => {
    expect(await appendAudit(trx, a, T)).toBe(1000);
    expect(await appendAudit(trx, b, T + 1)).toBe(3);
    expect(await appendAudit(trx, [], T + 2)).toBe(0);
  });
  const linkedA = linkAuditEntries(start, a, T);
  const expected = [...linkedA, ...linkAuditEntries(linkedA.at(-1)!, b, T + 1)];
  const rows = await store.db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', start.seq)
    .orderBy('seq')
    .execute();
  expect(rows.map((r) => ({ ...r, seq: Number(r.seq), at: Number(r.at) }))).toEqual(expected);
  const all = await store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  const after = await store.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
  expect(
    verifyAuditChain(
      all.map((r) => ({ ...r, seq: Number(r.seq), at: Number(r.at) })),
      { seq: Number(after.seq), hash: after.hash },
    ).ok,
  ).toBe(true);
}

/** Marks of 450 units claimed and deleted by id; marks of other units and kinds stay. */
export async function checkMarksClaim(store: CloudStore): Promise<void> {
  const units = Array.from({ length: 450 }, (_, i) => epcOf(i));
  const others = Array.from({ length: 20 }, (_, i) => `other ${epcOf(i)}`);
  const marks = marksDb(store.db);
  await insertMarks(marks, 'epc', units, null, T);
  await insertMarks(marks, 'epc', units.slice(0, 300), 'a "cause", {quoted}', T);
  await insertMarks(marks, 'epc', others, null, T);
  await insertMarks(marks, 'location', units.slice(0, 10), null, T);
  await store.db.transaction().execute(async (trx) => {
    const claimed = await claimMarks(marksDb(trx), 'epc', units);
    expect(claimed.ids).toHaveLength(750);
    expect(new Set(claimed.ids).size).toBe(750);
    expect(claimed.events).toBe(true);
    expect(claimed.causes).toEqual(['a "cause", {quoted}']);
    expect(claimed.window).toEqual({ fromTs: Number.NEGATIVE_INFINITY, toTs: Number.POSITIVE_INFINITY });
    expect((await claimMarks(marksDb(trx), 'epc', [])).ids).toEqual([]);
    await deleteMarks(marksDb(trx), [...claimed.ids, ...claimed.ids]);
    await deleteMarks(marksDb(trx), []);
  });
  const left = await store.db.selectFrom('evaluation_marks').select(['kind', 'subject']).execute();
  expect(left.filter((m) => m.kind === 'epc' && units.includes(m.subject))).toEqual([]);
  expect(
    left
      .filter((m) => m.kind === 'epc')
      .map((m) => m.subject)
      .sort(),
  ).toEqual([...others].sort());
  expect(left.filter((m) => m.kind === 'location')).toHaveLength(10);
}

/** The excursion locks of 450 units (and none of other units or causes). */
export async function checkLocksOfUnits(store: CloudStore): Promise<void> {
  const units = Array.from({ length: 450 }, (_, i) => epcOf(i));
  const row = (epc: string, cause: string, key: string) => ({
    epc,
    cause,
    rule_key: key,
    excursion_id: cause === 'excursion' ? key : null,
    location_id: 'loc',
    exposed_from: T,
    exposed_to: null,
    state: 'active',
    reason: 'test',
    disposition_id: null,
    hold_reason: null,
    created_at: T,
    updated_at: T,
  });
  const rows = [
    ...units.flatMap((epc, i) => (i % 2 ? [row(epc, 'excursion', 'x-1'), row(epc, 'excursion', 'x-2')] : [])),
    ...units.map((epc) => row(epc, 'quarantine', 'q-1')),
    row('urn:epc:elsewhere', 'excursion', 'x-1'),
  ];
  for (let i = 0; i < rows.length; i += 100)
    await store.db
      .insertInto('locks')
      .values(rows.slice(i, i + 100))
      .execute();
  const got = await store.db
    .transaction()
    .execute((trx) => storedLocks(trx, 'excursion', { epcs: [...units, ...units] }));
  const key = (l: { epc: string; key: string }) => `${l.epc}|${l.key}`;
  expect(got.map(key).sort()).toEqual(
    units
      .filter((_, i) => i % 2)
      .flatMap((epc) => [`${epc}|x-1`, `${epc}|x-2`])
      .sort(),
  );
  expect(got.every((l) => l.location_id === 'loc' && l.state === 'active')).toBe(true);
  expect(await store.db.transaction().execute((trx) => storedLocks(trx, 'excursion', { epcs: [] }))).toEqual(
    [],
  );
}
