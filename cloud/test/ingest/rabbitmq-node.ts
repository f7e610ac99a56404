import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, until } from '@coldtrace/shared/testing';
import { expect } from 'vitest';

// Needs Debian's rabbitmq-server (3.10: its rabbitmq_mqtt, rabbitmq_auth_backend_http and
// rabbitmq_auth_backend_cache plugins ship with it; deploy/dev-services.sh installs it). Runs its own node
// from /usr/lib/rabbitmq/bin with its own RABBITMQ_* environment (the /usr/sbin wrappers would switch to
// the rabbitmq user), on ephemeral ports with temp dirs; the machine's own RabbitMQ stays untouched.

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const DEPLOY = join(here, '../../../deploy/rabbitmq');
const BIN = '/usr/lib/rabbitmq/bin';

/** Whether something on 127.0.0.1:`port` accepts a TCP connection. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Per queue, the broker's own counts of ready and unacknowledged messages. */
export interface BrokerQueueCounts {
  ready: number;
  unacked: number;
  messages: number;
}

/**
 * The broker's per-queue counts from its Prometheus endpoint (rabbitmq_prometheus, 3.10's
 * `/metrics/detailed?family=queue_coarse_metrics`: `rabbitmq_detailed_queue_messages{_ready,_unacked,}`
 * with `vhost` and `queue` labels), as an operator's Prometheus scrapes it.
 */
export async function brokerQueueMetrics(prometheusUrl: string): Promise<Map<string, BrokerQueueCounts>> {
  const text = await (await fetch(`${prometheusUrl}/metrics/detailed?family=queue_coarse_metrics`)).text();
  const out = new Map<string, BrokerQueueCounts>();
  for (const m of text.matchAll(/^rabbitmq_detailed_queue_messages(_ready|_unacked|)\{([^}]*)\} (\S+)$/gm)) {
    const queue = /queue="([^"]*)"/.exec(m[2]!)?.[1];
    if (queue === undefined) continue;
    const q = out.get(queue) ?? { ready: 0, unacked: 0, messages: 0 };
    q[m[1] === '_ready' ? 'ready' : m[1] === '_unacked' ? 'unacked' : 'messages'] = Number(m[3]);
    out.set(queue, q);
  }
  return out;
}

/** Our own RabbitMQ node on the production config from deploy/rabbitmq/, listeners and URLs rewritten. */
export class RabbitmqNode {
  private child: ChildProcess | undefined;
  private out = '';
  readonly mqttUrl: string;
  readonly amqpPort: number;
  /** The broker's Prometheus endpoint (rabbitmq_prometheus, enabled in deploy/rabbitmq/). */
  readonly prometheusUrl: string;
  private constructor(
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly nodeName: string,
    private readonly ports: { amqp: number; mqtt: number; prometheus: number },
  ) {
    this.mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;
    this.amqpPort = ports.amqp;
    this.prometheusUrl = `http://127.0.0.1:${ports.prometheus}`;
  }

  /**
   * `authBaseUrl`: where the cloud answers `/broker/auth/*` (its HTTP URL). `cacheTtlMs`: how long the
   * node caches the cloud's answers (short in tests that change a gateway's secret).
   */
  static async create(authBaseUrl: string, opts: { cacheTtlMs?: number } = {}): Promise<RabbitmqNode> {
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-rabbitmq-'));
    for (const d of ['home', 'mnesia', 'log']) mkdirSync(join(dir, d));
    const amqp = await freePort();
    const mqtt = await freePort();
    const dist = await freePort();
    const prometheus = await freePort();
    const definitions = join(dir, 'definitions.json');
    copyFileSync(join(DEPLOY, 'definitions.json'), definitions);
    copyFileSync(join(DEPLOY, 'enabled_plugins'), join(dir, 'enabled_plugins'));
    const auth = authBaseUrl.replace(/\/$/, '');
    const rewrite: Record<string, string> = {
      'listeners.tcp.default': `127.0.0.1:${amqp}`,
      'mqtt.listeners.tcp.default': `127.0.0.1:${mqtt}`,
      'prometheus.tcp.port': String(prometheus),
      'auth_cache.cache_ttl': String(opts.cacheTtlMs ?? 60_000),
      'auth_http.user_path': `${auth}/broker/auth/user`,
      'auth_http.vhost_path': `${auth}/broker/auth/vhost`,
      'auth_http.resource_path': `${auth}/broker/auth/resource`,
      'auth_http.topic_path': `${auth}/broker/auth/topic`,
      load_definitions: definitions,
      // A test machine's disk is smaller than a broker's.
      'disk_free_limit.absolute': '50MB',
    };
    const seen = new Set<string>();
    const conf = readFileSync(join(DEPLOY, 'rabbitmq.conf'), 'utf8')
      .split('\n')
      .map((line) => {
        const key = /^([\w.]+)\s*=/.exec(line)?.[1];
        if (!key || !(key in rewrite)) return line;
        seen.add(key);
        return `${key} = ${rewrite[key]}`;
      })
      .join('\n');
    expect([...seen].sort()).toEqual(Object.keys(rewrite).sort());
    writeFileSync(join(dir, 'rabbitmq.conf'), conf);
    const nodeName = `coldtrace-test-${process.pid}-${amqp}@localhost`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: join(dir, 'home'), // the Erlang cookie
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_PORT: String(amqp),
      RABBITMQ_DIST_PORT: String(dist),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
    };
    const node = new RabbitmqNode(dir, env, nodeName, { amqp, mqtt, prometheus });
    await node.start();
    return node;
  }

  /**
   * Starts the node; resolves once both the AMQP and the MQTT listener accept connections. RabbitMQ 3.10
   * opens its AMQP listener last, after the plugins' (MQTT's) and the definitions (rabbit.erl's postlaunch
   * phase): on this machine 170-200 ms after MQTT's, so a test connecting over AMQP first was refused.
   */
  async start(): Promise<void> {
    this.out = '';
    // Its own process group, so `kill` reaches beam.smp and its helpers.
    const c = spawn(join(BIN, 'rabbitmq-server'), [], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = c;
    const keep = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-8000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    const up = await until(
      async () => {
        if (c.exitCode !== null) return 'exited';
        const open = await Promise.all([this.ports.amqp, this.ports.mqtt].map(accepts));
        return open.every(Boolean) && 'listening';
      },
      'RabbitMQ AMQP and MQTT listeners',
      { timeoutMs: 90_000 },
    );
    if (up === 'exited') throw new Error(`rabbitmq-server exited ${c.exitCode}: ${this.out}`);
  }

  /** rabbitmqctl against this node. */
  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await run(join(BIN, 'rabbitmqctl'), ['-n', this.nodeName, ...args], {
      env: this.env,
      timeout: 60_000,
    });
    return stdout;
  }

  /** Queue name → { type, messages } (ready + unacknowledged). */
  async queues(): Promise<Record<string, { type: string; messages: number }>> {
    const rows = JSON.parse(
      await this.ctl('list_queues', '--quiet', '--formatter', 'json', 'name', 'type', 'messages'),
    ) as { name: string; type: string; messages: number }[];
    return Object.fromEntries(rows.map((r) => [r.name, { type: r.type, messages: r.messages }]));
  }

  /** The node's log so far (assertions on what it refused). */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'log', `${this.nodeName}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.pid === undefined) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    process.kill(-c.pid, signal);
    await exited;
    // beam.smp may outlive the script by a moment; wait until the group is gone.
    await until(() => {
      try {
        process.kill(-c.pid!, 0);
        return false;
      } catch {
        return true;
      }
    }, 'RabbitMQ node stopped');
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
