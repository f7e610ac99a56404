import { createHash } from 'node:crypto';
import { canonicalJson } from './audit-chain.js';

/** A reading the signer reviewed: which sensor, when (data time) and what it read. */
export interface ReviewedReading {
  sensorId: string;
  ts: number;
  tempC: number | null;
}

/** What a disposition's e-signature is applied to, as plain data (the store reads it in the signing transaction). */
export interface DispositionManifestInput {
  decision: string;
  meaning: string;
  reason: string;
  /** The excursion (or lock rule key) decided on, the version signed for and a digest of its stored content. */
  subject: { id: string; cause: string; version: number; content: unknown };
  scope: {
    type: string;
    lotId: string | null;
    epc: string | null;
    units: readonly string[];
    /** The lot's held quantities without serial decided, per location (absent or [] when none). */
    held?: ReadonlyArray<{ locationId: string; units: number }> | undefined;
  };
  /** The excursion's readings (its location, its window); empty for a lock rule's key. */
  readings: readonly ReviewedReading[];
  signer: { userId: string; username: string; printedName: string };
  /** Wall clock (21 CFR 11.50(a)(2)). */
  signedAt: number;
}

/** The signed manifest: its fields, the canonical JSON they hash to, and that SHA-256. */
export interface SignatureManifest {
  manifest: Record<string, unknown>;
  canonical: string;
  hash: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** SHA-256 of a record's canonical JSON: what a manifest holds of the state signed. */
export const contentDigest = (content: unknown): string => sha256(canonicalJson(content));

/** SHA-256 over the readings in a stable order (sensor, time), each as [sensor, time, value]. */
export function readingsDigest(readings: readonly ReviewedReading[]): string {
  const rows = readings
    .map((r) => [r.sensorId, Number(r.ts), r.tempC === null ? null : Number(r.tempC)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  return sha256(canonicalJson(rows));
}

/**
 * 21 CFR 11.70 (signature/record linking) and 11.50 (printed name, time, meaning): the manifest binds a
 * disposition's signature to what was signed: decision and meaning, the units decided, the excursion's
 * version and content, the readings reviewed, and the signer. Its canonical JSON is stored with the
 * disposition and on the audit trail; its SHA-256 is what responses, the page and the PDF show.
 */
export function dispositionManifest(i: DispositionManifestInput): SignatureManifest {
  const manifest = {
    v: 1,
    kind: 'disposition',
    decision: i.decision,
    meaning: i.meaning,
    reason: i.reason,
    subject: {
      id: i.subject.id,
      cause: i.subject.cause,
      version: Number(i.subject.version),
      contentDigest: i.subject.content == null ? null : contentDigest(i.subject.content),
    },
    scope: {
      type: i.scope.type,
      lotId: i.scope.lotId,
      epc: i.scope.epc,
      units: [...i.scope.units].sort(),
      // Only when the decision covers held quantities: manifests without them keep their form.
      ...(i.scope.held && i.scope.held.length > 0
        ? {
            held: [...i.scope.held]
              .map((h) => ({ locationId: h.locationId, units: h.units }))
              .sort((a, b) => (a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0)),
          }
        : {}),
    },
    reviewedData: { readings: i.readings.length, digest: readingsDigest(i.readings) },
    signer: { userId: i.signer.userId, username: i.signer.username, printedName: i.signer.printedName },
    signedAt: Number(i.signedAt),
  };
  return sealManifest(manifest);
}

/** The canonical form and hash of manifest fields (also what a verifier recomputes from a stored manifest). */
export function sealManifest(manifest: Record<string, unknown>): SignatureManifest {
  const canonical = canonicalJson(manifest);
  return { manifest, canonical, hash: sha256(canonical) };
}

/** What a specification change's e-signature approves: the entity and its recorded state after the change. */
export interface SpecificationManifestInput {
  entityType: string;
  entityId: string;
  /** The audit entry's `after` without the signature: limits, version, effective time, ... */
  content: unknown;
  meaning: string;
  reason: string;
  signer: { userId: string; username: string; printedName: string };
  signedAt: number;
}

/**
 * 21 CFR 11.70 for a signed specification change (a location's limits, a product's specification): the
 * manifest binds the signature to a digest of the state approved; it travels in the audit entry's signature.
 */
export function specificationManifest(i: SpecificationManifestInput): SignatureManifest {
  return sealManifest({
    v: 1,
    kind: 'specification',
    entity: { type: i.entityType, id: i.entityId },
    contentDigest: contentDigest(i.content),
    meaning: i.meaning,
    reason: i.reason,
    signer: { userId: i.signer.userId, username: i.signer.username, printedName: i.signer.printedName },
    signedAt: Number(i.signedAt),
  });
}
