import { sgtin96 } from '@coldtrace/firmware-sim';
import { backoffDelayMs, movementSchema } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortalConfigInput } from '../../src/portal/portal-config.js';
import { portalRig } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

// healthyMs 0: each successful setup starts the backoff over (the default waits for 30 s of connection;
// edge/test/llrp/connector.int.test.ts covers that).
const reconnect = { initialMs: 50, maxMs: 400, healthyMs: 0 };
const config: PortalConfigInput = {
  id: 'dock-1',
  reader: { host: '127.0.0.1', keepaliveMs: 500, reconnect },
  outside: { locationId: 'yard', antennas: [1, 2] },
  inside: { locationId: 'coldroom-1', antennas: [3, 4] },
  dwellMs: 400,
  sweepMs: 50,
};
/** Scenario time after a script for every tag in the field to have left (dwell) and been swept. */
const SETTLE_MS = 400 + 2 * 50;

/**
 * The wiring of the portal over real TCP against the LLRP simulator: reader connector → portal logic →
 * record sink, on one manual clock (helpers.ts `portalRig`). The rules (dwell, direction, thresholds)
 * are tabled in portal-rules.test.ts.
 */
describe('portal module over real TCP against the LLRP simulator', () => {
  it('a pallet of 100 SGTIN-96 cases through the dock door gives exactly 100 passes in', async () => {
    const r = await portalRig(cleanups, { seed: 7, keepaliveMs: 200 }, config);
    const epcs = Array.from({ length: 100 }, (_, i) => sgtin96(614141, 812345, 1000 + i));
    await r.play(r.sim.pass(epcs.map((epc) => ({ epc, direction: 'in' as const }))));
    await r.run(SETTLE_MS);
    // Every read the reader took was reported and reached the portal logic.
    expect(r.sim.stats.readsDropped).toBe(0);
    expect(r.sim.stats.tagsReported).toBeGreaterThan(100 * 3);
    expect(r.mod.stats.tagReads).toBe(r.sim.stats.tagsReported);
    expect(r.movements).toHaveLength(100);
    expect(new Set(r.movements.map((m) => m.epc))).toEqual(new Set(epcs));
    for (const m of r.movements) {
      expect(m).toMatchObject({
        kind: 'pass',
        direction: 'in',
        from: 'yard',
        to: 'coldroom-1',
        portalId: 'dock-1',
      });
      expect(movementSchema.safeParse({ ...m, seq: 1 }).success).toBe(true);
    }
    expect(r.sim.stats.keepaliveAcks).toBeGreaterThan(0);
  });

  it('reconnects after a dropped connection, garbage and a stall, and keeps reporting', async () => {
    const r = await portalRig(cleanups, { seed: 3 }, config);
    const lost = () => r.health.at(-1)?.state === 'error';
    const delayMs = backoffDelayMs(1, reconnect); // each failure follows a good session

    r.sim.inject.drop();
    await until(lost, 'the drop noticed');
    r.clock.advance(delayMs);
    await until(() => r.sim.stats.connections === 2 && r.connected(), 'reconnect after drop');

    r.sim.inject.garbage(64);
    await until(lost, 'the garbage refused');
    r.clock.advance(delayMs);
    await until(() => r.sim.stats.connections === 3 && r.connected(), 'reconnect after garbage');

    // A stalled reader sends nothing, keepalives included: after keepaliveMs × 3 the connector gives up.
    r.sim.inject.stall(2000);
    r.clock.advance(1500);
    expect(r.health.at(-1)).toMatchObject({ state: 'error', lastError: expect.stringMatching(/no message/) });
    r.clock.advance(delayMs);
    await until(() => r.sim.stats.connections === 4, 'the reconnect accepted by the stalled reader');
    r.clock.advance(2000 - 1500 - delayMs); // the stall ends: its held ConnectionAttemptEvent goes out
    await until(r.connected, 'reconnect after stall');

    const epc = sgtin96(614141, 812345, 1);
    await r.play(r.sim.pass([{ epc, direction: 'out' }]));
    await r.run(SETTLE_MS);
    expect(r.mod.stats.tagReads).toBe(r.sim.stats.tagsReported);
    expect(r.movements).toMatchObject([
      { epc, kind: 'pass', direction: 'out', from: 'coldroom-1', to: 'yard' },
    ]);
  });

  it('stop() closes with CLOSE_CONNECTION and flushes tags still in the field', async () => {
    const r = await portalRig(cleanups, { seed: 5 }, { ...config, dwellMs: 60_000 });
    const epc = sgtin96(614141, 812345, 77);
    await r.play(r.sim.pass([{ epc, direction: 'in' }], { durationMs: 1000 }));
    await r.run(SETTLE_MS);
    // The reads reached the portal logic; the tag is still in the field (its dwell has not passed).
    expect(r.sim.stats.tagsReported).toBeGreaterThan(0);
    expect(r.mod.stats.tagReads).toBe(r.sim.stats.tagsReported);
    expect(r.movements).toEqual([]);
    await r.mod.stop();
    expect(r.movements).toMatchObject([{ epc, kind: 'pass', direction: 'in' }]);
    expect(r.health.at(-1)?.state).toBe('disconnected');
  });
});
