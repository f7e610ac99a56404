import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runAuditCli } from '../../src/cli/audit-cli.js';
import { DEFAULT_DATABASE, databaseOf } from '../../src/cli/cli-database.js';
import * as commands from '../../src/cli/commands.js';
import { runGatewayCli } from '../../src/cli/gateway-cli.js';
import { runUserCli } from '../../src/cli/user-cli.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';

const dir = mkdtempSync(join(tmpdir(), 'coldtrace-cli-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The commands that write to the cloud's database read the same config the cloud runs with. */
describe('the database of a command', () => {
  const config = join(dir, 'cloud.yaml');
  const db = join(dir, 'from-config.db');
  writeFileSync(config, `database: sqlite:${db}\n`);

  it('is --database, else the config file’s, else the default', () => {
    expect(databaseOf({})).toBe(DEFAULT_DATABASE);
    expect(databaseOf({ config })).toBe(`sqlite:${db}`);
    expect(databaseOf({ config, database: 'sqlite:other.db' })).toBe('sqlite:other.db');
  });

  it('is taken from --config by every command that has a database', () => {
    const withDatabase = Object.values(commands).filter(
      (c): c is typeof commands.CLOUD_COMMAND => 'options' in c && 'database' in (c.options ?? {}),
    );
    expect(withDatabase.length).toBeGreaterThanOrEqual(10);
    for (const c of withDatabase) expect(Object.keys(c.options), c.name).toContain('config');
  });

  it('refuses an unreadable or invalid config, naming the file', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'database: 42\n');
    expect(() => databaseOf({ config: bad })).toThrow(new RegExp(`${bad}: invalid config`));
    expect(() => databaseOf({ config: join(dir, 'missing.yaml') })).toThrow(/cannot read config/);
  });

  it('coldtrace gateway add --config registers the gateway in the config’s database', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runGatewayCli(['add', 'gw-config', '--config', config])).toBe(0);
    } finally {
      out.mockRestore();
    }
    const store = new CloudStore(await openDatabase(`sqlite:${db}`));
    try {
      expect((await store.getGateway('gw-config'))?.id).toBe('gw-config');
    } finally {
      await store.close();
    }
  });

  it('coldtrace user add --config creates the user in the config’s database', async () => {
    const io = {
      stdin: Readable.from(['a long enough password\n']),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
    };
    expect(
      await runUserCli(['add', 'qa.config', '--role', 'qa', '--config', config, '--password-stdin'], io),
    ).toBe(0);
    const store = new CloudStore(await openDatabase(`sqlite:${db}`));
    try {
      const users = await store.db.selectFrom('users').select('username').execute();
      expect(users.map((u) => u.username)).toContain('qa.config');
    } finally {
      await store.close();
    }
  });

  it('coldtrace audit verify --config verifies the config’s database: its entries, and a break in them', async () => {
    const verify = async () => {
      let printed = '';
      const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed += String(chunk);
        return true;
      });
      try {
        const code = await runAuditCli(['verify', '--config', config, '--json']);
        return { code, result: JSON.parse(printed) as { ok: boolean; entries: number } };
      } finally {
        out.mockRestore();
      }
    };
    const store = new CloudStore(await openDatabase(`sqlite:${db}`));
    try {
      // The gateway and the user above are on this database's trail.
      const entries = (await store.db.selectFrom('audit_log').select('seq').execute()).length;
      expect(entries).toBeGreaterThanOrEqual(2);
      expect(await verify()).toEqual({ code: 0, result: expect.objectContaining({ ok: true, entries }) });
      await store.db
        .updateTable('audit_log')
        .set({ reason: 'edited afterwards' })
        .where('seq', '=', 1)
        .execute();
      expect(await verify()).toMatchObject({ code: 1, result: { ok: false } });
    } finally {
      await store.close();
    }
  });
});
