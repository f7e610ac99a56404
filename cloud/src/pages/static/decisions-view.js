import { fmtTime, h } from './ui.js';

/**
 * The signed decisions of a lot under an excursion as rows of its card's facts: who decided what and when,
 * the meaning of each signature and the hash of each signed manifest.
 */
export function decisionRows(decisions) {
  return [
    h('dt', {}, 'Decisions'),
    h('dd', { 'data-k': 'decision' }, decisions.length ? decisions.map(decisionText).join('; ') : 'none yet'),
    ...meaningRows(decisions),
    ...manifestRows(decisions),
  ];
}

function decisionText(d) {
  const s = d.signature ?? {};
  return `${d.decision} by ${s.printedName ?? '?'} at ${fmtTime(s.signedAt)}${d.reason ? ` — ${d.reason}` : ''}`;
}

/** 21 CFR 11.50(b): the meaning of each signature, shown with its printed name and time wherever it is shown. */
function meaningRows(decisions) {
  return decisions.length
    ? [
        h('dt', {}, 'Meaning of the signatures'),
        h(
          'dd',
          { 'data-k': 'signature-meaning', class: 'small' },
          decisions
            .map((d) => `${d.signature?.printedName ?? '?'}: ${d.signature?.meaning ?? '?'}`)
            .join(' · '),
        ),
      ]
    : [];
}

/** 21 CFR 11.70: the hash of each decision's signed manifest, as the API and the PDF report give it. */
function manifestRows(decisions) {
  const hashes = decisions.map((d) => d.manifestHash).filter(Boolean);
  return hashes.length
    ? [
        h('dt', {}, 'Signed manifest SHA-256'),
        h('dd', { 'data-k': 'manifest', class: 'mono small' }, hashes.join('; ')),
      ]
    : [];
}
