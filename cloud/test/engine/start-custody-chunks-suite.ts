import { sgtin96Hex } from '@coldtrace/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UNITS_PER_TRANSACTION } from '../../src/engine/subject-rebuilds.js';
import { insertMarks, marksDb } from '../../src/store/evaluation-marks.js';
import { type Harness, location, openHarness, pass, sendAll, T0 } from '../domain/harness.js';

// On PostgreSQL the custody of the units a start recovers is rebuilt 1,000 per derive transaction; every
// other rebuild (units marked by new movements), and every one on SQLite, stays at 200 per transaction
// (engine/subject-rebuilds.ts).

const N = 1_000;
const unit = (serial: number) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });

/** Leaves an evaluation mark for each of these units, as a process that died before rebuilding them. */
const leaveMarks = (h: Harness, epcs: readonly string[]) =>
  insertMarks(marksDb(h.store.db), 'epc', epcs, null, T0);

/** On a SQLite file by default, or on the database `database` creates (start-custody-chunks.pg.svc.test.ts). */
export function runStartCustodyChunks(
  name: string,
  opts: { atStart: number; database?: () => Promise<{ url: string; drop(): Promise<void> }> },
): void {
  describe(`custody rebuilds per derive transaction (${name})`, () => {
    let h: Harness | undefined;
    let drop: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await h?.close();
      await drop?.();
      h = undefined;
      drop = undefined;
    });

    it(`rebuilds the start's recovered units ${opts.atStart} per transaction, others ${UNITS_PER_TRANSACTION}`, async () => {
      const db = await opts.database?.();
      drop = db?.drop;
      h = await openHarness({ url: db?.url });
      const engine = h.engine;
      for (const id of ['a', 'b']) await location(h, id);
      await h.store.upsertGateway({ id: 'gw', now: T0 });
      // Three of the units moved: their custody is what the start must rebuild.
      await sendAll(
        h,
        [1, 2, 3].map((s) => pass('gw', s, unit(s), 'a', 'b', T0 + s * 60_000)),
      );
      await h.store.db.deleteFrom('evaluation_marks').execute();
      const units = Array.from({ length: N }, (_, i) => unit(i + 1));
      await leaveMarks(h, units);

      const derive = vi.spyOn(engine, 'derive');
      expect((await engine.recoverMarks({ atStart: true })).epcs).toBe(N);
      await engine.flush();
      expect(derive).toHaveBeenCalledTimes(N / opts.atStart);
      expect(engine.recovery.progress().units).toEqual({ done: N, total: N });
      const custody = await h.store.db.selectFrom('custody').select('epc').distinct().execute();
      expect(custody.map((r) => r.epc).sort()).toEqual([1, 2, 3].map(unit).sort());
      expect(await h.store.db.selectFrom('evaluation_marks').selectAll().execute()).toEqual([]);

      // After the start: the same units marked again are ordinary work.
      derive.mockClear();
      await leaveMarks(h, units);
      expect((await engine.recoverMarks()).epcs).toBe(N);
      await engine.flush();
      expect(derive).toHaveBeenCalledTimes(N / UNITS_PER_TRANSACTION);
    });
  });
}
