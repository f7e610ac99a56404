import { until } from '@coldtrace/shared/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudCounts, problems, verifyExactlyOnce } from './exactly-once.js';
import { expectEveryCaseMoved, POLL, passAndWait, storedReadings } from './faults.js';
import { COLD_ROOM, type Rig, startRig } from './rig.js';

/**
 * docs/durability.md "Fault tests": a long outage fills the buffer; thinning happens as specified, the
 * alarms fire, and every movement and out-of-range reading survives. A 64 KiB buffer, four sensors
 * polled every 20 ms and the uplink cut until the buffer has thinned several windows; meanwhile one
 * probe goes out of the cold room's range and cases pass the dock door.
 */
let rig: Rig;
const GW = 'gw-outage';
const THIN_WINDOW_MS = 1000;
const MAX_BYTES = 64 * 1024;
const COLD = ['cold-1', 'cold-2', 'cold-3'];
/** Thinning windows of the outage in which the gateway must be seen reading each cold sensor. */
const OUTAGE_WINDOWS = 4;

beforeAll(async () => {
  rig = await startRig({
    gatewayId: GW,
    pollMs: 20,
    // Every probe reading of the outage is kept (out of range); at 100 ms, about 20 KiB a minute, so the
    // outage can last many thinning windows without a refusal.
    probePollMs: 100,
    // Every answer of the probe must become a reading (the test counts them): the gateway waits for it
    // as long as its configuration allows, whatever the load of the machine.
    probeTimeoutMs: 10_000,
    buffer: { maxBytes: MAX_BYTES, thinWindowMs: THIN_WINDOW_MS },
  });
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

const windowOf = (ts: number) => Math.floor(ts / THIN_WINDOW_MS);

describe('long outage with a small buffer', () => {
  it('thins in-range readings only, raises buffer alarms, keeps every movement and out-of-range reading', async () => {
    await until(() => storedReadings(rig) >= 100, 'readings flowing into the cloud', POLL);
    const moved: string[] = [];
    await passAndWait(rig, moved, 5);

    rig.proxy.cut();
    const cutAt = Date.now();
    await until(
      async () => (await rig.gw.metric('coldtrace_gateway_uplink_connected')) === 0,
      'uplink down',
      POLL,
    );
    // The probe leaves the cold room's range (2..8 °C) during the outage; the gateway marks those readings keep.
    const answeredBefore = rig.probe.stats.answered;
    rig.probe.setProfile(1, { kind: 'steady', tempC: COLD_ROOM.maxC + 4, noiseC: 0.2 });
    moved.push(...(await rig.pass(10)));

    // The gateway says, in its status, when it last read each sensor: every (sensor, window) seen there is
    // one in which the gateway took a reading, so thinning must keep a reading of that sensor in that
    // window (its lowest and highest, docs/durability.md "Nearing and reaching the bound"). The outage
    // lasts until the buffer thinned and each cold sensor was seen in several whole windows after the cut.
    const seen = new Set<string>();
    const outageWindows = (sensor: string) =>
      [...seen].filter((k) => k.startsWith(`${sensor}/`) && Number(k.split('/')[1]) > windowOf(cutAt)).length;
    await until(
      async () => {
        const g = (await rig.gw.health()).gateway;
        for (const s of g.sensors ?? [])
          if (COLD.includes(s.sensorId) && s.lastReadingTs !== undefined)
            seen.add(`${s.sensorId}/${windowOf(s.lastReadingTs)}`);
        return (
          (g.backlog?.thinned ?? 0) > 0 &&
          COLD.every((s) => outageWindows(s) >= OUTAGE_WINDOWS) &&
          rig.probe.stats.answered - answeredBefore >= 2
        );
      },
      `the buffer to thin, each cold sensor to be read in ${OUTAGE_WINDOWS} windows of the outage, the probe to answer out of range`,
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    moved.push(...(await rig.pass(10)));
    // One more thinning pass that begins after the last sample: a pass examines every reading not yet
    // examined (the whole buffer fits one chunk), so every reading seen above, and every out-of-range
    // probe reading answered so far, went through thinning before the uplink comes back.
    const thinnedBefore = (await rig.gw.health()).gateway.backlog?.thinned ?? 0;
    const answeredExamined = rig.probe.stats.answered - answeredBefore;
    await until(
      async () => ((await rig.gw.health()).gateway.backlog?.thinned ?? 0) > thinnedBefore,
      'a thinning pass after the last sample',
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    rig.probe.setProfile(1, { kind: 'steady', tempC: 5, noiseC: 0.2 });
    const answeredOut = rig.probe.stats.answered - answeredBefore;
    const atRestore = (await rig.gw.health()).gateway.backlog!;
    rig.proxy.restore();

    await until(
      () => cloudCounts(rig.cloudDb, GW).movements >= moved.length,
      'movements after the outage',
      POLL,
    );
    const seqs = await rig.drain();
    await rig.cloud.stop();
    const report = await verifyExactlyOnce(rig.cloudDb, GW, seqs.lastSeq);
    console.info(
      JSON.stringify({
        test: 'full-buffer',
        lastSeq: seqs.lastSeq,
        atRestore,
        answeredOut,
        thinned: report.readings.thinned,
        sensorWindowsSeen: seen.size,
      }),
    );

    // Every sequence number is stored or inside a declared thinned range; no holes; thinned > 0.
    expect(seqs.records).toBe(0);
    expect(problems(report)).toEqual([]);
    expect(report.readings.thinned).toBeGreaterThan(0);
    expect(report.movements.thinned).toBe(0);
    expect(report.alarms.thinned).toBe(0);
    // Nothing was refused: every reading the gateway took is stored or thinned (what the checks below need).
    expect(atRestore.refused ?? 0).toBe(0);
    // Every movement survived.
    expectEveryCaseMoved(rig, seqs.lastSeq.movements, moved);
    expect(report.movements.stored).toBe(seqs.lastSeq.movements);

    const db = new Database(rig.cloudDb, { readonly: true });
    try {
      // Every out-of-range reading survived: the probe answered `answeredOut` polls while out of range, each
      // became one reading (the gateway waits up to 10 s for an answer), none above the range is thinned.
      // At least one of them was appended before the last thinning pass began (one poll at most in flight).
      expect(answeredExamined).toBeGreaterThanOrEqual(2);
      const out = db
        .prepare(
          "SELECT count(*) AS n FROM readings WHERE gateway_id = ? AND sensor_id = 'probe-1' AND temp_c > ?",
        )
        .get(GW, COLD_ROOM.maxC) as { n: number };
      expect(out.n).toBe(answeredOut);

      // The alarms fired and reached the cloud's alarms table after the reconnect.
      const alarms = db
        .prepare('SELECT kind, state FROM alarms WHERE gateway_id = ? ORDER BY seq')
        .all(GW) as { kind: string; state: string }[];
      expect(alarms).toContainEqual({ kind: 'buffer_high', state: 'raised' });

      // Thinning as specified: every (sensor, window) in which the gateway was seen taking a reading keeps one.
      const rows = db
        .prepare("SELECT sensor_id AS s, ts FROM readings WHERE gateway_id = ? AND sensor_id LIKE 'cold-%'")
        .all(GW) as { s: string; ts: number }[];
      const kept = new Set(rows.map((r) => `${r.s}/${windowOf(r.ts)}`));
      const lost = [...seen].filter((k) => !kept.has(k));
      expect(lost).toEqual([]);
      for (const s of COLD) expect(outageWindows(s)).toBeGreaterThanOrEqual(OUTAGE_WINDOWS);
    } finally {
      db.close();
    }
  }, 240_000);
});
