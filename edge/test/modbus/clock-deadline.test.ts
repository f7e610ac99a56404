import { manualClock } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { onClockDeadline } from '../../src/modbus/clock-deadline.js';
import { qualityOfError } from '../../src/modbus/error-quality.js';

describe('onClockDeadline: a Modbus request timed on the gateway clock', () => {
  it('passes the answer through when it comes before the deadline, and leaves no timer', async () => {
    const clock = manualClock(0);
    const p = onClockDeadline(Promise.resolve({ data: [42] }), clock, 300);
    await expect(p).resolves.toEqual({ data: [42] });
    expect(clock.pending()).toBe(0);
  });

  it('passes a failure through (an exception answer stays an exception, not a timeout)', async () => {
    const clock = manualClock(0);
    const exception = Object.assign(new Error('Modbus exception 2'), { modbusCode: 2 });
    const p = onClockDeadline(Promise.reject(exception), clock, 300);
    await expect(p).rejects.toBe(exception);
    expect(clock.pending()).toBe(0);
  });

  it('times out only when the clock passes the deadline, as modbus-serial does (quality timeout)', async () => {
    const clock = manualClock(0);
    let failed: unknown;
    onClockDeadline(new Promise<never>(() => {}), clock, 300).catch((err: unknown) => {
      failed = err;
    });
    clock.advance(299);
    await Promise.resolve();
    expect(failed).toBeUndefined();
    clock.advance(1);
    await Promise.resolve();
    expect(failed).toMatchObject({ message: 'Timed out', errno: 'ETIMEDOUT' });
    expect(qualityOfError(failed)).toBe('timeout');
  });

  it('tells the port before the caller hears of the timeout, and not when the answer came in time', async () => {
    const clock = manualClock(0);
    const events: string[] = [];
    onClockDeadline(new Promise<never>(() => {}), clock, 100, () => events.push('expired')).catch(() =>
      events.push('rejected'),
    );
    clock.advance(100);
    await Promise.resolve();
    expect(events).toEqual(['expired', 'rejected']);
    await onClockDeadline(Promise.resolve(1), clock, 100, () => events.push('wrong'));
    clock.advance(1000);
    expect(events).toEqual(['expired', 'rejected']);
  });
});
