import { sameOriginPath } from './safe-next.js';
import { h, mount } from './ui.js';

/** Only paths of this origin: an attacker cannot make the login page send you elsewhere. */
function nextUrl() {
  return sameOriginPath(new URLSearchParams(location.search).get('next'), location.origin);
}

async function main() {
  const status = await fetch('/api/v1/auth/status')
    .then((r) => r.json())
    .catch(() => ({ usersExist: true }));
  const message = h('p', { id: 'login-error', class: 'error', role: 'alert', hidden: true });
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', id: 'login-submit' }, 'Log in');
  const form = h(
    'form',
    { id: 'login-form', class: 'card narrow' },
    h('h1', {}, 'coldtrace'),
    h('p', { class: 'muted' }, 'Cold-chain custody and temperature compliance'),
    h('label', { for: 'username' }, 'Username'),
    username,
    h('label', { for: 'password' }, 'Password'),
    password,
    submit,
    message,
    status.usersExist
      ? null
      : h(
          'p',
          { class: 'notice' },
          'No users exist yet. On the server, create the first administrator with ',
          h('code', {}, 'coldtrace user add <name> --role admin'),
          ', then log in here.',
        ),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    message.hidden = true;
    try {
      const res = await fetch('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: username.value, password: password.value }),
        credentials: 'same-origin',
      });
      if (res.ok) {
        location.assign(nextUrl());
        return;
      }
      const body = await res.json().catch(() => ({}));
      message.textContent = body.message ?? `Login failed (HTTP ${res.status})`;
      message.hidden = false;
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  mount(form);
  username.focus();
}

main();
