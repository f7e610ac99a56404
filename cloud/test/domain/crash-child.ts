/**
 * A cloud ingest process that dies before evaluating (crash-recovery.int.test.ts): it stores the events
 * it is sent through a real Ingestor into the SQLite file given as argv[2], exactly as the cloud does
 * (commit, then mark the domain engine dirty), but its manual clock never moves, so the engine's timers
 * never fire and nothing is evaluated. It answers `committed` and waits to be SIGKILLed: no close, no
 * flush, WAL not checkpointed.
 */
import { manualClock } from '@coldtrace/shared';
import pino from 'pino';
import { DomainEngine } from '../../src/engine/domain-engine.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { type Ev, send, T0 } from './harness.js';

const silent = pino({ level: 'silent' });
const store = new CloudStore(await openDatabase(`sqlite:${process.argv[2]}`));
const clock = manualClock(T0);
const engine = new DomainEngine({ store, clock, log: silent, debounceMs: 1_000_000 });
const ingestor = new Ingestor({
  store,
  clock,
  log: silent,
  onReadings: (_ids, windows) => engine.markReadings(windows),
  onMovements: (epcs) => engine.markEpcs(epcs),
});

process.on('message', async (events: Ev[]) => {
  try {
    for (const e of events) await send(ingestor, e);
    const marks = await store.db
      .selectFrom('evaluation_marks')
      .select('id')
      .execute()
      .catch(() => []);
    process.send!({ committed: events.length, marks: marks.length });
  } catch (err) {
    process.send!({ error: String(err) });
  }
});
process.send!({ ready: true });
