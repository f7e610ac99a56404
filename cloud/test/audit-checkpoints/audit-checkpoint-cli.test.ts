import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAuditCli } from '../../src/cli/audit-cli.js';
import { openFixture } from './checkpoint-fixture.js';

// `coldtrace audit keygen|checkpoint|verify --checkpoints|--readings` (docs/operations.md "Audit
// checkpoints"), run as the command runs them.

describe('coldtrace audit keygen, checkpoint and verify --checkpoints/--readings', () => {
  let f: Awaited<ReturnType<typeof openFixture>>;
  let out: string[];
  const printed = () => out.splice(0).join('');
  beforeEach(async () => {
    f = await openFixture();
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await f.close();
  });

  it('creates a key pair, signs a checkpoint, verifies, and reports a truncated trail and a deleted reading', async () => {
    const key = join(f.dir, 'ckpt.pem');
    expect(await runAuditCli(['keygen', '--out', key])).toBe(0);
    expect(printed()).toMatch(/fingerprint [0-9a-f]{64}/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(existsSync(`${key}.pub`)).toBe(true);

    await f.audit(5);
    await f.ingest('gw-a', 1, 30);
    const dir = join(f.dir, 'checkpoints');
    mkdirSync(dir);
    expect(await runAuditCli(['checkpoint', '--database', f.url, '--key', key, '--dir', dir])).toBe(0);
    expect(printed()).toMatch(/checkpoint signed: audit entry 5, 1 gateway\(s\) of readings/);
    expect(readdirSync(dir).filter((n) => n.endsWith('.json'))).toHaveLength(1);

    // The public key written beside the checkpoints is the default.
    const verify = ['verify', '--database', f.url, '--checkpoints', dir, '--readings'];
    expect(await runAuditCli(verify)).toBe(0);
    const ok = printed();
    expect(ok).toContain('audit trail intact: 5 entries verified');
    expect(ok).toContain('checkpoints verified: 1 signed with');
    expect(ok).toContain('readings intact: 30 readings in 1 batches of 1 gateway(s)');

    await f.store.db.deleteFrom('audit_log').where('seq', '>', 3).execute();
    const h = await f.store.db
      .selectFrom('audit_log')
      .select('hash')
      .where('seq', '=', 3)
      .executeTakeFirstOrThrow();
    await f.store.db.updateTable('audit_head').set({ seq: 3, hash: h.hash }).execute();
    await f.store.db.deleteFrom('readings').where('seq', '=', 17).execute();
    expect(await runAuditCli(verify)).toBe(1);
    const bad = printed();
    expect(bad).toContain('audit trail intact: 3 entries verified'); // the chain alone misses it
    expect(bad).toMatch(
      /checkpoint .*: audit_truncated: the checkpoint of .* signed entry 5, but the trail ends at entry 3/,
    );
    expect(bad).toContain(
      "gateway gw-a readings seq 1-30 (batch 1): reading_deleted: 1 of the batch's 30 readings are gone (first: seq 17)",
    );

    expect(await runAuditCli([...verify, '--json'])).toBe(1);
    const json = JSON.parse(printed());
    expect(json).toMatchObject({
      ok: true,
      checkpoints: { ok: false, findings: [{ problem: 'audit_truncated' }] },
      readings: {
        ok: false,
        findings: [{ gateway: 'gw-a', fromSeq: 1, toSeq: 30, problem: 'reading_deleted' }],
      },
    });
  });

  it('takes the key and destination from the cloud config; a wrong command line is a usage error', async () => {
    const key = join(f.dir, 'k.pem');
    expect(await runAuditCli(['keygen', '--out', key])).toBe(0);
    const file = join(f.dir, 'checkpoints.jsonl');
    const config = join(f.dir, 'cloud.yaml');
    writeFileSync(
      config,
      `database: ${f.url}\naudit:\n  checkpoints:\n    keyFile: ${key}\n    file: ${file}\n`,
    );
    expect(await runAuditCli(['checkpoint', '--config', config])).toBe(0);
    // The public key written beside the append-only file is the default; the one kept apart may be named.
    expect(await runAuditCli(['verify', '--database', f.url, '--checkpoints', file])).toBe(0);
    expect(
      await runAuditCli(['verify', '--database', f.url, '--checkpoints', file, '--public-key', `${key}.pub`]),
    ).toBe(0);
    await expect(runAuditCli(['checkpoint', '--database', f.url, '--dir', f.dir])).rejects.toMatchObject({
      code: 'cli_usage',
      problem: '--key is required (or a --config with audit.checkpoints)',
    });
    await expect(runAuditCli(['keygen', '--out', key])).rejects.toMatchObject({
      code: 'checkpoint_key_invalid',
    });
  });
});
