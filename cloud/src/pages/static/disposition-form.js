import { api, hasRole } from './api.js';
import { MIN_JUSTIFICATION } from './release-proposals-view.js';
import { meaningChoice, onSign, signatureFields, signaturePassword } from './signing-form.js';
import { h } from './ui.js';

/** 21 CFR 11.50(a)(3): the meaning of each signature, shown next to the form and stored with it. */
export const MEANINGS = {
  release:
    'Release: I have reviewed the temperature excursion and its data and approve the stock for use or distribution.',
  reject:
    'Reject: I have reviewed the temperature excursion and its data and reject the stock; it must not be used or distributed.',
};

/** The e-signed release or reject of a lot under an excursion, or why the user cannot sign one. */
export function dispositionForm(ex, lot, user) {
  if (!hasRole(user, 'qa', 'admin'))
    return h(
      'p',
      { class: 'notice sign-denied' },
      'Signing a disposition needs the QA role; you can view only.',
    );
  // No default decision: the reviewer chooses, and sees the meaning of what they are about to sign.
  const guarded = (lot.releaseNeeds ?? []).length > 0;
  const justification = h('textarea', {
    name: 'justification',
    class: 'f-justification',
    rows: 3,
    minlength: MIN_JUSTIFICATION,
    maxlength: 4000,
  });
  const justificationLabel = h(
    'label',
    { class: 'justification', hidden: true },
    `Justification (at least ${MIN_JUSTIFICATION} characters; a second QA user must approve) `,
    justification,
  );
  const { select: decision, meaning } = meaningChoice({
    name: 'decision',
    cls: 'f-decision',
    prompt: 'Choose release or reject: the meaning of your signature shows here.',
    options: [
      ['release', 'Release', MEANINGS.release],
      ['reject', 'Reject', MEANINGS.reject],
    ],
    onChange: (value) => {
      const needed = guarded && value === 'release';
      justificationLabel.hidden = !needed;
      justification.required = needed;
    },
  });
  const reason = h('textarea', {
    name: 'reason',
    class: 'f-reason',
    rows: 2,
    required: true,
    maxlength: 2000,
  });
  const password = signaturePassword('f-password');
  const submit = h('button', { type: 'submit', class: 'f-sign' }, 'Sign');
  const msg = h('p', { class: 'form-msg', role: 'status' });
  const form = h(
    'form',
    { class: 'disposition' },
    h('h4', {}, 'Disposition (electronic signature)'),
    h('label', {}, 'Decision ', decision),
    h('label', {}, 'Reason ', reason),
    justificationLabel,
    meaning,
    ...signatureFields(user, { password, submit, msg }),
  );
  onSign(form, {
    submit,
    msg,
    password,
    send: (username, pw) =>
      submitDisposition({
        excursionId: ex.id,
        lotId: lot.lotId,
        decision: decision.value,
        reason: reason.value,
        justification: decision.value === 'release' && guarded ? justification.value : undefined,
        username,
        password: pw,
      }),
    done: (r) =>
      r?.status === 'awaiting_second_signature' ? 'Proposed: waiting for a second QA signature.' : 'Signed.',
  });
  return form;
}

/** Records a decision: POST /api/v1/excursions/:id/dispositions (domain/dispositions.ts). */
export function submitDisposition(d) {
  return api.post(`/api/v1/excursions/${encodeURIComponent(d.excursionId)}/dispositions`, {
    lotId: d.lotId,
    decision: d.decision,
    reason: d.reason,
    ...(d.justification ? { justification: d.justification } : {}),
    username: d.username,
    password: d.password,
  });
}
