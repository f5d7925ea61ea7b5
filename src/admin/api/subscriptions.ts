import { topicMatches, topicNameProblem } from '../../protocol/index.js';
import { subscriptionView } from '../broker-view.js';
import { HttpError, intParam, sendJson } from '../http.js';
import type { Router } from '../router.js';
import type { ClientSubscriptionView } from '../ui/api-types.js';
import type { ApiContext } from './context.js';

function byFilterThenClient(a: ClientSubscriptionView, b: ClientSubscriptionView): number {
  if (a.filter !== b.filter) return a.filter < b.filter ? -1 : 1;
  return a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0;
}

/**
 * `GET /api/v1/subscriptions?search=&topic=&offset=&limit=`: every session's
 * subscriptions in filter order, those whose filter or client id holds `search`,
 * or those that match the topic name `topic` (who would receive a message there).
 */
export function subscriptionRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/api/v1/subscriptions', ({ res, url }) => {
    const offset = intParam(url, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(url, 'limit', 100, 1000);
    const search = url.searchParams.get('search') ?? '';
    const topic = url.searchParams.get('topic');
    if (topic !== null) {
      const problem = topicNameProblem(topic);
      if (problem) throw new HttpError(400, problem);
    }
    const all: ClientSubscriptionView[] = [];
    for (const session of api.broker.sessions.values()) {
      for (const entry of session.subscriptions.values()) {
        if (search && !entry.filter.includes(search) && !session.clientId.includes(search)) continue;
        if (topic !== null && !topicMatches(entry.matchFilter, topic)) continue;
        all.push({ clientId: session.clientId, connected: session.link !== undefined, ...subscriptionView(entry) });
      }
    }
    all.sort(byFilterThenClient);
    sendJson(res, 200, { total: all.length, offset, limit, items: all.slice(offset, offset + limit) });
  });
}
