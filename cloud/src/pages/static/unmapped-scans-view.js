import { api } from './api.js';
import { scanDirectionText } from './format-status.js';
import { badge, fmtTime, h, table } from './ui.js';

/** Dead letters of each kind shown (the newest; GET /api/v1/dead-letters?code=…&limit=…). */
const PER_CODE = 20;

/**
 * Why a scan could not be mapped, for a person (docs/barcode.md "Zero loss"). Such a scan is not stored as
 * a scan: it is a dead letter of its own, replayed (POST /api/v1/dead-letters/{id}/replay) once its cause is
 * fixed.
 */
const CODES = {
  scan_hibc_unlinked: [
    'HIBC code not linked',
    'The HIBC device identifier is linked to no GTIN (neither an HIBC link in master data nor the cloud config).',
  ],
  scan_company_prefix_unknown: [
    'Company prefix unknown',
    'No tag of this GTIN is commissioned and no configured company prefix starts it, so the unit’s identity is unknown.',
  ],
  scan_lot_unknown: [
    'Lot not in master data',
    'A unit without serial names a lot master data does not have: it could not be counted.',
  ],
  scan_unmapped: [
    'Neither a unit nor a lot',
    'The code names no unit or lot coldtrace can track (an SSCC alone, a GTIN without serial or lot, a serial no SGTIN can hold).',
  ],
};

/** The scan records a dead letter holds (its payload is the movements batch as received). */
function scansOf(payload) {
  try {
    const batch = JSON.parse(payload);
    return (batch.records ?? []).filter((r) => r?.kind === 'scan');
  } catch {
    return []; // a payload cut to its preview is not JSON: the reason still says what was refused
  }
}

/**
 * "Scans that could not be mapped": the newest dead letters of the scan codes, each with where and what was
 * scanned (from its payload), why in words, and whether it has been replayed.
 */
export async function unmappedScansSection(names) {
  const pages = await Promise.all(
    Object.keys(CODES).map((code) =>
      api.get(`/api/v1/dead-letters?code=${code}&limit=${PER_CODE}`).then((p) => p.items),
    ),
  );
  const letters = pages.flat().sort((a, b) => b.id - a.id);
  const row = (d) => {
    const [label, meaning] = CODES[d.code] ?? [d.code, ''];
    const scans = scansOf(d.payload);
    return h(
      'tr',
      { 'data-dead-letter': d.id, 'data-code': d.code },
      h('td', {}, fmtTime(d.receivedAt)),
      h(
        'td',
        { class: 'where' },
        scans.length
          ? scans
              .slice(0, 3)
              .map((s, i) => [
                i ? h('br') : null,
                `${scanDirectionText(s.direction)} at ${names.locationText(s.locationId)}, station ${s.stationId}`,
              ])
          : `gateway ${d.gatewayId}`,
      ),
      h(
        'td',
        { class: 'mono small code' },
        scans.slice(0, 3).map((s, i) => [i ? h('br') : null, s.code]),
      ),
      h(
        'td',
        { class: 'why' },
        badge(label, 'bad'),
        ' ',
        meaning,
        h('br'),
        h('span', { class: 'muted small' }, d.reason),
      ),
      h(
        'td',
        {},
        d.replayedAt === null
          ? badge('not replayed', 'warn')
          : badge(`replayed ${fmtTime(d.replayedAt)}`, 'ok'),
      ),
    );
  };
  return h(
    'section',
    { id: 'unmapped-scans' },
    h('h2', {}, 'Scans that could not be mapped'),
    h(
      'p',
      { class: 'muted' },
      'Not recorded as scans: each is kept as a dead letter until its cause is fixed and it is replayed. ',
      `The newest ${PER_CODE} of each kind; the filters above do not apply.`,
    ),
    table(['Received', 'Where', 'Code as read', 'Why', 'State'], letters.map(row), {
      id: 'unmapped',
    }),
  );
}
