import { api, hasRole } from './api.js';
import { auditRow, auditTable } from './audit-view.js';
import { badge, errorBox, h, mount, runPage } from './ui.js';

/** Entries per page; `?limit=` in the URL (1…1000) overrides it. */
const DEFAULT_PAGE = 200;

function pageSize() {
  const n = Number(new URLSearchParams(location.search).get('limit'));
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : DEFAULT_PAGE;
}

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

  // Newest first, one page at a time: the next page is the entries before the oldest one shown.
  const limit = pageSize();
  const fetchPage = (beforeSeq) =>
    api.get(`/api/v1/audit?order=desc&limit=${limit}${beforeSeq ? `&beforeSeq=${beforeSeq}` : ''}`);
  const first = await fetchPage();
  let shown = first.length;
  let oldest = first.at(-1)?.seq;
  const count = h('p', { class: 'muted', id: 'audit-count' });
  const more = h('button', { type: 'button', id: 'audit-more' }, 'Load older entries');
  const tbl = auditTable(first, { id: 'audit' });
  const showCount = (done) => {
    count.textContent = `${shown} ${shown === 1 ? 'entry' : 'entries'} shown, newest first${done ? ' (all)' : ''}.`;
    more.hidden = done;
  };
  showCount(first.length < limit);
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const page = await fetchPage(oldest);
      tbl.tBodies[0].append(...page.map(auditRow));
      shown += page.length;
      oldest = page.at(-1)?.seq ?? oldest;
      showCount(page.length < limit);
    } catch (err) {
      count.after(errorBox(err));
    } finally {
      more.disabled = false;
    }
  });

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
    count,
    tbl,
    h('p', {}, more),
  );
});
