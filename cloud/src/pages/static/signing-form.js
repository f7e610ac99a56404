import { ApiError, me } from './api.js';
import { h } from './ui.js';

/**
 * One e-signature form: `children` (heading, fields, meaning) then who signs, the password field, the button
 * and the message line. Submitting runs `send(username, password)` (see `onSign`); `done(result)` says what
 * was signed. `reenterNote: false` leaves "Re-enter your password to sign." out of the signer line.
 */
export function signingForm(
  user,
  { cls, passwordCls, submitCls, submitLabel, children, send, done, reenterNote = true },
) {
  const password = signaturePassword(passwordCls);
  const submit = h('button', { type: 'submit', class: submitCls }, submitLabel);
  const msg = h('p', { class: 'form-msg', role: 'status' });
  const form = h(
    'form',
    { class: cls },
    ...children,
    h(
      'p',
      { class: 'muted' },
      `Signing as ${user.printedName} (${user.username}).`,
      reenterNote ? ' Re-enter your password to sign.' : '',
    ),
    h('label', {}, 'Password ', password),
    submit,
    msg,
  );
  onSign(form, { submit, msg, password, send, done });
  return form;
}

/** The password field of an e-signature (21 CFR 11.200(a)(1): re-entered at each signing). */
function signaturePassword(cls) {
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
function onSign(form, { submit, msg, password, send, done = () => 'Signed.' }) {
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

/** The reason a signer gives, required and stored with the signed record. */
export function reasonField(cls) {
  return h('textarea', { name: 'reason', class: cls, rows: 2, required: true, maxlength: 2000 });
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
