import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { authConfigSchema } from '../../src/auth/auth-config.js';
import { AuthService } from '../../src/auth/auth-service.js';
import { runUserCli } from '../../src/cli/user-cli.js';
import { openDatabase } from '../../src/store/db.js';

const dir = mkdtempSync(join(tmpdir(), 'coldtrace-user-cli-'));
const database = `sqlite:${join(dir, 'cloud.db')}`;
const BIN = resolve(import.meta.dirname, '../../../bin/coldtrace.mjs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin);
  });
}

function io(stdin: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  out.on('data', (d) => (stdout += d));
  return { io: { stdin: Readable.from([stdin]), stdout: out, stderr: err }, stdout: () => stdout };
}

describe('coldtrace user', () => {
  it('`user add --password-stdin` creates a user who can then log in', async () => {
    const r = await run(
      [
        'user',
        'add',
        'Quality',
        '--role',
        'qa',
        '--name',
        'Quinn Quality',
        '--database',
        database,
        '--password-stdin',
      ],
      'a long enough password\n',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('user quality (Quinn Quality) created with roles qa');
    expect(r.stdout).toContain('/login');
    const opened = await openDatabase(database);
    try {
      const auth = new AuthService(opened.db, authConfigSchema.parse({}));
      const login = await auth.login('quality', 'a long enough password');
      expect(login.user).toMatchObject({ username: 'quality', printedName: 'Quinn Quality', roles: ['qa'] });
    } finally {
      await opened.close();
    }
  });

  it('refuses unknown roles, weak passwords, duplicates and a missing --role with clear errors', async () => {
    const bad = await run(
      ['user', 'add', 'x1', '--role', 'root', '--database', database, '--password-stdin'],
      'long enough pw\n',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown role "root"/);
    await expect(
      runUserCli(
        ['add', 'x2', '--role', 'viewer', '--database', database, '--password-stdin'],
        io('short\n').io,
      ),
    ).rejects.toThrow(/at least 10/);
    await expect(
      runUserCli(
        ['add', 'quality', '--role', 'viewer', '--database', database, '--password-stdin'],
        io('long enough pw\n').io,
      ),
    ).rejects.toThrow(/already exists/);
    await expect(
      runUserCli(['add', 'x3', '--database', database, '--password-stdin'], io('long enough pw\n').io),
    ).rejects.toThrow(/--role is required/);
    await expect(
      runUserCli(['add', 'x4', '--role', 'qa', '--database', database], io('').io),
    ).rejects.toThrow(/not a terminal/);
    await expect(runUserCli(['frob'], io('').io)).rejects.toThrow(/usage/);
  });

  it('`user list` and `user token` work on the same database', async () => {
    const a = io('');
    expect(
      await runUserCli(
        ['add', 'boss', '--role', 'admin,qa', '--database', database, '--password-stdin'],
        io('boss password 1\n').io,
      ),
    ).toBe(0);
    expect(await runUserCli(['list', '--database', database], a.io)).toBe(0);
    expect(a.stdout()).toMatch(/^boss\tqa,admin\tenabled\tboss$/m);
    expect(a.stdout()).toMatch(/^quality\tqa\tenabled\tQuinn Quality$/m);
    const t = io('');
    expect(await runUserCli(['token', 'erp', '--role', 'viewer', '--database', database], t.io)).toBe(0);
    const token = /^(ct_\S+)$/m.exec(t.stdout())?.[1];
    expect(token).toBeDefined();
    const opened = await openDatabase(database);
    try {
      const p = await new AuthService(opened.db, authConfigSchema.parse({})).tokenPrincipal(token!);
      expect(p).toMatchObject({ kind: 'token', roles: ['viewer'] });
    } finally {
      await opened.close();
    }
  });
});
