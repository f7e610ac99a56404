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
    async start(input: Partial<GatewayConfigInput>) {
      const broker = await startBroker();
      cleanups.push(() => broker.close());
      const sub = await startSubscriber(broker.port);
      cleanups.push(() => sub.close());
      const gw = await rig.start({
        mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 100 },
        batch: { maxRecords: 100, maxAgeMs: 50 },
        http: { port: 0 },
        ...input,
      });
      const scans = () =>
        sub.of('movements').flatMap((b) => (b.value as MovementRecordsBatch).records) as Scan[];
      return { gw, sub, scans };
    },
  };
}
