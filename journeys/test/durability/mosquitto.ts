/**
 * A Mosquitto 2.x broker of our own for the service suite (Debian package `mosquitto`): ephemeral
 * port, persistence in a temp dir, the repository's ACL (`deploy/mosquitto/acl`) and a password file
 * made with `mosquitto_passwd`. Restartable on the same port and data.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, until } from '@coldtrace/shared/testing';

const ACL = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/mosquitto/acl');

export interface Mosquitto {
  readonly port: number;
  addUser(username: string, password: string): void;
  start(): Promise<void>;
  /** SIGTERM: Mosquitto writes its persistence file on a clean shutdown. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function mosquittoAvailable(): boolean {
  return (
    spawnSync('mosquitto', ['-h']).error === undefined &&
    spawnSync('mosquitto_passwd', ['-h']).error === undefined
  );
}

export async function mosquitto(dir: string): Promise<Mosquitto> {
  const port = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  const conf = join(dir, 'mosquitto.conf');
  // The persistence and queue settings of deploy/mosquitto/mosquitto.conf, on a loopback port.
  writeFileSync(
    conf,
    [
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${ACL}`,
      'persistence true',
      `persistence_location ${join(dir, 'data')}/`,
      'persistence_file mosquitto.db',
      'autosave_on_changes true',
      'autosave_interval 100',
      'max_queued_messages 0',
      'max_queued_bytes 1073741824',
      'max_inflight_messages 100',
      'max_packet_size 4195328',
      'queue_qos0_messages false',
      'user root',
      'log_dest stdout',
      'connection_messages true',
      `listener ${port} 127.0.0.1`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const signal = async (sig: NodeJS.Signals) => {
    const c = child;
    if (!c) return;
    c.kill(sig);
    await exited;
  };
  process.once('exit', () => child?.kill('SIGKILL'));
  return {
    port,
    addUser(username, password) {
      const r = spawnSync('mosquitto_passwd', ['-b', passwd, username, password], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
    },
    async start() {
      const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      const log = join(dir, 'mosquitto.log');
      c.stdout!.on('data', (d: Buffer) => appendFileSync(log, d));
      c.stderr!.on('data', (d: Buffer) => appendFileSync(log, d));
      exited = new Promise<void>((res) =>
        c.once('exit', () => {
          if (child === c) child = undefined;
          res();
        }),
      );
      await until(
        () =>
          new Promise<boolean>((res) => {
            const s = net.connect(port, '127.0.0.1');
            s.once('connect', () => {
              s.destroy();
              res(true);
            });
            s.once('error', () => res(false));
          }),
        `mosquitto on port ${port} (log: ${log})`,
        { timeoutMs: 30_000, intervalMs: 20 },
      );
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
}
