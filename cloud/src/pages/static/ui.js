import { api, me } from './api.js';

/** Builds an element; strings become text nodes (never HTML), so data cannot inject markup. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function mount(...children) {
  const main = document.getElementById('main');
  main.replaceChildren();
  append(main, children);
  return main;
}

export function fmtTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** `10 Mar 2026, 09:55:00 CET`: the reader's local time with its zone (the audit page). */
export function fmtLocalTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  });
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const parts = [];
  if (d) parts.push(`${d} d`);
  if (hh) parts.push(`${hh} h`);
  if (mm) parts.push(`${mm} min`);
  if (!parts.length || (ss && !d && !hh)) parts.push(`${ss} s`);
  return parts.join(' ');
}

export function fmtNum(v, digits = 1, unit = '') {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return `${Number(v).toFixed(digits)}${unit}`;
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

export function table(headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((t) => h('th', {}, t)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'None')),
    ),
  );
}

/** A section that waits for an endpoint another part of the system provides. */
export function waiting(what) {
  return h('p', { class: 'notice' }, `Not available yet: ${what}.`);
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
}

/**
 * The menu button of narrow screens (app.css shows it below 760 px): toggles the menu, says so in
 * aria-expanded; Escape closes the menu and gives the focus back to the button.
 */
function initMenu() {
  const toggle = document.getElementById('menu-toggle');
  const header = toggle?.closest('header');
  if (!toggle || !header) return;
  const set = (open) => {
    header.classList.toggle('open', open);
    toggle.setAttribute('aria-expanded', String(open));
  };
  toggle.addEventListener('click', () => set(toggle.getAttribute('aria-expanded') !== 'true'));
  header.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && header.classList.contains('open')) {
      set(false);
      toggle.focus();
    }
  });
}

/** Header: menu, who is logged in, log out. Every page module calls this first. */
export async function initLayout() {
  initMenu();
  const user = await me();
  const who = document.getElementById('whoami');
  if (who) who.textContent = `${user.printedName} (${user.roles.join(', ')})`;
  const logout = document.getElementById('logout');
  logout?.addEventListener('click', async () => {
    await api.post('/api/v1/auth/logout').catch(() => {});
    location.assign('/login');
  });
  for (const a of document.querySelectorAll('header nav a')) {
    const href = a.getAttribute('href');
    if (href === location.pathname || (href !== '/' && location.pathname.startsWith(href)))
      a.classList.add('active');
  }
  return user;
}

/** Runs a page: layout, then `render(user)`; shows any failure in the page instead of a blank screen. */
export async function runPage(render) {
  try {
    const user = await initLayout();
    await render(user);
  } catch (err) {
    mount(errorBox(err));
    console.error(err);
  }
}
