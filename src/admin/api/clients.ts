import type { Session } from '../../broker/index.js';
import { clientSummary, subscriptionView } from '../broker-view.js';
import { HttpError, intParam, sendJson } from '../http.js';
import type { RouteContext, Router } from '../router.js';
import type { ApiContext } from './context.js';
import { ReasonCode } from '../../protocol/index.js';


function sessionOf(api: ApiContext, ctx: RouteContext): Session {
  const session = api.broker.sessions.get(ctx.params.id!);
  if (!session) throw new HttpError(404, 'no such client');
  return session;
}

/** Sessions in client id order, filtered by `connected` and `search` (a substring of the id or user name). */
function listSessions(api: ApiContext, url: URL): Session[] {
  const connected = url.searchParams.get('connected');
  if (connected !== null && connected !== 'true' && connected !== 'false') throw new HttpError(400, 'connected must be true or false');
  const search = url.searchParams.get('search') ?? '';
  const out: Session[] = [];
  for (const session of api.broker.sessions.values()) {
    if (connected !== null && (session.link !== undefined) !== (connected === 'true')) continue;
    if (search && !session.clientId.includes(search) && !(session.username ?? '').includes(search)) continue;
    out.push(session);
  }
  return out.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
}

/**
 * Clients (sessions, connected or not), paged; one client; its subscriptions;
 * kicking it (v5 clients get DISCONNECT Administrative action); and
 * discarding the session of a client that is not connected.
 */
export function clientRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/api/v1/clients', ({ res, url }) => {
    const offset = intParam(url, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(url, 'limit', 100, 1000);
    const sessions = listSessions(api, url);
    const items = sessions.slice(offset, offset + limit).map(clientSummary);
    sendJson(res, 200, { total: sessions.length, offset, limit, items });
  });
  router.add('GET', '/api/v1/clients/:id', (ctx) => {
    sendJson(ctx.res, 200, clientSummary(sessionOf(api, ctx)));
  });
  router.add('GET', '/api/v1/clients/:id/subscriptions', (ctx) => {
    const items = [...sessionOf(api, ctx).subscriptions.values()].map(subscriptionView);
    sendJson(ctx.res, 200, { items });
  });
  router.add('POST', '/api/v1/clients/:id/kick', (ctx) => {
    const session = sessionOf(api, ctx);
    const link = session.link;
    if (!link) throw new HttpError(409, 'the client is not connected');
    api.logger.info({ clientId: session.clientId, admin: ctx.identity.name, reasonCode: ReasonCode.AdministrativeAction }, 'admin kicked a client');
    link.close(ReasonCode.AdministrativeAction, 'administrative action');
    sendJson(ctx.res, 200, { clientId: session.clientId, kicked: true });
  });
  router.add('DELETE', '/api/v1/clients/:id', (ctx) => {
    const session = sessionOf(api, ctx);
    if (session.link) throw new HttpError(409, 'the client is connected: kick it first');
    api.logger.info({ clientId: session.clientId, admin: ctx.identity.name }, 'admin discarded a session');
    api.broker.sessions.end(session, false);
    sendJson(ctx.res, 200, { clientId: session.clientId, discarded: true });
  });
}
