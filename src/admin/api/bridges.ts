import { HttpError, sendJson } from '../http.js';
import type { BridgeStatus } from '../../broker/index.js';
import type { Router } from '../router.js';
import type { BridgeView } from '../ui/api-types.js';
import type { ApiContext } from './context.js';

function view(b: BridgeStatus): BridgeView {
  return {
    name: b.name, state: b.state, address: b.address ?? null, remoteClientId: b.remoteClientId, localClientId: b.localClientId,
    since: new Date(b.since).toISOString(), queued: b.queued, inflight: b.inflight, messagesSent: b.messagesSent,
    messagesReceived: b.messagesReceived, messagesDropped: b.messagesDropped, connects: b.connects,
    connectFailures: b.connectFailures, lastError: b.lastError ?? null,
  };
}

/** `GET /api/v1/bridges` (every bridge, in configuration order) and `GET /api/v1/bridges/:name`. */
export function bridgeRoutes(router: Router, api: ApiContext): void {
  const all = () => api.options.bridges?.() ?? [];
  router.add('GET', '/api/v1/bridges', ({ res }) => {
    sendJson(res, 200, { items: all().map(view) });
  });
  router.add('GET', '/api/v1/bridges/:name', ({ res, params }) => {
    const bridge = all().find((b) => b.name === params.name);
    if (!bridge) throw new HttpError(404, 'no such bridge');
    sendJson(res, 200, view(bridge));
  });
}
