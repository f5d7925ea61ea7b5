import { topicFilterProblem } from '../../protocol/index.js';
import { COMMON_HEADERS, HttpError, sendBody } from '../http.js';
import type { Router } from '../router.js';
import type { ApiContext } from './context.js';

/**
 * `GET /api/v1/live?filter=<topic filter>`: the dashboard's subscribe panel, as
 * Server-Sent Events (`ready`, then `message` per message, `dropped` with what a
 * viewer's bounds kept from it). MQTT's matching rules apply: `#` does not match
 * `$SYS` topics [MQTT-4.7.2-1]; ask for `$SYS/#` to see them.
 */
export function liveRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/api/v1/live', ({ req, res, url, identity }) => {
    const filter = url.searchParams.get('filter') ?? '#';
    const problem = topicFilterProblem(filter);
    if (problem) throw new HttpError(400, problem);
    if (filter.startsWith('$share/')) throw new HttpError(400, 'a live feed cannot join a shared subscription group');
    if (req.method === 'HEAD') return sendBody(res, 200, 'text/event-stream; charset=utf-8', '');
    if (!api.feed.open(filter, res, { ...COMMON_HEADERS })) {
      throw new HttpError(503, `${api.feed.limits.maxViewers} live feeds are open already: close one first`);
    }
    api.logger.info({ filter, admin: identity.name, viewers: api.feed.viewerCount }, 'admin opened a live feed');
  });
}
