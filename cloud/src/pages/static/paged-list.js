import { api } from './api.js';
import { h } from './ui.js';

/**
 * A table body filled from a paged list endpoint (docs/architecture.md "Lists and paging"): `reset()` reads
 * the first page for the current `params()`, the "Load more" button the next (`cursor` = `nextCursor`).
 * A reset while an earlier page is on its way wins: that page is dropped.
 */
export function pagedList({ path, params, row, body, columns, moreButton, onCount }) {
  let next = null;
  let shown = 0;
  let generation = 0;
  const load = async (reset) => {
    const mine = reset ? ++generation : generation;
    const p = params();
    if (!reset && next) p.set('cursor', next);
    const page = await api.get(`${path}?${p}`);
    if (mine !== generation) return;
    if (reset) {
      body.replaceChildren();
      shown = 0;
    }
    body.append(...page.items.map(row));
    shown += page.items.length;
    if (shown === 0) body.append(h('tr', {}, h('td', { colspan: columns, class: 'muted' }, 'None')));
    next = page.nextCursor;
    moreButton.hidden = next === null;
    onCount(shown, next !== null);
  };
  moreButton.addEventListener('click', () => load(false));
  return { reset: () => load(true) };
}
