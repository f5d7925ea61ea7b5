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
      status.textContent = refusal(err, user.value);
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

/** Why a login failed, in words: only a right password learns that its user is not an admin. */
function refusal(err: unknown, user: string): string {
  const status = (err as { status?: number }).status;
  if (status === 401) return 'Wrong user name, password or token';
  if (status === 403 && (err as Error).message === 'not an admin user') {
    return `${user} is not an admin user: the broker's admin_user setting names who may use the dashboard`;
  }
  return `Cannot log in: ${(err as Error).message}`;
}
