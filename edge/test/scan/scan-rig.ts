import { startFaultProxy } from '@coldtrace/firmware-sim';
import type { MovementRecordsBatch, Scan } from '@coldtrace/shared';
import type { GatewayConfigInput } from '../../src/config.js';
import { gatewayRig } from '../gateway-harness.js';
import { startBroker, startSubscriber } from '../publisher/helpers.js';

export const PAGE_TOKEN = 'k3y-for-the-scan-page-0001';

/**
 * Whole gateways (SQLite buffer, publisher) publishing to an aedes broker with a test subscriber, for the
 * scan tests; `close()` (in afterEach) stops everything, extra cleanups last in first out.
 */
export function scanRig() {
  const rig = gatewayRig();
  const cleanups: Array<() => Promise<unknown>> = [];
  return {
    dir: () => rig.dir(),
    onClose: (f: () => Promise<unknown>) => cleanups.push(f),
    async close() {
      for (const c of cleanups.splice(0).reverse()) await c();
      await rig.close();
    },
    /** With `uplinkProxy`, the gateway reaches the broker through a fault proxy the test can cut. */
    async start(input: Partial<GatewayConfigInput>, opts: { uplinkProxy?: boolean } = {}) {
      const broker = await startBroker();
      cleanups.push(() => broker.close());
      const sub = await startSubscriber(broker.port);
      cleanups.push(() => sub.close());
      const proxy = opts.uplinkProxy ? await startFaultProxy({ host: '127.0.0.1', port: broker.port }) : null;
      if (proxy) cleanups.push(() => proxy.close());
      const gw = await rig.start({
        mqtt: { url: proxy?.url ?? `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 100 },
        batch: { maxRecords: 100, maxAgeMs: 50 },
        http: { port: 0 },
        ...input,
      });
      const scans = () =>
        sub.of('movements').flatMap((b) => (b.value as MovementRecordsBatch).records) as Scan[];
      return { gw, sub, scans, proxy };
    },
  };
}
