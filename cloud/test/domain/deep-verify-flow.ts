import { vi } from 'vitest';
import { createSignatureVerifier } from '../../src/auth/signature-verifier.js';
import { UserStore } from '../../src/auth/user-store.js';
import { runAuditCli } from '../../src/cli/audit-cli.js';
import { signDisposition } from '../../src/engine/sign-disposition.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { unitEpc } from './domain-fixtures.js';
import { type Ev, type Harness, location, MIN, pass, reading, sendAll, T0 } from './harness.js';

const GTIN = '80614141123458';
export const [U1, U2] = [unitEpc(1), unitEpc(2)];

export interface SignedFlow {
  excursionId: string;
  dispositionId: string;
  qaId: string;
}

/**
 * A database produced by a real flow: master data, a QA user and a viewer, readings and movements through
 * the ingestor, an excursion locking two units (U1, U2), and a signed reject of U1 (U2 stays locked).
 */
export async function signedFlow(h: Harness): Promise<SignedFlow> {
  for (const id of ['room-a', 'truck-1']) await location(h, id);
  for (const gw of ['gw-room', 'gw-truck']) await h.store.upsertGateway({ id: gw, now: T0 });
  await h.domain.upsertProduct(
    { gtin: GTIN, name: 'Vaccine X', min_c: 2, max_c: 8, stability_budget_ms: 60 * MIN },
    'admin',
    T0,
  );
  await h.domain.upsertLot({ id: 'LOT-1', gtin: GTIN, lot_number: 'A1', expiry: '2027-12-31' }, 'admin', T0);
  await h.domain.commission('LOT-1', [U1, U2], 'admin', T0);
  const users = new UserStore(h.store.db);
  const qa = await users.createUser(
    { username: 'qa.anna', printedName: 'Anna Quality', roles: ['qa'], password: 'correct horse battery' },
    T0,
  );
  await users.createUser({ username: 'victor', roles: ['viewer'], password: 'viewer password 1' }, T0);
  let seq = 0;
  const events: Ev[] = [
    pass('gw-room', ++seq, U1, 'room-a', 'truck-1', T0 + 10 * MIN),
    pass('gw-room', ++seq, U2, 'room-a', 'truck-1', T0 + 10 * MIN),
  ];
  for (let m = 0; m <= 120; m += 5)
    events.push(reading('gw-truck', ++seq, 'reefer-1', 'truck-1', T0 + m * MIN, m >= 60 && m < 100 ? 12 : 5));
  await sendAll(h, events);
  await h.engine.flush();
  const [x] = await listExcursions(h.domain.db, { locationId: 'truck-1' });
  const d = await signDisposition(h.engine, createSignatureVerifier(h.store), {
    excursionId: x!.id,
    epc: U1,
    decision: 'reject',
    reason: 'above 8 °C for 40 min',
    username: 'qa.anna',
    password: 'correct horse battery',
    signedInUserId: qa.id,
  });
  return { excursionId: x!.id, dispositionId: d.id, qaId: qa.id };
}

/** `coldtrace audit verify --deep --database URL`: its exit code and what it printed. */
export async function verifyDeep(url: string, ...extra: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out.push(String(s));
    return true;
  });
  try {
    const code = await runAuditCli(['verify', '--deep', '--database', url, ...extra]);
    return { code, out: out.join('') };
  } finally {
    spy.mockRestore();
  }
}
