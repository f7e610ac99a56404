import { api, hasRole } from './api.js';
import { MIN_JUSTIFICATION } from './release-proposals-view.js';
import { meaningChoice, reasonField, signingForm } from './signing-form.js';
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
  const reason = reasonField('f-reason');
  return signingForm(user, {
    cls: 'disposition',
    passwordCls: 'f-password',
    submitCls: 'f-sign',
    submitLabel: 'Sign',
    children: [
      h('h4', {}, 'Disposition (electronic signature)'),
      h('label', {}, 'Decision ', decision),
      h('label', {}, 'Reason ', reason),
      justificationLabel,
      meaning,
    ],
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
