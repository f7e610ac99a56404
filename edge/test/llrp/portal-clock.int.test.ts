import { type LlrpSimulator, sgtin96, startLlrpSimulator } from '@coldtrace/firmware-sim';
import { type ManualClock, manualClock, movementSchema } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReaderClockPolicy } from '../../src/llrp/reader-clock.js';
import type { NewAlarm, NewMovement } from '../../src/module.js';
import { type PortalConfigInput, portalConfigSchema } from '../../src/portal/portal-config.js';
import { createPortalModule, type PortalModule } from '../../src/portal/portal-module.js';
import { collectingContext } from '../portal/helpers.js';

const T0 = 1_767_225_600_000;
const HOUR = 3_600_000;
/** Scenario time moves in steps of the simulator's read tick. */
const STEP_MS = 20;
const SETTLE_MS = 400 + 2 * 50;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface ClockRig {
  clock: ManualClock;
  sim: LlrpSimulator;
  mod: PortalModule;
  movements: NewMovement[];
  alarms: NewAlarm[];
  logs: { msg: string; [k: string]: unknown }[];
  run(ms: number): Promise<void>;
  play(script: Promise<void>): Promise<void>;
}

/**
 * The simulator and the portal module on one manual clock over real TCP (as `../portal/helpers.ts`
 * `portalRig`), with the reader's own clock offset from it, and the portal's alarms and warnings kept.
 */
async function clockRig(policy: ReaderClockPolicy, clockOffsetMs: number): Promise<ClockRig> {
  const clock = manualClock(T0);
  const sim = await startLlrpSimulator({ seed: 11, clock, clockOffsetMs });
  cleanups.push(() => sim.close());
  const { ctx, movements } = collectingContext(clock);
  const alarms: NewAlarm[] = [];
  const logs: ClockRig['logs'] = [];
  ctx.records = { ...ctx.records, alarms: (a) => alarms.push(...a) };
  ctx.log = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const config: PortalConfigInput = {
    id: 'dock-1',
    reader: { host: '127.0.0.1', port: sim.port, keepaliveMs: 500, clock: { policy } },
    outside: { locationId: 'yard', antennas: [1, 2] },
    inside: { locationId: 'coldroom-1', antennas: [3, 4] },
    dwellMs: 400,
    sweepMs: 50,
  };
  const mod = createPortalModule(portalConfigSchema.parse(config));
  await mod.start(ctx);
  cleanups.push(() => mod.stop());
  const caughtUp = () =>
    mod.stats.tagReads === sim.stats.tagsReported && sim.stats.keepaliveAcks === sim.stats.keepalivesSent;
  const step = async () => {
    clock.advance(STEP_MS);
    await until(caughtUp, 'the portal caught up with the reader');
  };
  await until(() => mod.report().clock.skewMs !== undefined, 'the connection event measured');
  await sim.waitActive();
  return {
    clock,
    sim,
    mod,
    movements,
    alarms,
    logs,
    async run(ms) {
      for (let t = 0; t < ms; t += STEP_MS) await step();
    },
    async play(script) {
      let done = false;
      script.then(() => {
        done = true;
      });
      while (!done) await step();
      await script;
    },
  };
}

const tag = (n: number) => sgtin96(614141, 812345, 7000 + n);

describe('reader clock policies over real TCP against the simulator', () => {
  const expectedTs = { reader: T0 - HOUR, offset: T0, gateway: T0 };
  for (const policy of ['reader', 'offset', 'gateway'] as const) {
    it(`${policy}: a reader an hour behind is measured, alarmed and its pass timed by the policy`, async () => {
      const r = await clockRig(policy, -HOUR);
      // The ConnectionAttemptEvent's UTCTimestamp is the first sample: exact on one manual clock.
      expect(r.mod.report().clock.skewMs).toBe(-HOUR);
      expect(r.alarms).toMatchObject([
        {
          alarmId: 'reader_clock_skew:dock-1',
          kind: 'reader_clock_skew',
          state: 'raised',
          ts: T0,
          value: -3600,
          message: expect.stringMatching(/clock 3600\.0 s behind the gateway's; .*'/),
        },
      ]);
      expect(r.mod.activeAlarms()).toEqual(['reader_clock_skew:dock-1']);
      await r.play(r.sim.pass([{ epc: tag(1), direction: 'in' }]));
      await r.run(SETTLE_MS);
      expect(r.movements).toMatchObject([{ epc: tag(1), kind: 'pass', direction: 'in' }]);
      const m = r.movements[0]!;
      // The pass lasted 1.5 s from T0 on the gateway's clock (an hour earlier on the reader's).
      expect(m.firstSeen).toBeGreaterThanOrEqual(expectedTs[policy]);
      expect(m.lastSeen).toBeLessThanOrEqual(expectedTs[policy] + 1_500 + STEP_MS);
      expect(r.mod.report().clock).toMatchObject({ policy, steps: 0 });
    });

    it(`${policy}: a clock stepping back an hour while tags are in the field blinds nothing`, async () => {
      const r = await clockRig(policy, 0);
      expect(r.alarms).toEqual([]); // in step with the gateway: nothing raised
      const present = r.sim.present([{ epc: tag(2), side: 'outside' }], { durationMs: 3_000 });
      await r.run(1_500);
      const before = r.mod.stats.tagReads;
      expect(before).toBeGreaterThan(10); // the tag was being read before the step
      r.sim.readerClock.step(-HOUR);
      await r.play(present);
      await r.play(r.sim.pass([{ epc: tag(3), direction: 'in' }]));
      await r.run(SETTLE_MS);
      expect(r.mod.stats.tagReads).toBeGreaterThan(before + 10); // read after the step as well

      // Every tag still becomes a movement: the pass after the step, the tag that stood across it.
      expect(r.movements.filter((m) => m.epc === tag(3))).toMatchObject([{ kind: 'pass', direction: 'in' }]);
      const standing = r.movements.filter((m) => m.epc === tag(2));
      expect(standing.length).toBeGreaterThanOrEqual(1);
      for (const m of standing) expect(m).toMatchObject({ kind: 'presence', to: 'yard' });
      for (const m of r.movements) expect(movementSchema.safeParse({ ...m, seq: 1 }).success).toBe(true);
      if (policy === 'reader') {
        // Its times are kept: the tag's reads before and after the step are two presences.
        expect(standing).toHaveLength(2);
        expect(r.movements.find((m) => m.epc === tag(3))!.ts).toBeLessThan(T0 - HOUR + 10_000);
      } else {
        // The reader's times follow the gateway's clock: one presence, all within the test's time.
        expect(standing).toHaveLength(1);
        for (const m of r.movements) expect(m.firstSeen).toBeGreaterThanOrEqual(T0);
      }

      // The step is logged and alarmed.
      const warn = r.logs.find((l) => l.msg === 'reader clock stepped back');
      expect(warn).toMatchObject({ portal: 'dock-1', policy, level: 40 });
      expect(Math.abs((warn!['backMs'] as number) - HOUR)).toBeLessThan(100);
      expect(r.alarms[0]).toMatchObject({
        kind: 'reader_clock_skew',
        state: 'raised',
        message: expect.stringMatching(/^reader of portal dock-1: clock stepped back by 3600\.0 s; /),
      });
      expect(r.mod.report().clock.steps).toBe(1);
    });
  }
});
