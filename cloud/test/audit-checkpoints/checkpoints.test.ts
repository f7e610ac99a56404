import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../src/audit-checkpoints/checkpoint-files.js';
import {
  generateKeyFiles,
  loadPrivateKey,
  publicKeyring,
} from '../../src/audit-checkpoints/checkpoint-keys.js';
import { createCheckpoint, verifyCheckpoints } from '../../src/audit-checkpoints/checkpoints.js';
import { CHECKPOINT_FORMAT, keyFingerprint, signCheckpoint } from '../../src/domain/audit-checkpoint.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { verifyReadingDigests } from '../../src/store/reading-digest-reads.js';
import { openFixture, rewriteWithout } from './checkpoint-fixture.js';

// docs/architecture.md "Audit trail", checkpoints: a chain rewritten or truncated by someone with database
// access still verifies on its own; the signed checkpoints, kept outside the database, catch it.

const WALL = Date.UTC(2026, 11, 6, 4, 0, 0);

/** The checkpoint file of `dir` whose name starts with `prefix` (the name ends with a tag of its signature). */
const named = (dir: string, prefix: string) => {
  const [name, ...more] = readdirSync(dir).filter((n) => n.startsWith(prefix));
  if (!name || more.length > 0) throw new Error(`not exactly one ${prefix}* in ${dir}`);
  return join(dir, name);
};

describe('signed audit checkpoints', () => {
  let f: Awaited<ReturnType<typeof openFixture>>;
  let keyFile: string;
  let cpDir: string;
  const keys = () => publicKeyring([`${keyFile}.pub`]);
  const problems = (r: { findings: Array<{ problem: string }> }) => r.findings.map((x) => x.problem);

  beforeEach(async () => {
    f = await openFixture();
    keyFile = join(f.dir, 'checkpoint-key.pem');
    generateKeyFiles(keyFile);
    cpDir = join(f.dir, 'checkpoints');
    mkdirSync(cpDir);
    await f.audit(6);
    await f.ingest('gw-a', 1, 50);
    await f.ingest('gw-b', 1, 20);
    await createCheckpoint(f.store.db, loadPrivateKey(keyFile), { dir: cpDir }, WALL);
    await f.audit(4);
    await f.ingest('gw-a', 51, 50);
    await createCheckpoint(f.store.db, loadPrivateKey(keyFile), { dir: cpDir }, WALL + 900_000);
  });
  afterEach(() => f.close());

  it('verifies an untampered database against every checkpoint', async () => {
    expect(readdirSync(cpDir).sort()).toEqual([
      expect.stringMatching(/^checkpoint-20261206T040000000Z-6-[0-9a-f]{8}\.json$/),
      expect.stringMatching(/^checkpoint-20261206T041500000Z-10-[0-9a-f]{8}\.json$/),
      'public-key.pem',
    ]);
    const cp = JSON.parse(readFileSync(named(cpDir, 'checkpoint-20261206T041500000Z-10-'), 'utf8'));
    expect(cp).toMatchObject({
      format: CHECKPOINT_FORMAT,
      at: WALL + 900_000,
      audit: { seq: 10 },
      readings: [
        { gateway: 'gw-a', batches: 2 },
        { gateway: 'gw-b', batches: 1 },
      ],
    });
    expect(await verifyCheckpoints(f.store.db, cpDir, keys())).toEqual({
      ok: true,
      checkpoints: 2,
      findings: [],
    });
  });

  it('never overwrites a checkpoint file', async () => {
    const key = loadPrivateKey(keyFile);
    await expect(createCheckpoint(f.store.db, key, { dir: cpDir }, WALL + 900_000)).rejects.toMatchObject({
      code: 'checkpoint_write_failed',
    });
    expect(JSON.parse(readFileSync(named(cpDir, 'checkpoint-20261206T041500000Z-10-'), 'utf8')).at).toBe(
      WALL + 900_000,
    );
  });

  it('detects entries deleted with every later hash and the head recomputed', async () => {
    const copy = await f.copy('rewritten.db');
    await rewriteWithout(copy.store, [3]);
    // The chain alone cannot tell: it verifies.
    expect((await verifyAuditTrail(copy.store.db)).ok).toBe(true);
    const r = await verifyCheckpoints(copy.store.db, cpDir, keys());
    expect(problems(r)).toEqual(['audit_rewritten', 'audit_truncated']);
    expect(r.findings[0]!.detail).toContain('entry 6 has another hash');
    expect(r.findings[1]!.detail).toContain('signed entry 10, but the trail ends at entry 9');
  });

  it('detects a truncated trail (head set back with the newest entries deleted)', async () => {
    const copy = await f.copy('truncated.db');
    await copy.store.db.deleteFrom('audit_log').where('seq', '>', 7).execute();
    const h = await copy.store.db
      .selectFrom('audit_log')
      .select('hash')
      .where('seq', '=', 7)
      .executeTakeFirstOrThrow();
    await copy.store.db.updateTable('audit_head').set({ seq: 7, hash: h.hash }).execute();
    expect((await verifyAuditTrail(copy.store.db)).ok).toBe(true);
    const r = await verifyCheckpoints(copy.store.db, cpDir, keys());
    expect(problems(r)).toEqual(['audit_truncated']);
    expect(r.findings[0]!.source).toContain('-10-');
  });

  it('detects the newest reading batch deleted with its digest row, and a rewritten digest chain', async () => {
    const copy = await f.copy('readings.db');
    await copy.store.db
      .deleteFrom('readings')
      .where('gateway_id', '=', 'gw-a')
      .where('seq', '>', 50)
      .execute();
    await copy.store.db
      .deleteFrom('reading_digests')
      .where('gateway_id', '=', 'gw-a')
      .where('batch_index', '=', 2)
      .execute();
    // The digests alone cannot tell (it was the newest batch).
    expect((await verifyReadingDigests(copy.store.db)).ok).toBe(true);
    const r = await verifyCheckpoints(copy.store.db, cpDir, keys());
    expect(r.findings.map((x) => [x.problem, x.detail.split(':')[0]])).toEqual([
      ['digests_truncated', 'gateway gw-a'],
    ]);

    await copy.store.db
      .updateTable('reading_digests')
      .set({ chain: 'f'.repeat(64) })
      .where('gateway_id', '=', 'gw-b')
      .execute();
    expect(problems(await verifyCheckpoints(copy.store.db, cpDir, keys()))).toEqual([
      'digests_rewritten',
      'digests_truncated',
      'digests_rewritten',
    ]);
  });

  it('reports a checkpoint signed with another key, an altered one, an unreadable one, and none at all', async () => {
    expect((await verifyCheckpoints(f.store.db, cpDir, keys())).ok).toBe(true);
    // A forger without the key signs a made-up head with a key of their own.
    const forger = generateKeyPairSync('ed25519');
    const forged = signCheckpoint(
      {
        format: CHECKPOINT_FORMAT,
        at: WALL + 1_800_000,
        audit: { seq: 2, hash: 'a'.repeat(64) },
        readings: [],
        key: keyFingerprint(forger.publicKey),
      },
      forger.privateKey,
    );
    writeCheckpoint({ dir: cpDir }, forged, forger.publicKey);
    // …or claims the real key's fingerprint.
    writeFileSync(
      join(cpDir, 'checkpoint-20261206T050000000Z-2.json'),
      JSON.stringify({ ...forged, key: [...keys().keys()][0] }),
    );
    // A real checkpoint edited to sign a lower seq.
    const real = named(cpDir, 'checkpoint-20261206T040000000Z-6-');
    const edited = JSON.parse(readFileSync(real, 'utf8'));
    writeFileSync(
      join(cpDir, 'checkpoint-20261206T051500000Z-5.json'),
      JSON.stringify({ ...edited, audit: { ...edited.audit, seq: 5 } }),
    );
    writeFileSync(join(cpDir, 'checkpoint-broken.json'), '{"format":');
    const r = await verifyCheckpoints(f.store.db, cpDir, keys());
    expect(
      r.findings.map((x) => [
        x.source
          .split('/')
          .pop()
          ?.replace(/-[0-9a-f]{8}\.json$/, '.json'),
        x.problem,
      ]),
    ).toEqual([
      ['checkpoint-20261206T043000000Z-2.json', 'bad_signature'],
      ['checkpoint-20261206T050000000Z-2.json', 'bad_signature'],
      ['checkpoint-20261206T051500000Z-5.json', 'bad_signature'],
      ['checkpoint-broken.json', 'unreadable'],
    ]);
    expect(r.findings[0]!.detail).toContain('not a trusted public key');
    expect(r.findings[1]!.detail).toContain('does not verify');

    const empty = join(f.dir, 'empty');
    mkdirSync(empty);
    expect(await verifyCheckpoints(f.store.db, empty, keys())).toMatchObject({
      ok: false,
      findings: [{ problem: 'unreadable', detail: 'no checkpoint found' }],
    });
  });

  it('writes to an append-only file too, one line per checkpoint, verified line by line', async () => {
    const file = join(f.dir, 'checkpoints.jsonl');
    const key = loadPrivateKey(keyFile);
    await createCheckpoint(f.store.db, key, { file }, WALL);
    await f.audit(1);
    await createCheckpoint(f.store.db, key, { file }, WALL + 1);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(await verifyCheckpoints(f.store.db, file, keys())).toEqual({
      ok: true,
      checkpoints: 2,
      findings: [],
    });
    const copy = await f.copy('t.db');
    await copy.store.db.deleteFrom('audit_log').where('seq', '=', 11).execute();
    await copy.store.db.updateTable('audit_head').set({ seq: 10 }).execute();
    const r = await verifyCheckpoints(copy.store.db, file, keys());
    expect(r.findings.map((x) => [x.source.split('/').pop(), x.problem])).toEqual([
      ['checkpoints.jsonl:2', 'audit_truncated'],
    ]);
  });

  it('refuses a key file that is not an Ed25519 private key, and never overwrites a key pair', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rsaFile = join(f.dir, 'rsa.pem');
    writeFileSync(rsaFile, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => loadPrivateKey(rsaFile)).toThrow(
      expect.objectContaining({ code: 'checkpoint_key_invalid' }),
    );
    expect(() => loadPrivateKey(join(f.dir, 'none.pem'))).toThrow(
      expect.objectContaining({ code: 'checkpoint_key_invalid' }),
    );
    const before = readFileSync(keyFile, 'utf8');
    expect(() => generateKeyFiles(keyFile)).toThrow(
      expect.objectContaining({ code: 'checkpoint_key_invalid' }),
    );
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
  });
});
