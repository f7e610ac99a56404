import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { startBrokerAuth, TEST_INGESTOR } from './broker-auth-server.js';
import { RabbitmqNode } from './rabbitmq-node.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'amqp-ingestor-child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** An ingest process (amqp-ingestor-child.ts) as its IPC reports it. */
export interface IngestorChild {
  proc: ChildProcess;
  ready: boolean;
  entered: number;
  done: number;
  /** Called, synchronously on the IPC report, as each message enters ingest. */
  onEntering: Set<() => void>;
}

/**
 * One fresh PostgreSQL database, RabbitMQ's auth answered from it, our own RabbitMQ node, the gateways
 * registered; ingest processes forked on demand (amqp-ingestors.svc.test.ts,
 * gateway-affine-delivery.svc.test.ts, amqp-layout-upgrade.svc.test.ts).
 */
export class RabbitmqIngestRig {
  readonly secrets: Record<string, string> = {};
  readonly gateways: MqttClient[] = [];
  readonly children: IngestorChild[] = [];
  private constructor(
    readonly pg: FreshPostgres,
    readonly store: CloudStore,
    private readonly auth: Awaited<ReturnType<typeof startBrokerAuth>>,
    readonly node: RabbitmqNode,
  ) {}

  static async create(gatewayIds: string[]): Promise<RabbitmqIngestRig> {
    const pg = await freshPostgresUrl();
    const store = new CloudStore(await openDatabase(pg.url));
    const secrets: Record<string, string> = {};
    for (const id of gatewayIds) secrets[id] = await registerGateway(store, { id, now: Date.now() });
    const auth = await startBrokerAuth(store);
    const f = new RabbitmqIngestRig(pg, store, auth, await RabbitmqNode.create(auth.url));
    Object.assign(f.secrets, secrets);
    return f;
  }

  /** The ingestor account's URL; with `heartbeatS`, the AMQP heartbeat it asks for (the source's default otherwise). */
  amqpUrl(heartbeatS?: number): string {
    const url = `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${this.node.amqpPort}/`;
    return heartbeatS === undefined ? url : `${url}?heartbeat=${heartbeatS}`;
  }

  /** Forks an ingest process taking `slowMs` per message; `onTopic` hears each message's topic. */
  start(
    slowMs: number,
    opts: {
      rebalanceMs?: number;
      heartbeatS?: number;
      /** PostgreSQL's idle in transaction limit for its sessions (the store's default otherwise). */
      idleInTransactionMs?: number;
      onTopic?: (topic: string) => void;
    } = {},
  ): IngestorChild {
    const dbUrl = new URL(this.pg.url);
    if (opts.idleInTransactionMs !== undefined)
      dbUrl.searchParams.set('idle_in_transaction_session_timeout', String(opts.idleInTransactionMs));
    const args = [dbUrl.toString(), this.amqpUrl(opts.heartbeatS), String(slowMs)];
    if (opts.rebalanceMs !== undefined) args.push(String(opts.rebalanceMs));
    const proc = fork(CHILD, args, {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const c: IngestorChild = { proc, ready: false, entered: 0, done: 0, onEntering: new Set() };
    proc.on(
      'message',
      (m: { ready?: boolean; entering?: boolean; entered?: number; done?: number; topic?: string }) => {
        if (m.ready) c.ready = true;
        if (m.entered !== undefined) c.entered = m.entered;
        if (m.done !== undefined) c.done = m.done;
        if (m.entering) for (const f of [...c.onEntering]) f();
        if (m.topic !== undefined) opts.onTopic?.(m.topic);
      },
    );
    this.children.push(c);
    return c;
  }

  /**
   * Sends `signal` to the first of `children` whose report of a message entering ingest arrives while
   * `when(child)` holds, in that report's handler: the message then still has at least the child's `slowMs`
   * to go, so the child is caught holding it. Polling the counts instead misses that moment when a loaded
   * machine delivers a message's entry and completion reports together. Resolves with that child.
   */
  async signalOnEntry(
    children: IngestorChild[],
    signal: NodeJS.Signals,
    when: (c: IngestorChild) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<IngestorChild> {
    let hit: IngestorChild | undefined;
    const listeners = children.map((c) => {
      const f = () => {
        if (hit !== undefined || !when(c)) return;
        hit = c;
        c.proc.kill(signal);
      };
      c.onEntering.add(f);
      return [c, f] as const;
    });
    try {
      await until(() => hit !== undefined, `an ingestor holding a message in ingest (for ${signal})`, {
        timeoutMs,
      });
      return hit!;
    } finally {
      for (const [c, f] of listeners) c.onEntering.delete(f);
    }
  }

  /** Connects a registered gateway over MQTT 3.1.1 with a persistent session. */
  async connect(id: string): Promise<MqttClient> {
    const g = await mqtt.connectAsync(this.node.mqttUrl, {
      clientId: id,
      username: id,
      password: this.secrets[id],
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 100,
    });
    this.gateways.push(g);
    return g;
  }

  /**
   * Connects the gateways and has each publish a batch of 2 readings (seqs from 1 on) every `paceMs` until
   * `stop()`; `acked[i]` counts the batches gateway i had acknowledged, so queued.
   */
  async publishPaced(ids: string[], paceMs: number): Promise<{ acked: number[]; stop(): Promise<void> }> {
    const gateways = [];
    for (const id of ids) gateways.push(await this.connect(id));
    const acked = ids.map(() => 0);
    let publishing = true;
    const publishers = Promise.all(
      gateways.map(async (g, i) => {
        const id = ids[i]!;
        while (publishing) {
          const n = acked[i]!;
          const batch = readingsBatch(id, readings(2, { firstSeq: 2 * n + 1 }));
          await g.publishAsync(gatewayTopic(id, 'readings'), JSON.stringify(batch), { qos: 1 });
          acked[i] = n + 1;
          await delay(paceMs);
        }
      }),
    );
    // Awaited by stop(); a failing test's clients close under it (no unhandled rejection then).
    publishers.catch(() => {});
    return {
      acked,
      async stop() {
        publishing = false;
        await publishers;
      },
    };
  }

  /** The seqs stored of a gateway, ascending. */
  async storedSeqs(id: string): Promise<number[]> {
    return (await this.store.listReadings({ gatewayId: id, limit: 100_000 }))
      .map((r) => r.seq)
      .sort((x, y) => x - y);
  }

  /** Whether the first `batches[i]` batches (2 readings each) of each gateway i are all stored. */
  async holdsAll(ids: string[], batches: number[]): Promise<boolean> {
    const each = await Promise.all(
      ids.map(async (id, i) => {
        const seqs = new Set(await this.storedSeqs(id));
        return Array.from({ length: 2 * batches[i]! }, (_, k) => k + 1).every((q) => seqs.has(q));
      }),
    );
    return each.every(Boolean);
  }

  /** Waits until every acknowledged batch of each gateway is stored and the broker's queues are empty. */
  async allStored(ids: string[], acked: number[]): Promise<void> {
    await until(
      async () =>
        (
          await Promise.all(ids.map(async (id, i) => (await this.storedSeqs(id)).length === 2 * acked[i]!))
        ).every(Boolean),
      'every batch stored',
      { timeoutMs: 60_000 },
    );
    await until(
      async () => Object.values(await this.node.queues()).every((q) => q.messages === 0),
      'the queues empty',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  async destroy(): Promise<void> {
    for (const c of this.children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    for (const g of this.gateways) await g.endAsync(true).catch(() => {});
    await this.node.destroy();
    await this.auth.app.close();
    await this.store.close();
    await this.pg.drop();
  }
}
