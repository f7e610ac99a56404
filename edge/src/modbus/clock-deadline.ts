import type { Clock } from '@coldtrace/shared';

/**
 * A Modbus request timed on `clock`: rejects as modbus-serial's own timeout does (`errno` ETIMEDOUT, so
 * it reads as quality `timeout`) when `ms` pass before the answer, after calling `onExpire` (the port
 * then treats an answer that still comes as late). The bus module times every request this way, with
 * modbus-serial's timer off: on the system clock (`timeoutClock: real`) or on the gateway's
 * (`timeoutClock: gateway`, where a discrete-event clock must decide when a silent device times out).
 */
export function onClockDeadline<T>(
  request: Promise<T>,
  clock: Clock,
  ms: number,
  onExpire?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      onExpire?.();
      reject(Object.assign(new Error('Timed out'), { name: 'TransactionTimedOutError', errno: 'ETIMEDOUT' }));
    }, ms);
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
