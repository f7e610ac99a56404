/**
 * A cloud process that commits and then dies before evaluating (dead-node-marks.pg.svc.test.ts): a real
 * `startCloud` on the PostgreSQL database given as argv[2], heartbeating every argv[3] ms on the wall clock
 * as any cloud does, but with a manual data clock that never moves, so its engine's timers never fire and
 * nothing it stores is evaluated. The events it is sent go through its real Ingestor (commit, marks owned
 * by its node, the engine marked dirty); it answers `committed` and waits to be SIGKILLed: no close, no
 * flush, its `cloud_nodes` row left behind.
 */
import { manualClock } from '@coldtrace/shared';
import pino from 'pino';
import { startCloud } from '../../src/cloud.js';
import { type Ev, send, T0 } from '../domain/harness.js';

const cloud = await startCloud(
  {
    database: process.argv[2]!,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { embedded: { enabled: false } },
    evaluation: { debounceMs: 20, nodeHeartbeatMs: Number(process.argv[3]) },
    ingest: { maxFutureSkewMs: Number.MAX_SAFE_INTEGER, maxEventAgeMs: Number.MAX_SAFE_INTEGER },
  },
  { clock: manualClock(T0), log: pino({ level: 'silent' }) },
);

process.on('message', async (events: Ev[]) => {
  try {
    for (const e of events) await send(cloud.ingestor, e);
    process.send!({ committed: events.length });
  } catch (err) {
    process.send!({ error: String(err) });
  }
});
process.send!({ ready: true, nodeId: cloud.store.opened.nodeId });
