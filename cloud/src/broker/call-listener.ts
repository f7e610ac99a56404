import { errorMessage } from '@coldtrace/shared';
import type { Logger } from 'pino';

/** Calls a listener the broker reports to (metrics); a listener that throws is logged, never the broker's failure. */
export function callListener<A>(log: Logger, listener: ((a: A) => void) | undefined, a: A): void {
  try {
    listener?.(a);
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'broker listener failed');
  }
}
