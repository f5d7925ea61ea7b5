import { clientsByListener, statsSnapshot } from '../broker-view.js';
import { intParam, sendJson } from '../http.js';
import type { ListenerInfo } from '../options.js';
import type { Router } from '../router.js';
import type { ListenerView } from '../ui/api-types.js';
import type { ApiContext } from './context.js';

/** `GET /api/v1/stats`, `/history`, `/listeners` and `/whoami`. */
export function overviewRoutes(router: Router, api: ApiContext, adminListener: () => ListenerInfo | undefined): void {
  router.add('GET', '/api/v1/stats', ({ res }) => {
    sendJson(res, 200, statsSnapshot(api.broker, api.options.version));
  });
  router.add('GET', '/api/v1/history', ({ res, url }) => {
    sendJson(res, 200, api.history.since(intParam(url, 'since', 0, Number.MAX_SAFE_INTEGER)));
  });
  router.add('GET', '/api/v1/listeners', ({ res }) => {
    const clients = clientsByListener(api.broker);
    const items: ListenerView[] = (api.options.listeners?.() ?? []).map(({ name, protocol, host, port }) => ({
      name, protocol, host, port, clients: clients.get(name) ?? 0,
    }));
    const admin = adminListener();
    if (admin) items.push({ name: admin.name, protocol: admin.protocol, host: admin.host, port: admin.port, clients: null });
    sendJson(res, 200, { items });
  });
  router.add('GET', '/api/v1/whoami', ({ res, identity }) => {
    sendJson(res, 200, identity);
  });
}
