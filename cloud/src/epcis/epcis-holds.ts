import { ColdtraceError } from '@coldtrace/shared';
import type { StoredEpcisHold } from '../store/queries/epcis-holds.js';
import { LOCK_DISPOSITION, LOCK_END_DISPOSITION } from './biz-step.js';
import type { EpcisEvent } from './epcis-document.js';
import type { EpcisHold, EpcisLockOutcome } from './epcis-input.js';
import { lgtinUri } from './epcis-scans.js';

/** Hold state → how it ended, as a lock's (domain-epcis-data.ts): `active` has not ended. */
const OUTCOME: Record<string, EpcisLockOutcome | undefined> = {
  released: 'released',
  rejected: 'rejected',
  lifted: 'auto_released',
};

/**
 * A stored hold as an EPCIS hold record, its times as a lock's: held at its creation; a QA decision ends it
 * at the disposition's signature time with the signed reason, for the units the decision covered (units
 * exposed after it stay held: the end's quantity is smaller than the hold's); a lift ends it at the row's
 * update time (the lift is the row's last change) for all its units. An end is never before the hold.
 */
export function epcisHoldOf(h: StoredEpcisHold): EpcisHold {
  const id = `${h.lotId}|${h.locationId}|${h.excursionId}`;
  const outcome = OUTCOME[h.state];
  const decided = outcome === 'released' || outcome === 'rejected';
  return {
    id,
    epcClass: lgtinUri(h.gtin, h.lotNumber, h.companyPrefixLength),
    units: h.units,
    heldAt: h.createdAt,
    locationId: h.locationId,
    excursionId: h.excursionId,
    reason: `${h.units} unit(s) of lot ${h.lotId} without serial exposed to excursion ${h.excursionId} at ${h.locationId}`,
    end: outcome
      ? {
          at: Math.max(h.createdAt, decided ? (h.decision?.signedAt ?? h.updatedAt) : h.updatedAt),
          outcome,
          units: decided ? Math.min(h.units, h.decidedUnits ?? h.units) : h.units,
          reason: decided ? (h.decision?.reason ?? h.reason) : h.reason,
        }
      : null,
  };
}

type EventBase = Pick<EpcisEvent, 'type' | 'eventTime' | 'eventTimeZoneOffset' | 'eventID'>;

/**
 * The events of quantity holds (docs/epcis.md "Quantity holds"), as a lock's but counted: each hold →
 * ObjectEvent OBSERVE, bizStep `holding`, disposition `non_sellable_other`, `persistentDisposition.set`, its
 * lot's class and units in `quantityList` (an EPCIS 2.0 QuantityElement, a count: no `uom`), at its
 * location; its end → `persistentDisposition.unset` with the end's bizStep and disposition
 * (`LOCK_END_DISPOSITION`) and the units it ended for.
 */
export function holdEvents(
  holds: readonly EpcisHold[],
  base: (ts: number, key: string, what: string) => EventBase,
  locUri: (id: string) => string,
): Array<{ ts: number; end: boolean; event: EpcisEvent }> {
  const out: Array<{ ts: number; end: boolean; event: EpcisEvent }> = [];
  for (const h of holds) {
    if (!Number.isInteger(h.units) || h.units < 0)
      throw new ColdtraceError('invalid', `hold ${h.id}: ${h.units} units is not a count`);
    if (h.units === 0) continue; // holds nothing (the engine stores none such): no event
    const where = { bizLocation: { id: locUri(h.locationId) } };
    const ext = { 'ct:holdId': h.id, 'ct:excursionId': h.excursionId };
    out.push({
      ts: h.heldAt,
      end: false,
      event: {
        ...base(h.heldAt, `hold|${h.id}`, `hold ${h.id}`),
        quantityList: [{ epcClass: h.epcClass, quantity: h.units }],
        action: 'OBSERVE',
        bizStep: 'holding',
        disposition: LOCK_DISPOSITION,
        persistentDisposition: { set: [LOCK_DISPOSITION] },
        ...where,
        ...ext,
        ...(h.reason ? { 'ct:reason': h.reason } : {}),
      },
    });
    if (!h.end) continue;
    const terms = LOCK_END_DISPOSITION[h.end.outcome];
    if (!terms) throw new ColdtraceError('invalid', `hold ${h.id}: unknown outcome ${h.end.outcome}`);
    // A decision may cover none of the units now held (all exposed after it): nothing ended then.
    if (h.end.units < 1) continue;
    out.push({
      ts: h.end.at,
      end: true,
      event: {
        ...base(h.end.at, `hold-end|${h.id}|${h.end.outcome}`, `end of hold ${h.id}`),
        quantityList: [{ epcClass: h.epcClass, quantity: h.end.units }],
        action: 'OBSERVE',
        bizStep: terms.bizStep,
        disposition: terms.disposition,
        persistentDisposition: {
          unset: [LOCK_DISPOSITION],
          ...(terms.set.length ? { set: [...terms.set] } : {}),
        },
        ...where,
        ...ext,
        'ct:outcome': h.end.outcome,
        ...(h.end.reason ? { 'ct:reason': h.end.reason } : {}),
      },
    });
  }
  return out;
}
