import { sgtin96 } from '@coldtrace/firmware-sim';
import type { ColdtraceError } from '@coldtrace/shared';
import type { ReaderEvents, TagRead } from '@coldtrace/shared/llrp';
import { afterEach } from 'vitest';
import { LlrpReaderConnector, type ReaderConnectorOptions } from '../../src/llrp/connector.js';

export const T0 = 1_767_225_600_000;

/** Tag read `i` (an SGTIN-96 of one product) on `antennaId`, as a reader reports it. */
export const read = (i: number, antennaId = 1): TagRead => ({
  epc: sgtin96(614141, 812345, i),
  antennaId,
  peakRssi: -50,
  firstSeenUs: 1_700_000_000_000_000 + i,
  lastSeenUs: 1_700_000_000_000_000 + i,
  seenCount: 1,
  rospecId: 7,
  channelIndex: null,
});

/**
 * What the connector tests share: `closers`, run after each test (newest first), and `connector`, which
 * starts a connector with test hooks (every callback recorded) and adds its stop to `closers`.
 */
export function useConnectors() {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });
  function connector(port: number, o: Partial<ReaderConnectorOptions> = {}) {
    const rec = {
      reads: [] as TagRead[],
      states: [] as string[],
      errors: [] as ColdtraceError[],
      events: [] as ReaderEvents[],
      retries: [] as { attempt: number; delayMs: number; error: string }[],
    };
    const c = new LlrpReaderConnector({
      host: '127.0.0.1',
      port,
      connectTimeoutMs: 2000,
      keepaliveMs: 0,
      responseTimeoutMs: 2000,
      reconnect: { initialMs: 20, maxMs: 200 },
      rospecId: 7,
      antennas: [1, 2],
      reportEveryTags: 1,
      onTags: (r) => rec.reads.push(...r),
      onState: (s) => rec.states.push(s),
      onProtocolError: (e) => rec.errors.push(e),
      onReaderEvent: (e) => rec.events.push(e),
      onRetry: (r) => rec.retries.push(r),
      ...o,
    });
    closers.push(() => c.stop());
    c.start();
    return { c, rec };
  }
  return { closers, connector };
}
