import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CliCommand, parseCommand } from '@coldtrace/shared/cli';
import type { Kysely } from 'kysely';
import { PUBLIC_KEY_FILE } from '../audit-checkpoints/checkpoint-files.js';
import { generateKeyFiles, loadPrivateKey, publicKeyring } from '../audit-checkpoints/checkpoint-keys.js';
import {
  type CheckpointReport,
  createCheckpoint,
  verifyCheckpoints,
} from '../audit-checkpoints/checkpoints.js';
import { loadCloudConfig } from '../config.js';
import { describeFinding, type ReadingDigestReport } from '../domain/reading-digest-check.js';
import { CloudStore } from '../store/cloud-store.js';
import { openDatabase } from '../store/db.js';
import { verifyReadingDigests } from '../store/reading-digest-reads.js';
import type { Database } from '../store/schema.js';
import { DEFAULT_DATABASE } from './cli-database.js';
import { AUDIT_CHECKPOINT_COMMAND, AUDIT_KEYGEN_COMMAND } from './commands.js';

/**
 * `coldtrace audit keygen --out FILE` and `coldtrace audit checkpoint` (docs/operations.md "Audit
 * checkpoints"): the key pair, and one signed checkpoint on demand, as the cloud's checkpoint module writes
 * them on its interval.
 */
export async function runCheckpointCommand(command: CliCommand, argv: string[]): Promise<number> {
  if (command === AUDIT_KEYGEN_COMMAND) {
    const { values } = parseCommand(AUDIT_KEYGEN_COMMAND, argv);
    const k = generateKeyFiles(values.out);
    process.stdout.write(
      `private key ${k.privateFile} (keep it off the database host's backups; mode 0600)\n` +
        `public key ${k.publicFile}\nfingerprint ${k.fingerprint}\n`,
    );
    return 0;
  }
  const { values, fail } = parseCommand(AUDIT_CHECKPOINT_COMMAND, argv);
  const config = values.config ? loadCloudConfig(values.config) : undefined;
  const fromConfig = config?.audit.checkpoints;
  const keyFile = values.key ?? fromConfig?.keyFile;
  if (!keyFile) return fail('--key is required (or a --config with audit.checkpoints)');
  const dest =
    values.dir || values.file
      ? { dir: values.dir, file: values.file }
      : { dir: fromConfig?.dir, file: fromConfig?.file };
  if (!dest.dir && !dest.file)
    return fail('--dir or --file is required (or a --config with audit.checkpoints)');
  const key = loadPrivateKey(keyFile);
  const store = new CloudStore(await openDatabase(values.database ?? config?.database ?? DEFAULT_DATABASE));
  try {
    const { checkpoint, written } = await createCheckpoint(store.db, key, dest, Date.now());
    process.stdout.write(
      `checkpoint signed: audit entry ${checkpoint.audit.seq}, ${checkpoint.readings.length} gateway(s) of readings, key ${checkpoint.key.slice(0, 16)}…\n` +
        written.map((w) => `written to ${w}\n`).join(''),
    );
    return 0;
  } finally {
    await store.close();
  }
}

interface ExtraOptions {
  checkpoints?: string | undefined;
  'public-key': string[];
  readings: boolean;
}

/**
 * The checks `audit verify` adds with `--checkpoints` and `--readings` (docs/architecture.md "Audit
 * trail"): their JSON, their lines and whether they passed.
 */
export async function verifyExtras(
  db: Kysely<Database>,
  o: ExtraOptions,
): Promise<{
  ok: boolean;
  json: { checkpoints?: CheckpointReport; readings?: ReadingDigestReport };
  text: string;
}> {
  const json: { checkpoints?: CheckpointReport; readings?: ReadingDigestReport } = {};
  const lines: string[] = [];
  let ok = true;
  if (o.checkpoints !== undefined) {
    const keys = o['public-key'].length > 0 ? o['public-key'] : [defaultPublicKey(o.checkpoints)];
    const r = await verifyCheckpoints(db, o.checkpoints, publicKeyring(keys));
    json.checkpoints = r;
    ok &&= r.ok;
    for (const f of r.findings) lines.push(`checkpoint ${f.source}: ${f.problem}: ${f.detail}`);
    lines.push(
      r.ok
        ? `checkpoints verified: ${r.checkpoints} signed with ${keys.join(', ')}, each contained in the trail`
        : `checkpoints FAIL: ${r.findings.length} finding(s) in ${r.checkpoints} checkpoint(s)`,
    );
  }
  if (o.readings) {
    const r = await verifyReadingDigests(db);
    json.readings = r;
    ok &&= r.ok;
    for (const f of r.findings) lines.push(describeFinding(f));
    for (const [archive, n] of Object.entries(r.deleted))
      lines.push(`readings: ${n} batch(es) archived and deleted, proven by archive ${archive}`);
    lines.push(
      r.ok
        ? `readings intact: ${r.readings} readings in ${r.batches} batches of ${r.gateways} gateway(s) match their digests`
        : `readings FAIL: ${r.findings.length} finding(s)${r.findings.length >= 100 ? ' (the first 100)' : ''}`,
    );
  }
  return { ok, json, text: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
}

/** `PATH/public-key.pem` for a directory of checkpoints, else the one beside the append-only file. */
function defaultPublicKey(path: string): string {
  try {
    if (statSync(path).isDirectory()) return join(path, PUBLIC_KEY_FILE);
  } catch {
    // verifyCheckpoints reports the missing path.
  }
  return join(dirname(path), PUBLIC_KEY_FILE);
}
