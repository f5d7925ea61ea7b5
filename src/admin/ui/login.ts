/// <reference lib="dom" />
import { api, basicAuthorization, bearerAuthorization } from './api.js';
import type { IdentityView } from './api-types.js';
import { h } from './dom.js';

/**
 * The login form: an admin user of the password file, or the admin token. The
 * credentials are checked with `GET /api/v1/whoami` before they are kept.
 */
export function loginForm(onLogin: (authorization: string, identity: IdentityView) => void, notice = ''): HTMLElement {
  const user = h('input', { id: 'login-user', autocomplete: 'username' });
  const password = h('input', { id: 'login-password', type: 'password', autocomplete: 'current-password' });
  const token = h('input', { id: 'login-token', type: 'password', autocomplete: 'off' });
  const status = h('p', { class: 'status', role: 'alert' }, notice);
  const submit = async () => {
    const authorization = token.value ? bearerAuthorization(token.value) : basicAuthorization(user.value, password.value);
    try {
      onLogin(authorization, await api<IdentityView>('/api/v1/whoami', { authorization }));
    } catch (err) {
      status.textContent = (err as { status?: number }).status === 401 ? 'Wrong user name, password or token' : `Cannot log in: ${(err as Error).message}`;
    }
  };
  return h('section', { class: 'login', 'aria-label': 'Log in' },
    h('form', { class: 'form card', onsubmit: (e) => {
      e.preventDefault();
      void submit();
    } },
    h('h2', {}, 'Log in to midge'),
    h('label', { for: 'login-user' }, 'User'), user,
    h('label', { for: 'login-password' }, 'Password'), password,
    h('label', { for: 'login-token' }, 'or admin token'), token,
    h('div', {}, h('button', { type: 'submit' }, 'Log in')),
    status));
}
