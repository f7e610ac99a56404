import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cloud, startCloud } from '../../src/cloud.js';
import { serializeRules } from '../../src/domain/cumulative-rules.js';
import { evaluateLocation } from '../../src/engine/excursion-evaluator.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { evaluated } from '../helpers/test-cloud.js';
import { type Ev, location, MIN, openHarness, pass, reading, sendAll, T0 } from './harness.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CHILD = join(import.meta.dirname, 'crash-child.ts');
const U1 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 });
const U2 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 2 });

/** A sensor in room-a every 2 min for 40 min: 12 °C from +10 to +30 min (out of 2..8 °C for 20 min). */
function roomReadings(firstSeq: number): Ev[] {
  return Array.from({ length: 21 }, (_, k) =>
    reading('gw-a', firstSeq + k, 's-1', 'room-a', T0 + k * 2 * MIN, k >= 5 && k < 15 ? 12 : 5),
  );
}

async function cloudOn(dbFile: string): Promise<Cloud> {
  return startCloud(
    {
      database: `sqlite:${dbFile}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { enabled: false } },
      evaluation: { debounceMs: 20 },
    },
    { log: pino({ level: 'silent' }) },
  );
}

/**
 * Runs crash-child.ts on `dbFile`: it commits `events` through a real Ingestor (acknowledged, marks
 * written), never evaluates, and is SIGKILLed. Returns what it reported before dying.
 */
async function commitThenDie(dbFile: string, events: Ev[]): Promise<Record<string, unknown>> {
  const proc = fork(CHILD, [dbFile], {
    execArgv: ['--import', TSX],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies: Array<Record<string, unknown>> = [];
  proc.on('message', (m) => replies.push(m as Record<string, unknown>));
  const exited = new Promise((r) => proc.once('exit', r));
  const next = async () => {
    const r = await until(
      () => replies.shift() ?? (proc.exitCode !== null ? { exitedEarly: proc.exitCode } : undefined),
      'an answer from the crash child',
    );
    if ('exitedEarly' in r) throw new Error(`crash child exited early (${r.exitedEarly})`);
    return r;
  };
  try {
    expect(await next()).toEqual({ ready: true });
    proc.send(events);
    return await next();
  } finally {
    proc.kill('SIGKILL');
    await exited;
  }
}

const locksOf = (cloud: Cloud) =>
  cloud.evaluator.engine.db.selectFrom('locks').selectAll().orderBy('epc').execute();

describe('derived state after a crash between ingest commit and evaluation (evaluation marks, 0006)', () => {
  let dir: string;
  let cloud: Cloud | undefined;
  afterEach(async () => {
    await cloud?.close();
    cloud = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a SIGKILLed ingest process: the next start finds the excursion and locks the unit', async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-crash-'));
    const dbFile = join(dir, 'cloud.db');
    const setup = new CloudStore(await openDatabase(`sqlite:${dbFile}`));
    await setup.upsertLocation(
      {
        id: 'room-a',
        name: 'room-a',
        kind: 'room',
        min_c: 2,
        max_c: 8,
        alarm_delay_ms: 10 * MIN,
        critical_margin_c: 5,
        max_gap_ms: 30 * MIN,
      },
      T0,
    );
    await setup.upsertGateway({ id: 'gw-a', now: T0 });
    await setup.close();

    // The ingest process commits the events (each batch acknowledged) and dies before evaluating.
    const committed = await commitThenDie(dbFile, [
      pass('gw-a', 1, U1, 'dock', 'room-a', T0 - MIN),
      ...roomReadings(2),
    ]);
    expect(committed).toMatchObject({ committed: 22 });

    // A new cloud on the same database, nothing re-sent: the marks left behind are recomputed.
    cloud = await cloudOn(dbFile);
    const c = cloud;
    const locks = await until(async () => {
      const l = await locksOf(c);
      return l.length ? l : undefined;
    }, 'the unit to be locked after restart');
    expect(locks.map((l) => [l.epc, l.state])).toEqual([[U1, 'active']]);
    const excursions = await listExcursions(c.store.db, { locationId: 'room-a' });
    const full = evaluateLocation(
      (await c.store.getLocation('room-a'))!,
      await c.store.locationSeries('room-a'),
    );
    expect(excursions.map((e) => [e.start_ts, e.end_ts, e.max_c])).toEqual(
      full.excursions.map((e) => [e.startTs, e.endTs, e.maxC]),
    );
    expect(excursions).toHaveLength(1);
    // Cleared by the derive transaction that covered them.
    await c.evaluator.flush();
    expect(await c.store.db.selectFrom('evaluation_marks').selectAll().execute()).toEqual([]);
  }, 60_000);

  it('a limit change committed but not evaluated: the next start withdraws the excursion, naming the change, and holds its lock', async () => {
    const h = await openHarness();
    dir = h.dir;
    const dbFile = join(h.dir, 'cloud.db');
    await location(h, 'room-a');
    await h.store.upsertGateway({ id: 'gw-a', now: T0 });
    await sendAll(h, [pass('gw-a', 1, U2, 'dock', 'room-a', T0 - MIN), ...roomReadings(2)]);
    await h.engine.flush();
    expect((await listExcursions(h.store.db)).length).toBe(1);
    expect((await h.engine.db.selectFrom('locks').select('state').execute()).map((l) => l.state)).toEqual([
      'active',
    ]);
    // The upper limit is raised to 15 °C (as the e-signed route does), and the process dies before evaluating.
    const loc = (await h.store.getLocation('room-a'))!;
    await h.store.upsertLocation({ ...loc, max_c: 15 }, T0 + 60 * MIN, { actor: 'alice' });
    await h.engine.close();
    await h.store.close();

    cloud = await cloudOn(dbFile);
    const c = cloud;
    // No master-data change lifts a lock: the excursion is kept as withdrawn, the unit stays locked (held).
    await until(
      async () => (await listExcursions(c.store.db)).every((x) => x.state === 'withdrawn'),
      'the excursion withdrawn',
    );
    expect((await locksOf(c)).map((l) => [l.epc, l.state, l.hold_reason !== null])).toEqual([
      [U2, 'active', true],
    ]);
    const audit = await c.evaluator.engine.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'reason'])
      .where('action', 'in', ['location.updated', 'excursion.withdrawn', 'lock.held', 'lock.lifted'])
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => [a.actor, a.action])).toEqual([
      ['alice', 'location.updated'],
      ['system', 'excursion.withdrawn'],
      ['system', 'lock.held'],
    ]);
    for (const a of audit.slice(1)) {
      expect(a.reason).toContain('limits of location room-a changed by alice');
      expect(a.reason).toContain('max_c 8 → 15');
      expect(a.reason).not.toMatch(/late data/);
    }
  }, 60_000);
  it('cumulative rules: units over their product limit are locked by the next start, nothing re-sent', async () => {
    const h = await openHarness();
    dir = h.dir;
    const dbFile = join(h.dir, 'cloud.db');
    // Limits 2–12 °C: no excursion at 10 °C; only the product's rule (≤ 60 min above +8 °C) sees it.
    await location(h, 'room-a', { max_c: 12 });
    await h.store.upsertGateway({ id: 'gw-a', now: T0 });
    await h.domain.upsertProduct(
      {
        gtin: '80614141123458',
        name: 'Oral polio vaccine',
        min_c: 2,
        max_c: 8,
        stability_budget_ms: 600 * MIN,
        cumulative_rules: serializeRules([{ kind: 'above', thresholdC: 8, limitMs: 60 * MIN }]),
      },
      'admin',
      T0,
    );
    await h.domain.upsertLot(
      { id: 'LOT-1', gtin: '80614141123458', lot_number: 'A1', expiry: '2027-12-31' },
      'admin',
      T0,
    );
    await h.domain.commission('LOT-1', [U1], 'admin', T0);
    await h.engine.close();
    await h.store.close();

    // The ingest process commits 100 min at 10 °C with U1 in the room, and dies before any evaluation.
    const hot = Array.from({ length: 11 }, (_, k) =>
      reading('gw-a', 2 + k, 's-1', 'room-a', T0 + k * 10 * MIN, 10),
    );
    expect(
      await commitThenDie(dbFile, [pass('gw-a', 1, U1, 'dock', 'room-a', T0 - MIN), ...hot]),
    ).toMatchObject({ committed: 12 });

    cloud = await cloudOn(dbFile);
    const c = cloud;
    const locks = await until(async () => {
      const l = (await locksOf(c)).filter((x) => x.cause === 'cumulative');
      return l.length ? l : undefined;
    }, 'the cumulative-rule lock after restart');
    expect(locks.map((l) => [l.epc, l.state])).toEqual([[U1, 'active']]);
    await evaluated(c, 'room-a'); // the readings left behind were evaluated: 10 °C is no excursion here
    expect(await listExcursions(c.store.db)).toEqual([]);
  }, 60_000);
});
