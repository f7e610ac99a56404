import { api } from './api.js';
import { excursionLink } from './names.js';
import { fmtTime, h, table } from './ui.js';

/**
 * The lot page's "Units without serial" (docs/barcode.md "Quantity custody"): units scanned with a lot but
 * no serial have no identity, so they are counted per location (GET /api/v1/lots/{id}/quantities): scanned
 * in and out, on hand now, and each excursion there while some were on hand, with the most units on hand
 * during it. They cannot be locked one by one: QA acts on the lot.
 */
export async function quantitiesSection(lotId, names) {
  const enc = encodeURIComponent(lotId);
  const q = await api.get(`/api/v1/lots/${enc}/quantities`);
  const scansLink = h(
    'a',
    { href: `/scans?lot=${enc}`, id: 'lot-flagged-scans' },
    'Flagged scans of this lot',
  );
  if (!q.locations.length)
    return h(
      'section',
      { id: 'lot-quantities' },
      h('h2', {}, 'Units without serial'),
      h('p', { class: 'muted' }, 'No unit of this lot was scanned without a serial. ', scansLink),
    );
  return h(
    'section',
    { id: 'lot-quantities' },
    h('h2', {}, 'Units without serial'),
    h(
      'p',
      { class: 'muted' },
      'Units scanned with this lot but no serial, counted per location. They cannot be locked one by one: ',
      'an excursion they were exposed to holds their quantity, decided for the lot. ',
      scansLink,
    ),
    table(
      ['Location', 'Scanned in', 'Scanned out', 'On hand', 'Scanned between', 'Exposed to'],
      q.locations.map((l) =>
        h(
          'tr',
          { 'data-location': l.locationId },
          h('td', {}, names.location(l.locationId)),
          h('td', { 'data-k': 'in' }, String(l.scannedIn)),
          h('td', { 'data-k': 'out' }, String(l.scannedOut)),
          h('td', { 'data-k': 'on-hand' }, String(l.onHand)),
          h('td', { class: 'small' }, `${fmtTime(l.firstScanAt)} – ${fmtTime(l.lastScanAt)}`),
          h(
            'td',
            { 'data-k': 'exposures' },
            l.exposures.length
              ? l.exposures.map((e, i) => [
                  i ? h('br') : null,
                  excursionLink({ id: e.excursionId, startTs: e.from }, names.locationText(l.locationId)),
                  `: ${e.units} ${e.units === 1 ? 'unit' : 'units'} on hand`,
                  e.hold
                    ? h(
                        'span',
                        { class: 'hold', 'data-state': e.hold.state },
                        ` — ${e.hold.state === 'active' ? 'held, pending QA decision' : e.hold.state}`,
                      )
                    : null,
                ])
              : 'no excursion',
          ),
        ),
      ),
      { id: 'quantities' },
    ),
  );
}
