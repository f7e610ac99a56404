import { api, hasRole } from './api.js';
import { whereNowText } from './names.js';
import { meaningChoice, reasonField, signingForm } from './signing-form.js';
import { fmtTime, h, table } from './ui.js';

/** 21 CFR 11.50(a)(3): what the signer of a closing record confirms (domain/stock-closures.ts). */
const MEANINGS = {
  destroyed:
    'Destruction recorded: I confirm that this rejected stock was destroyed as the reference documents; it no longer exists.',
  returned:
    'Return recorded: I confirm that this rejected stock was shipped back to its supplier as the reference documents.',
};

/**
 * Rejected stock followed to its end (docs/domain.md "Rejected stock to its end"): how many of the lot's units
 * were rejected and await destruction or return, where they are (EPC units where they are now, units without
 * serial where their rejected hold held them), the form to record their end (QA, e-signed),
 * and the closing records signed so far. `names`: names.js `loadNames()` (locations by name).
 */
export async function rejectedStockSection(lotId, user, names) {
  const [awaiting, closures] = await Promise.all([
    api.get('/api/v1/rejected-stock'),
    api.get(`/api/v1/stock-closures?lotId=${encodeURIComponent(lotId)}`),
  ]);
  const open = awaiting.find((a) => a.lotId === lotId);
  const held = open?.held ?? [];
  const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return h(
    'section',
    { id: 'rejected-stock' },
    h('h2', {}, 'Rejected stock'),
    open
      ? h(
          'p',
          { class: 'notice', 'data-k': 'rejected-awaiting' },
          'Rejected — ',
          open.units
            ? [
                plural(open.units, 'unit'),
                ' at ',
                whereNowText(open.whereNow, names, (name, n) => [name, ` (${n})`]),
              ]
            : '',
          open.units && held.length ? '; ' : '',
          // Held quantities (units without serial): where the excursion held them, per location.
          held.length
            ? h(
                'span',
                { 'data-k': 'rejected-held' },
                plural(open.heldUnits, 'unit'),
                ' without serial held at ',
                held.flatMap((q, i) => [i ? ', ' : '', names.location(q.locationId), ` (${q.units})`]),
              )
            : '',
          `, awaiting destruction or return (rejected ${fmtTime(open.rejectedAt)}).`,
        )
      : h(
          'p',
          { class: 'muted', 'data-k': 'rejected-awaiting' },
          'No rejected unit awaits destruction or return.',
        ),
    open && hasRole(user, 'qa', 'admin') ? closureForm(lotId, user) : null,
    closures.length
      ? table(
          ['Outcome', 'Units', 'Reference', 'Signed by', 'Signed at', 'Meaning', 'Reason'],
          closures.map((c) =>
            h(
              'tr',
              {},
              h('td', {}, c.outcome),
              h(
                'td',
                {},
                String(c.units),
                c.heldUnits
                  ? h('span', { class: 'small muted' }, ` (${c.heldUnits} without serial, held)`)
                  : '',
              ),
              h('td', {}, c.reference),
              h('td', {}, `${c.signature.printedName} (${c.signature.username})`),
              h('td', {}, fmtTime(c.signature.signedAt)),
              h('td', { class: 'small' }, c.signature.meaning),
              h('td', {}, c.reason),
            ),
          ),
          { id: 'stock-closures' },
        )
      : null,
  );
}

function closureForm(lotId, user) {
  const { select: outcome, meaning } = meaningChoice({
    name: 'outcome',
    cls: 'f-outcome',
    prompt: 'Choose what happened: the meaning of your signature shows here.',
    options: [
      ['destroyed', 'Destroyed', MEANINGS.destroyed],
      ['returned', 'Returned to the supplier', MEANINGS.returned],
    ],
  });
  const reference = h('input', { name: 'reference', class: 'f-reference', required: true, maxlength: 200 });
  const reason = reasonField('f-closure-reason');
  return signingForm(user, {
    cls: 'closure',
    passwordCls: 'f-closure-password',
    submitCls: 'f-close',
    submitLabel: 'Sign the closing record',
    children: [
      h('h3', {}, 'Record destruction or return (electronic signature)'),
      h('label', {}, 'What happened ', outcome),
      h('label', {}, 'Reference (destruction certificate, RMA or shipment) ', reference),
      h('label', {}, 'Reason ', reason),
      meaning,
    ],
    send: (username, pw) =>
      api.post('/api/v1/stock-closures', {
        lotId,
        outcome: outcome.value,
        reference: reference.value,
        reason: reason.value,
        username,
        password: pw,
      }),
  });
}
