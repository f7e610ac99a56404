/**
 * One cloud ingest process for amqp-ingestors.svc.test.ts: the AMQP source over a real Ingestor on the
 * PostgreSQL store given as argv[2], consuming the RabbitMQ queues at argv[3] (an amqp:// URL). Each
 * message takes at least argv[4] ms in ingest (a slow disk), so messages are in flight when the test
 * SIGKILLs it; argv[5], if given, is the source's `rebalanceIntervalMs`. Reports over IPC: `ready` once it
 * consumes, `entering` as each message enters ingest (before its slow part, so a signal sent on that report
 * finds the message still in ingest), then after every message its counts and the message's topic.
 */
import { systemClock } from '@coldtrace/shared';
import pino from 'pino';
import { startAmqpSource } from '../../src/ingest/amqp-source.js';
import { amqplibConnect } from '../../src/ingest/amqplib-connect.js';
import { type IncomingMessage, type IngestOutcome, Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';

const [dbUrl, amqpUrl, slowMs, rebalanceMs] = process.argv.slice(2) as [string, string, string, string?];
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const store = new CloudStore(await openDatabase(dbUrl));
let entered = 0;
let done = 0;

class SlowIngestor extends Ingestor {
  override async handle(msg: IncomingMessage): Promise<IngestOutcome> {
    entered++;
    process.send?.({ entering: true, entered, done });
    await new Promise((r) => setTimeout(r, Number(slowMs)));
    const outcome = await super.handle(msg);
    done++;
    process.send?.({ entered, done, topic: msg.topic });
    return outcome;
  }
}

const source = await startAmqpSource({
  url: amqpUrl,
  prefetch: 64,
  queuePrefix: 'coldtrace',
  partitions: 4,
  rebalanceIntervalMs: rebalanceMs === undefined ? undefined : Number(rebalanceMs),
  ingestor: new SlowIngestor({ store, clock: systemClock, log }),
  log,
  connect: amqplibConnect,
});
const ready = setInterval(() => {
  if (source.health().ok) {
    clearInterval(ready);
    process.send?.({ ready: true });
  }
}, 20);
