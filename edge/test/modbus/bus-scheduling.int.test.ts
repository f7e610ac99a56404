import { until } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { busForTest, collectingContext, simForTest } from './harness.js';

const sensor = (id: string, address: number, pollMs: number) => ({ id, address, locationId: 'room', pollMs });

/**
 * How the bus module shares one line between sensors and copes with slow ones, against the simulator
 * on a real pty (answers take their wire time at 9,600 baud, about 25 ms for an XY-MD02 read).
 */
describe('modbus bus: late answers, fair turns, poll overrun', () => {
  it('discards and counts every answer that comes after its timeout, and the sensor reads as timing out', async () => {
    const sim = await simForTest({
      sensors: [
        { address: 1, profile: { kind: 'steady', tempC: 4 } },
        // Answers about 100 ms after its wire time: always after the gateway's 60 ms timeout.
        { address: 2, profile: { kind: 'steady', tempC: 5 }, replyDelayMs: 100 },
        { address: 3, profile: { kind: 'no-answer' } },
      ],
    });
    const { ctx, readings, logs } = collectingContext();
    const mod = await busForTest(
      {
        id: 'bus1',
        path: sim.devicePath,
        timeoutMs: 60,
        retries: 1,
        retryDelayMs: 5,
        // Long enough for the late answer (≈125 ms after its request) to come before the address is asked again.
        lateReplyWindowMs: 200,
        sensors: [sensor('s1', 1, 150), sensor('s2', 2, 150), sensor('s3', 3, 150)],
      },
      ctx,
    );
    const of = (id: string) => mod.report().sensors.find((s) => s.sensorId === id)!;
    await until(() => of('s2').lateReplies >= 4, 'late answers of s2');
    // Nothing it sent late was taken: every poll of s2 is a timeout, with the retry of the first poll.
    const s2 = readings.filter((r) => r.sensorId === 's2');
    expect(s2.length).toBeGreaterThan(0);
    expect(s2.every((r) => r.quality === 'timeout')).toBe(true);
    expect(
      readings.filter((r) => r.sensorId === 's1').every((r) => r.quality === 'ok' && r.tempC === 4),
    ).toBe(true);
    expect(of('s2').retries).toBeGreaterThanOrEqual(1);
    expect(logs.filter((l) => l.msg.startsWith('late modbus reply discarded'))).toEqual([
      expect.objectContaining({ sensorId: 's2', timeoutMs: 60, answeredAfterMs: expect.any(Number) }),
    ]);
    // Once it answers in time it reads ok; by then every answer of a timed-out request has come and been counted.
    sim.setReplyDelay(2, 0);
    await until(
      () => readings.some((r) => r.sensorId === 's2' && r.quality === 'ok'),
      's2 answering in time',
    );
    const report = mod.report();
    const r2 = report.sensors.find((s) => s.sensorId === 's2')!;
    expect(r2.lateReplies).toBe(r2.timeouts);
    // The dead sensor timed out, nothing else went astray.
    expect(report.sensors.find((s) => s.sensorId === 's3')!.lateReplies).toBe(0);
    expect(report.sensors.find((s) => s.sensorId === 's3')!.timeouts).toBeGreaterThan(0);
    expect(report).toMatchObject({ unmatchedFrames: 0, noiseBytes: 0, deviceOpen: true });
  });

  it('gives every sensor its turn when the bus cannot keep the period, flags the overrun, and clears it', async () => {
    const sim = await simForTest({
      sensors: [
        { address: 1, profile: { kind: 'steady', tempC: 1 } },
        { address: 2, profile: { kind: 'no-answer' } },
        { address: 3, profile: { kind: 'no-answer' } },
        { address: 4, profile: { kind: 'steady', tempC: 4 } },
      ],
    });
    const { ctx, readings, health, logs } = collectingContext();
    // Two dead sensors cost 100 ms each: a round takes ≈ 270 ms, longer than the 200 ms period.
    const mod = await busForTest(
      {
        id: 'bus1',
        path: sim.devicePath,
        timeoutMs: 100,
        retries: 0,
        retryDelayMs: 5,
        sensors: [sensor('s1', 1, 200), sensor('s2', 2, 200), sensor('s3', 3, 200), sensor('s4', 4, 200)],
      },
      ctx,
    );
    const count = (id: string) => readings.filter((r) => r.sensorId === id).length;
    const ids = ['s1', 's2', 's3', 's4'];
    await until(() => ids.every((id) => count(id) >= 10), 'ten readings of every sensor');
    // Turns are fair: the last sensor on the bus is not polled less often than the first.
    const counts = ids.map(count);
    expect(Math.max(...counts) - Math.min(...counts), `readings per sensor ${counts}`).toBeLessThanOrEqual(2);
    const report = mod.report();
    expect(report.cycleMs).toBeGreaterThan(200);
    expect(report.sensors.every((s) => s.missedPolls > 0)).toBe(true);
    expect(report.sensors.every((s) => s.pollOverrun)).toBe(true);
    expect(health.filter((h) => h.pollOverrun).map((h) => h.sensorId)).toEqual(expect.arrayContaining(ids));
    const warned = logs.filter((l) => l.msg.startsWith('modbus poll period cannot be kept'));
    expect(warned.map((l) => l.sensorId).sort()).toEqual(ids);
    expect(warned[0]).toMatchObject({ pollMs: 200, busCycleMs: expect.any(Number) });

    // The dead sensors come back: a round takes ≈ 110 ms again, the period is kept, the flag goes.
    sim.setProfile(2, { kind: 'steady', tempC: 2 });
    sim.setProfile(3, { kind: 'steady', tempC: 3 });
    await until(() => mod.report().sensors.every((s) => !s.pollOverrun), 'the overrun to end');
    expect(logs.filter((l) => l.msg === 'modbus poll period kept again').length).toBe(4);
    const n = health.length;
    await until(() => health.length >= n + 4, 'another round of health reports');
    expect(health.slice(n).some((h) => h.pollOverrun)).toBe(false);
  });
});
