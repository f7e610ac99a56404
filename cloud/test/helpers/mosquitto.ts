import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, until } from '@coldtrace/shared/testing';
import { expect } from 'vitest';

// Needs `mosquitto` and `mosquitto_passwd` (Debian package mosquitto). Runs its own mosquitto on an
// ephemeral port; the system one stays untouched.

const here = dirname(fileURLToPath(import.meta.url));
const DEPLOY = join(here, '../../../deploy/mosquitto');

/** Our own Mosquitto on the production config from deploy/mosquitto/, with paths and listener rewritten. */
export class Mosquitto {
  private child: ChildProcess | undefined;
  private log = '';
  readonly url: string;
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly conf: string,
  ) {
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  /** `accounts`: username → password for the password file (the ACL from deploy/mosquitto/acl applies). */
  static async create(accounts: Record<string, string>): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-mosquitto-'));
    mkdirSync(join(dir, 'data'));
    const port = await freePort();
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    for (const [user, secret] of Object.entries(accounts))
      execFileSync('mosquitto_passwd', ['-b', passwd, user, secret]);
    writeFileSync(join(dir, 'acl'), readFileSync(join(DEPLOY, 'acl')));
    const rewrite: Record<string, string> = {
      password_file: passwd,
      acl_file: join(dir, 'acl'),
      persistence_location: `${join(dir, 'data')}/`,
      listener: `${port} 127.0.0.1`,
      log_dest: 'stderr', // unbuffered, for the assertions on Mosquitto's log
    };
    const conf = readFileSync(join(DEPLOY, 'mosquitto.conf'), 'utf8')
      .split('\n')
      .map((line) => {
        const key = /^(\w+)\s/.exec(line)?.[1];
        return key && key in rewrite ? `${key} ${rewrite[key]}` : line;
      })
      .join('\n')
      // Started as root, Mosquitto would drop to user `mosquitto`, who cannot read our 0700 temp dir.
      .concat(process.getuid?.() === 0 ? '\nuser root\n' : '\n');
    expect(conf).toContain(`listener ${port} 127.0.0.1`);
    const file = join(dir, 'mosquitto.conf');
    writeFileSync(file, conf);
    const m = new Mosquitto(dir, port, file);
    await m.start();
    return m;
  }

  async start(): Promise<void> {
    this.log = '';
    const c = spawn('mosquitto', ['-c', this.conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = c;
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-8000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    const up = await until(
      async () => {
        if (c.exitCode !== null) return 'exited';
        return new Promise<string | false>((resolve) => {
          const s = tcpConnect(this.port, '127.0.0.1');
          s.once('connect', () => resolve(s.destroy() && 'listening'));
          s.once('error', () => resolve(false));
        });
      },
      'mosquitto listening',
      { timeoutMs: 15_000 },
    );
    if (up === 'exited') throw new Error(`mosquitto exited ${c.exitCode}: ${this.log}`);
  }

  /** `kill` (SIGTERM): Mosquitto writes its persistence file and exits. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  }

  logText(): string {
    return this.log;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
