import { decodeEpc, isDecodedEpc } from '@coldtrace/shared';
import type { FastifyRequest } from 'fastify';
import { lockSubject } from '../domain/locks/lock-subject.js';
import type { ReleaseProposalRow } from '../domain/release-proposals.js';
import type { ReadingsTable, Row } from '../store/schema.js';

/** Who acts, for the audit trail: the authenticated principal, else 'api' (routes open before auth). */
export function actorOf(req: FastifyRequest): string {
  const p = (req as unknown as { principal?: { username?: string } | null }).principal;
  return p?.username ?? 'api';
}

/**
 * A unit as people name it (docs/qa-pages.md "Pages"): the GTIN and serial its SGTIN EPC
 * decodes to (TDS 2.x), beside the hex EPC; both null for an EPC that is no SGTIN.
 */
export function unitView(epc: string): { epc: string; gtin: string | null; serial: string | null } {
  const d = decodeEpc(epc);
  const ok = isDecodedEpc(d) && d.gtin !== undefined;
  return { epc, gtin: ok ? d.gtin! : null, serial: ok ? (d.serial ?? null) : null };
}

/** A reading's fields as the API lists them (the lot's temperature page, and `readingView`). */
export function readingFields(r: Omit<ReadingsTable, 'received_at'>) {
  return {
    gatewayId: r.gateway_id,
    seq: r.seq,
    sensorId: r.sensor_id,
    locationId: r.location_id,
    ts: r.ts,
    tempC: r.temp_c,
    rh: r.rh,
    quality: r.quality,
  };
}

/**
 * A reading as GET /readings answers it, with `receivedAt`: when the cloud stored it (far after `ts` means it
 * arrived late, an uplink outage).
 */
export function readingView(r: ReadingsTable) {
  return { ...readingFields(r), receivedAt: r.received_at };
}

export function excursionView(e: Row<'excursions'>) {
  return {
    id: e.id,
    locationId: e.location_id,
    startTs: e.start_ts,
    endTs: e.end_ts,
    lastTs: e.last_ts,
    excursionAt: e.excursion_at,
    durationMs: e.duration_ms,
    outOfRangeMs: e.out_of_range_ms,
    minC: e.min_c,
    maxC: e.max_c,
    peakC: e.peak_c,
    critical: e.critical === 1,
    degreeMinutes: e.degree_minutes,
    mktC: e.mkt_c,
    sensorIds: e.sensor_ids ? e.sensor_ids.split(',') : [],
    /** 'ongoing' | 'closed' | 'withdrawn' (no longer found, kept while units it locked await review). */
    state: e.state,
    reviewState: e.review_state,
    version: e.version,
  };
}

export function lockView(l: Row<'locks'> & { lot_id?: string | null }) {
  return {
    epc: l.epc,
    /** What it is for (`lockSubject`): an excursion's id, `cumulative:<lot>:<rule>` or `rate:<alarm>`. */
    excursionId: lockSubject(l.cause, l.rule_key),
    /** 'excursion', 'cumulative' (a product's cumulative rule) or 'rate_of_change' (a rate alarm). */
    cause: l.cause,
    locationId: l.location_id,
    lotId: l.lot_id ?? null,
    exposedFrom: l.exposed_from,
    exposedTo: l.exposed_to,
    state: l.state,
    reason: l.reason,
    /**
     * Set when a master-data change would have removed this lock: it stays locked pending QA review, and
     * only a signed disposition releases it (docs/architecture.md "Affected stock and locks").
     */
    holdReason: l.hold_reason,
    dispositionId: l.disposition_id,
    createdAt: l.created_at,
    updatedAt: l.updated_at,
  };
}

export function dispositionView(d: Row<'dispositions'>) {
  return {
    id: d.id,
    excursionId: d.excursion_id,
    scope: d.scope,
    lotId: d.lot_id,
    epc: d.epc,
    decision: d.decision,
    reason: d.reason,
    units: d.units,
    excursionVersion: d.excursion_version,
    signature: {
      signerId: d.signer_id,
      username: d.signer_username,
      printedName: d.printed_name,
      signedAt: d.signed_at,
      meaning: d.meaning,
    },
    /** SHA-256 of the signed manifest (21 CFR 11.70); null for a disposition signed before manifests. */
    manifestHash: d.manifest_hash ?? null,
  };
}

/** A release awaiting (or given) its second signature (domain/release-proposals.ts). */
export function releaseProposalView(p: ReleaseProposalRow) {
  return {
    id: p.id,
    excursionId: p.excursion_id,
    scope: p.scope,
    lotId: p.lot_id,
    epc: p.epc,
    units: p.units,
    reason: p.reason,
    justification: p.justification,
    /** Why two signatures are needed. */
    needs: JSON.parse(p.needs_json) as string[],
    excursionVersion: p.excursion_version,
    state: p.state,
    signature: {
      signerId: p.signer_id,
      username: p.signer_username,
      printedName: p.printed_name,
      signedAt: p.signed_at,
      meaning: p.meaning,
    },
    manifestHash: p.manifest_hash,
    dispositionId: p.disposition_id,
    decidedAt: p.decided_at,
  };
}

export { auditEntryView as auditView } from '../store/audit-trail.js';
