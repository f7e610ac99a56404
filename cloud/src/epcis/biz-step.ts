/**
 * CBV 2.0 business step and disposition of a portal pass, from the kinds of the two locations it joins
 * (portals are dock doors and truck doors). Bare words are CBV 2.0 §7.1 (BizStep) and §7.2 (Disposition)
 * terms; the EPCIS JSON schema accepts them as such.
 *
 * | from → to                      | bizStep            | disposition  |
 * |--------------------------------|--------------------|--------------|
 * | site¹ → vehicle                | `shipping`         | `in_transit` |
 * | vehicle → site¹                | `receiving`        | `in_progress`|
 * | vehicle → vehicle              | `transporting`     | `in_transit` |
 * | site¹ → other (outside)        | `departing`        | —            |
 * | other (outside) → site¹        | `arriving`         | —            |
 * | room/store → dock              | `staging_outbound` | —            |
 * | any → room                     | `storing`          | —            |
 * | any → store                    | `stocking`         | —            |
 * | anything else                  | `entering_exiting` | —            |
 *
 * ¹ site = room, dock or store. An unknown location kind counts as `other`.
 */
export interface PassSemantics {
  bizStep: string;
  disposition?: string;
}

const SITE = new Set(['room', 'dock', 'store']);
const KNOWN = new Set(['room', 'dock', 'store', 'vehicle', 'other']);

export function passSemantics(fromKind: string | undefined, toKind: string | undefined): PassSemantics {
  const from = fromKind && KNOWN.has(fromKind) ? fromKind : 'other';
  const to = toKind && KNOWN.has(toKind) ? toKind : 'other';
  if (to === 'vehicle' && from === 'vehicle') return { bizStep: 'transporting', disposition: 'in_transit' };
  if (to === 'vehicle' && SITE.has(from)) return { bizStep: 'shipping', disposition: 'in_transit' };
  if (from === 'vehicle' && SITE.has(to)) return { bizStep: 'receiving', disposition: 'in_progress' };
  if (to === 'other' && SITE.has(from)) return { bizStep: 'departing' };
  if (from === 'other' && SITE.has(to)) return { bizStep: 'arriving' };
  if (to === 'dock') return { bizStep: 'staging_outbound' };
  if (to === 'room') return { bizStep: 'storing' };
  if (to === 'store') return { bizStep: 'stocking' };
  return { bizStep: 'entering_exiting' };
}

/**
 * Lock semantics (CBV 2.0 has no "quarantine"): a lock is bizStep `holding` with disposition
 * `non_sellable_other`, kept in force with `persistentDisposition.set` (EPCIS 2.0 §7.4.2); its end
 * unsets it. QA release → `sellable_accessible`; QA reject → `non_conformant` (CBV 2.0 §7.2, set
 * persistently); an automatic lift (late data proved no exposure) → `sellable_accessible`.
 */
export const LOCK_DISPOSITION = 'non_sellable_other';
export const LOCK_END_DISPOSITION = {
  released: { bizStep: 'inspecting', disposition: 'sellable_accessible', set: [] as string[] },
  rejected: { bizStep: 'inspecting', disposition: 'non_conformant', set: ['non_conformant'] },
  auto_released: { bizStep: 'holding', disposition: 'sellable_accessible', set: [] as string[] },
} as const;
