import { api } from './api.js';
import { signingForm } from './signing-form.js';
import { fmtTime, h } from './ui.js';

/** The minimum justification of a guarded release (domain/release-guard.ts MIN_JUSTIFICATION_CHARS). */
export const MIN_JUSTIFICATION = 50;

/**
 * The two-person rule on the page (docs/domain.md "Two-person release"): why releasing the lot needs a
 * justification and a second QA signature, said before anyone signs.
 */
export function releaseNeedsNotice(lot) {
  if (!lot.releaseNeeds?.length) return null;
  return h(
    'p',
    { class: 'notice release-needs', 'data-k': 'release-needs' },
    `Releasing this lot needs a written justification (at least ${MIN_JUSTIFICATION} characters) and a second QA signature: `,
    lot.releaseNeeds.join('; '),
    '.',
  );
}

/** Pending release proposals of a lot, each with its first signature and, for another QA user, the form to approve. */
export function proposalRows(ex, lot, user, canSign) {
  const pending = (ex.releaseProposals ?? []).filter((p) => p.lotId === lot.lotId && p.state === 'pending');
  return pending.map((p) =>
    h(
      'div',
      { class: 'card proposal', 'data-proposal': p.id },
      h(
        'p',
        {},
        h('strong', {}, 'Release proposed'),
        ` by ${p.signature.printedName} at ${fmtTime(p.signature.signedAt)} — waiting for a second QA signature.`,
      ),
      h('p', { class: 'small' }, `Reason: ${p.reason}`),
      h('p', { class: 'small' }, `Justification: ${p.justification}`),
      h('p', { class: 'small meaning' }, `Meaning: ${p.signature.meaning}`),
      h('p', { class: 'mono small' }, `Signed manifest SHA-256: ${p.manifestHash}`),
      !canSign
        ? null
        : p.signature.signerId === user.id || p.signature.username === user.username
          ? h('p', { class: 'muted' }, 'You proposed it: another QA user gives the second signature.')
          : approveForm(p, user),
    ),
  );
}

function approveForm(p, user) {
  return signingForm(user, {
    cls: 'approve',
    passwordCls: 'f-approve-password',
    submitCls: 'f-approve',
    submitLabel: 'Approve release (second signature)',
    children: [
      h(
        'p',
        { class: 'meaning' },
        'Release approved (second signature): I have reviewed the temperature excursion, its data and the justification, and approve the release proposed by another QA user.',
      ),
    ],
    reenterNote: false,
    send: (username, pw) =>
      api.post(`/api/v1/release-proposals/${encodeURIComponent(p.id)}/approve`, { username, password: pw }),
    done: () => 'Signed: released.',
  });
}
