import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
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

  /** The ingestor account's URL. */
  amqpUrl(): string {
    return `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${this.node.amqpPort}/`;
  }

  /** Forks an ingest process taking `slowMs` per message; `onTopic` hears each message's topic. */
  start(
    slowMs: number,
    opts: { rebalanceMs?: number; onTopic?: (topic: string) => void } = {},
  ): IngestorChild {
    const args = [this.pg.url, this.amqpUrl(), String(slowMs)];
    if (opts.rebalanceMs !== undefined) args.push(String(opts.rebalanceMs));
    const proc = fork(CHILD, args, {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const c: IngestorChild = { proc, ready: false, entered: 0, done: 0 };
    proc.on('message', (m: { ready?: boolean; entered?: number; done?: number; topic?: string }) => {
      if (m.ready) c.ready = true;
      if (m.entered !== undefined) c.entered = m.entered;
      if (m.done !== undefined) c.done = m.done;
      if (m.topic !== undefined) opts.onTopic?.(m.topic);
    });
    this.children.push(c);
    return c;
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

  async destroy(): Promise<void> {
    for (const c of this.children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    for (const g of this.gateways) await g.endAsync(true).catch(() => {});
    await this.node.destroy();
    await this.auth.app.close();
    await this.store.close();
    await this.pg.drop();
  }
}
