import { ApiError, me } from './api.js';
import { h } from './ui.js';

/** The password field of an e-signature (21 CFR 11.200(a)(1): re-entered at each signing). */
export function signaturePassword(cls) {
  return h('input', {
    name: 'password',
    class: cls,
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
}

/**
 * Submits an e-signature form: the button is disabled while `send(username, password)` runs; success says
 * `done(result)` and reloads the page (it shows the signed record); a wrong password (401) or any other
 * refusal is shown in `msg` and the password is cleared.
 */
export function onSign(form, { submit, msg, password, send, done = () => 'Signed.' }) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    msg.className = 'form-msg';
    msg.textContent = 'Signing…';
    try {
      const result = await send((await me()).username, password.value);
      msg.textContent = done(result);
      location.reload();
    } catch (err) {
      msg.className = 'form-msg error';
      msg.textContent =
        err instanceof ApiError && err.status === 401 ? 'Signature refused: wrong password.' : err.message;
      password.value = '';
    } finally {
      submit.disabled = false;
    }
  });
}

/** The end of every e-signature form: who signs, the password, the button and the message line. */
export function signatureFields(user, { password, submit, msg }) {
  return [
    h(
      'p',
      { class: 'muted' },
      `Signing as ${user.printedName} (${user.username}). Re-enter your password to sign.`,
    ),
    h('label', {}, 'Password ', password),
    submit,
    msg,
  ];
}

/**
 * What a signer chooses, with no default (a decision is never pre-selected), and the line that shows the
 * meaning of their signature once they have chosen (21 CFR 11.50(a)(3)). `options`: [value, label, meaning].
 */
export function meaningChoice({ name, cls, prompt, options, onChange }) {
  const select = h(
    'select',
    { name, class: cls, required: true },
    h('option', { value: '', disabled: true, selected: true }, 'Choose…'),
    options.map(([value, label]) => h('option', { value }, label)),
  );
  const meaning = h('p', { class: 'meaning' }, prompt);
  const meanings = Object.fromEntries(options.map(([value, , m]) => [value, m]));
  select.addEventListener('change', () => {
    meaning.textContent = meanings[select.value];
    onChange?.(select.value);
  });
  return { select, meaning };
}
