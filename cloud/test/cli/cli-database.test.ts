import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_DATABASE, databaseOf } from '../../src/cli/cli-database.js';
import { runGatewayCli } from '../../src/cli/gateway-cli.js';
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
});
