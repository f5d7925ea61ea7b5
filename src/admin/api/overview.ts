import { sendJson } from '../http.js';
import { statsSnapshot } from '../broker-view.js';
import type { ListenerInfo } from '../options.js';
import type { Router } from '../router.js';
import type { ApiContext } from './context.js';

/** `GET /api/v1/stats` and `GET /api/v1/listeners`. */
export function overviewRoutes(router: Router, api: ApiContext, adminListener: () => ListenerInfo | undefined): void {
  router.add('GET', '/api/v1/stats', ({ res }) => {
    sendJson(res, 200, statsSnapshot(api.broker, api.options.version));
  });
  router.add('GET', '/api/v1/listeners', ({ res }) => {
    const listeners = [...(api.options.listeners?.() ?? [])];
    const admin = adminListener();
    if (admin) listeners.push(admin);
    sendJson(res, 200, { items: listeners.map(({ name, protocol, host, port }) => ({ name, protocol, host, port })) });
  });
  router.add('GET', '/api/v1/whoami', ({ res, identity }) => {
    sendJson(res, 200, identity);
  });
}
