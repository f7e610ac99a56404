import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, until } from '@coldtrace/shared/testing';
import pg from 'pg';

// Our own PostgreSQL server, for tests that stop or crash it (the machine's server on 5432 is shared by
// every service test running at the same time). Debian's binaries (postgresql-15); initdb refuses to run
// as root, so as root the server runs as the `postgres` user, in a temp dir it owns, on an ephemeral
// port, with its unix socket in that dir. Trust authentication, superuser `postgres`.

const run = promisify(execFile);
const BIN = process.env.COLDTRACE_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const OWNER = 'postgres';

/** Why an own PostgreSQL server cannot run here, or undefined when it can. */
export function pgNodeMissing(): string | undefined {
  for (const b of ['initdb', 'pg_ctl']) {
    if (!existsSync(join(BIN, b))) return `${join(BIN, b)} not found (Debian's postgresql-15)`;
  }
  if (process.getuid?.() === 0) {
    if (!existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'runuser not found';
    try {
      if (
        !readFileSync('/etc/passwd', 'utf8')
          .split('\n')
          .some((l) => l.startsWith(`${OWNER}:`))
      )
        return `no ${OWNER} user to run PostgreSQL as (initdb refuses root)`;
    } catch {
      return 'cannot read /etc/passwd';
    }
  }
  return undefined;
}

/** A PostgreSQL server of the test's own: `stop('immediate')` is a crash, `start()` its recovery. */
export class PgNode {
  private running = false;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb in a new temp dir, then start. */
  static async create(): Promise<PgNode> {
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-pg-'));
    const node = new PgNode(dir, await freePort());
    try {
      mkdirSync(join(dir, 'data'), { mode: 0o700 });
      if (process.getuid?.() === 0) {
        const { stdout } = await run('id', ['-u', OWNER]);
        const { stdout: gid } = await run('id', ['-g', OWNER]);
        for (const d of [dir, join(dir, 'data')]) chownSync(d, Number(stdout), Number(gid));
      }
      await node.bin('initdb', [
        '-D',
        join(dir, 'data'),
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--no-instructions',
      ]);
      await node.start();
    } catch (err) {
      await node.destroy();
      throw err;
    }
    return node;
  }

  /** The URL of database `db` (default `postgres`) over TCP. */
  url(db = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  /** Creates database `name` and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  /** Starts the server (after a crash: crash recovery from the WAL) and waits until it accepts queries. */
  async start(): Promise<void> {
    await this.bin('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`,
      '-w',
      '-t',
      '120',
      'start',
    ]);
    this.running = true;
    await until(
      async () => {
        const c = new pg.Client({ connectionString: this.url() });
        try {
          await c.connect();
          await c.query('SELECT 1');
          return true;
        } catch {
          return false;
        } finally {
          await c.end().catch(() => {});
        }
      },
      'own PostgreSQL accepting queries',
      { timeoutMs: 60_000 },
    );
  }

  /**
   * `immediate`: every server process quits at once, without a checkpoint (what a crash leaves: the next
   * start recovers from the WAL); `fast`: a clean shutdown. Connections are dropped either way.
   */
  async stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    if (!this.running) return;
    await this.bin('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  /** The server's log so far. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs one of the server's binaries, as the `postgres` user when we are root. */
  private async bin(name: string, args: string[]): Promise<void> {
    const [cmd, argv] =
      process.getuid?.() === 0
        ? ['runuser', ['-u', OWNER, '--', join(BIN, name), ...args]]
        : [join(BIN, name), args];
    await run(cmd, argv, { timeout: 180_000, cwd: this.dir });
  }
}
