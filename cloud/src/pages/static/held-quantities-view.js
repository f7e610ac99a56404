import { badge, h } from './ui.js';

/**
 * Quantity holds on the excursion page (docs/barcode.md "Quantity custody"): units of a lot scanned without
 * a serial have no identity, so the excursion holds their quantity (GET /api/v1/excursions/{id}/quantities
 * gives each lot's hold) and QA decides it for the lot.
 */

/** A hold's state in words: units held, and what a decision covered. */
export function holdText(hold) {
  if (hold.state === 'active') return `${hold.units} held, pending QA decision`;
  const since =
    hold.decidedUnits !== null && hold.units > hold.decidedUnits ? hold.units - hold.decidedUnits : 0;
  return `${hold.decidedUnits ?? hold.units} ${hold.state}${since ? `; ${since} held since, pending QA decision` : ''}`;
}

/** Whether a hold still holds units no decision covers (QA can sign on the lot). */
export const holdUndecided = (hold) =>
  hold !== undefined &&
  hold !== null &&
  (hold.state === 'active' || (hold.decidedUnits !== null && hold.units > hold.decidedUnits));

/**
 * The card of a lot whose only units at the location had no serial: its held quantity, then the decision
 * rows and the disposition form the excursion page builds (the same as for any lot).
 */
export function heldLotCard(lotId, hold, { decisionRows, form }) {
  return h(
    'article',
    { class: 'card lot', 'data-lot': lotId },
    h(
      'h3',
      {},
      h('a', { href: `/lots/${encodeURIComponent(lotId)}`, title: `lot id: ${lotId}` }, `Lot ${lotId}`),
      ' ',
      h(
        'span',
        { class: 'lock-state' },
        badge(`${hold.units} held without serial`, holdUndecided(hold) ? 'bad' : 'ok'),
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Units without serial'),
      h('dd', { 'data-k': 'held' }, holdText(hold)),
      ...decisionRows,
    ),
    form,
  );
}
