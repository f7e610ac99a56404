import type { AuditLogTable } from './audit-chain.js';
import { lockKey } from './deep-verify-locks.js';
import { type DeepCheck, type DeepFinding, entryJson, sameValue, show } from './deep-verify-types.js';
import { contentOfRow } from './excursion-content.js';
import { lockSubject } from './locks/lock-subject.js';
import type { DispositionsTable } from './rows.js';
import { contentDigest, sealManifest } from './signature-manifest.js';

/** A disposition as its audit entry records it. */
interface SignedEntry {
  seq: number;
  fields: Partial<Record<keyof DispositionsTable, unknown>>;
}

function signedEntries(audit: readonly AuditLogTable[]): Map<string, SignedEntry> {
  const out = new Map<string, SignedEntry>();
  for (const e of audit) {
    if (!e.action.startsWith('disposition.')) continue;
    const a = entryJson(e.after_json);
    if (!a || typeof a.dispositionId !== 'string') continue;
    const sig = (a.signature ?? {}) as Record<string, unknown>;
    const fields: SignedEntry['fields'] = {
      decision: e.action.slice('disposition.'.length),
      excursion_id: e.entity_id,
      lot_id: a.lotId,
      epc: a.epc,
      reason: e.reason,
      signer_id: sig.signerId,
      printed_name: sig.printedName,
      signed_at: sig.signedAt,
      meaning: sig.meaning,
      excursion_version: a.excursionVersion,
    };
    // Entries signed before manifests have none; the row then has none either.
    if ('manifestHash' in a) fields.manifest_hash = a.manifestHash;
    out.set(a.dispositionId, { seq: e.seq, fields });
  }
  return out;
}

/**
 * Dispositions against their signed audit entries (21 CFR 11.10(e), 11.70): a row no entry signed, a
 * signed one deleted, and any field the signature covers (decision, scope, signer, time, meaning, version,
 * manifest hash) changed since.
 */
export const dispositionCheck: DeepCheck = {
  name: 'dispositions',
  covers: 'dispositions against their disposition.* entries',
  run({ audit, dispositions }) {
    const out: DeepFinding[] = [];
    const signed = signedEntries(audit);
    const f = (row: string, seq: number | null, detail: string) =>
      out.push({ check: 'dispositions', table: 'dispositions', row, auditSeq: seq, detail });
    for (const d of dispositions) {
      const s = signed.get(d.id);
      if (!s) {
        f(d.id, null, `decision ${d.decision}: no audit entry signs this disposition`);
        continue;
      }
      for (const [col, want] of Object.entries(s.fields)) {
        const have = d[col as keyof DispositionsTable];
        if (!sameValue(have, want))
          f(d.id, s.seq, `${col} ${show(have)}, but audit entry ${s.seq} signed ${show(want)}`);
      }
    }
    const stored = new Set(dispositions.map((d) => d.id));
    for (const [id, s] of signed) {
      if (!stored.has(id))
        f(
          id,
          s.seq,
          `missing: audit entry ${s.seq} signed ${String(s.fields.decision)}; the row was deleted`,
        );
    }
    return out;
  },
};

const decided = (decision: unknown) => (decision === 'release' ? 'released' : 'rejected');

/**
 * Every stored manifest recomputed from the stored records (21 CFR 11.70): its hash from its canonical
 * JSON; the disposition row's signed fields against it; and every lock the disposition decided against
 * its decision and units, so a decision flipped in `dispositions` or in `locks` does not match what was
 * signed.
 */
export const manifestCheck: DeepCheck = {
  name: 'manifests',
  covers: 'signature manifests recomputed from dispositions and locks',
  run({ audit, dispositions, locks, excursions }) {
    const out: DeepFinding[] = [];
    // The entry that signed the disposition, named with each finding about it.
    const signed = signedEntries(audit);
    const f = (table: string, row: string, detail: string, dispositionId: string) => {
      const seq = signed.get(dispositionId)?.seq ?? null;
      out.push({
        check: 'manifests',
        table,
        row,
        auditSeq: seq,
        detail: seq === null ? detail : `${detail} (signed in audit entry ${seq})`,
      });
    };
    const byId = new Map(dispositions.map((d) => [d.id, d]));
    const manifests = new Map<string, Record<string, unknown>>();
    for (const d of dispositions) {
      if (d.manifest_json === null) continue; // signed before manifests (migration 0017)
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(d.manifest_json) as Record<string, unknown>;
      } catch {
        f('dispositions', d.id, 'manifest_json is not JSON', d.id);
        continue;
      }
      manifests.set(d.id, m);
      const hash = sealManifest(m).hash;
      if (hash !== d.manifest_hash)
        f(
          'dispositions',
          d.id,
          `manifest recomputes to ${hash}, but manifest_hash is ${show(d.manifest_hash)}`,
          d.id,
        );
      const subject = (m.subject ?? {}) as Record<string, unknown>;
      const scope = (m.scope ?? {}) as Record<string, unknown>;
      const signer = (m.signer ?? {}) as Record<string, unknown>;
      const signedFields: Array<[keyof DispositionsTable, unknown]> = [
        ['decision', m.decision],
        ['meaning', m.meaning],
        ['reason', m.reason],
        ['excursion_id', subject.id],
        ['excursion_version', subject.version],
        ['scope', scope.type],
        ['lot_id', scope.lotId],
        ['epc', scope.epc],
        ['signer_id', signer.userId],
        ['signer_username', signer.username],
        ['printed_name', signer.printedName],
        ['signed_at', m.signedAt],
      ];
      for (const [col, want] of signedFields) {
        if (!sameValue(d[col], want))
          f(
            'dispositions',
            d.id,
            `${col} ${show(d[col])}, but the signed manifest (${d.manifest_hash}) says ${show(want)}`,
            d.id,
          );
      }
    }
    // Every change of an excursion's content raises its version: at the version signed, the content must be
    // the one the manifest digests, or the row was edited outside the derivation.
    const stored = new Map(excursions.map((x) => [x.id, x]));
    for (const d of dispositions) {
      const subject = manifests.get(d.id)?.subject as Record<string, unknown> | undefined;
      const x = stored.get(d.excursion_id);
      if (!x || typeof subject?.contentDigest !== 'string' || Number(x.version) !== subject.version) continue;
      const now = contentDigest(contentOfRow(x));
      if (now !== subject.contentDigest)
        f(
          'excursions',
          x.id,
          `content digest ${now} at version ${x.version}, but disposition ${d.id} signed content ${subject.contentDigest} at that version`,
          d.id,
        );
    }
    for (const l of locks) {
      if (l.disposition_id === null) continue;
      const key = lockKey(l.epc, lockSubject(l.cause, l.rule_key));
      const d = byId.get(l.disposition_id);
      if (!d) {
        f(
          'locks',
          key,
          `state ${l.state}: decided by disposition ${l.disposition_id}, which is not stored`,
          l.disposition_id,
        );
        continue;
      }
      const m = manifests.get(d.id);
      const decision = m?.decision ?? d.decision;
      if (l.state !== decided(decision))
        f(
          'locks',
          key,
          `state ${l.state}, but disposition ${d.id} signed ${String(decision)}${m ? ` (manifest ${d.manifest_hash})` : ''}`,
          d.id,
        );
      const units = ((m?.scope as Record<string, unknown> | undefined)?.units ?? null) as unknown[] | null;
      if (units && !units.includes(l.epc))
        f(
          'locks',
          key,
          `decided by disposition ${d.id}, whose signed manifest does not cover unit ${l.epc}`,
          d.id,
        );
    }
    return out;
  },
};
