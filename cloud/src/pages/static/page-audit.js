import { api, hasRole } from './api.js';
import { auditTable } from './audit-view.js';
import { badge, errorBox, h, mount, runPage } from './ui.js';

runPage(async (user) => {
  const result = h('div', { id: 'verify-result' });
  const verify = h('button', { type: 'button', id: 'verify' }, 'Verify hash chain');
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Verifying…'));
    try {
      const v = await api.get('/api/v1/audit/verify');
      result.replaceChildren(
        v.ok
          ? h('p', {}, badge('chain intact', 'ok'), ` all ${v.entries} entries verified`)
          : h(
              'p',
              { role: 'alert' },
              badge('chain broken', 'bad'),
              ` first broken entry #${v.firstBroken?.seq}: ${v.firstBroken?.problem} — ${v.firstBroken?.detail ?? ''}`,
            ),
      );
    } catch (err) {
      result.replaceChildren(errorBox(err));
    } finally {
      verify.disabled = false;
    }
  });
  const entries = await api.get('/api/v1/audit?limit=1000');
  mount(
    h('h1', {}, 'Audit trail'),
    h(
      'p',
      { class: 'muted' },
      'Append-only; each entry’s SHA-256 covers the previous entry’s hash, so an edited, removed or reordered entry breaks the chain.',
    ),
    hasRole(user, 'qa', 'admin')
      ? h('div', { class: 'row' }, verify, result)
      : h('p', { class: 'muted' }, 'Chain verification is for the QA and admin roles.'),
    h('p', { class: 'muted' }, `${entries.length} entries, newest last.`),
    auditTable(entries),
  );
});
