import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import { keyFingerprint } from '../domain/audit-checkpoint.js';

/**
 * The checkpoint signing key (docs/operations.md "Audit checkpoints: key custody"): an Ed25519 private
 * key in a PEM file outside the database, readable by the cloud's user only; verifiers need only the
 * public key.
 */
export function loadPrivateKey(file: string): KeyObject {
  return loadKey(file, 'private', createPrivateKey);
}

/** A public key (PEM, SPKI) to verify checkpoints with; a private key file is accepted as its public key. */
export function loadPublicKey(file: string): KeyObject {
  return loadKey(file, 'public', createPublicKey);
}

function loadKey(file: string, kind: string, create: (pem: Buffer) => KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key = create(readFileSync(file));
  } catch (err) {
    throw new ColdtraceError(
      'checkpoint_key_invalid',
      `checkpoint key ${file}: cannot read a ${kind} key: ${errorMessage(err)}`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new ColdtraceError(
      'checkpoint_key_invalid',
      `checkpoint key ${file}: an ${key.asymmetricKeyType} key, not Ed25519`,
    );
  return key;
}

/** Trusted public keys by fingerprint (a checkpoint names the key it was signed with). */
export function publicKeyring(files: readonly string[]): Map<string, KeyObject> {
  return new Map(files.map((f) => loadPublicKey(f)).map((k) => [keyFingerprint(k), k]));
}

/**
 * `coldtrace audit keygen --out FILE`: a new Ed25519 key pair, the private key in FILE (PKCS#8 PEM,
 * mode 0600) and the public key in FILE.pub (SPKI PEM); neither file may exist (never overwritten).
 */
export function generateKeyFiles(out: string): {
  privateFile: string;
  publicFile: string;
  fingerprint: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicFile = `${out}.pub`;
  try {
    writeFileSync(out, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx', mode: 0o644 });
  } catch (err) {
    throw new ColdtraceError('checkpoint_key_invalid', `cannot write the key pair: ${errorMessage(err)}`);
  }
  return { privateFile: out, publicFile, fingerprint: keyFingerprint(publicKey) };
}
