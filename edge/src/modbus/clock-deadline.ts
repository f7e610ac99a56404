import type { Clock } from '@coldtrace/shared';

/**
 * A Modbus request timed on the gateway's clock: rejects as modbus-serial's own timeout does (`errno`
 * ETIMEDOUT, so it reads as quality `timeout`) when `ms` pass on `clock` before the answer. Used with
 * `timeoutClock: gateway`, where a discrete-event clock (a scenario's) must decide when a silent device
 * times out; modbus-serial's real-time timer is then off.
 */
export function onClockDeadline<T>(request: Promise<T>, clock: Clock, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(
      () =>
        reject(
          Object.assign(new Error('Timed out'), { name: 'TransactionTimedOutError', errno: 'ETIMEDOUT' }),
        ),
      ms,
    );
    request.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
}
