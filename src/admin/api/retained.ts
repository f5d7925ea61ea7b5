import { createMessage } from '../../broker/index.js';
import { topicFilterProblem, topicNameProblem } from '../../protocol/index.js';
import { HttpError, intParam, payloadView, sendJson } from '../http.js';
import type { Router } from '../router.js';
import { withholds, type ApiContext } from './context.js';

/** Bytes of each retained payload the browse answer carries. */
const PAYLOAD_VIEW_BYTES = 4096;

/**
 * Retained messages: browse by topic filter (paged, in topic order) and delete
 * one, which is what publishing an empty retained message does [MQTT-3.3.1-6].
 */
export function retainedRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/api/v1/retained', ({ res, url }) => {
    const filter = url.searchParams.get('filter') ?? '#';
    const problem = topicFilterProblem(filter);
    if (problem || filter.startsWith('$share/')) throw new HttpError(400, problem ?? 'a shared filter selects no retained messages');
    const offset = intParam(url, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(url, 'limit', 100, 1000);
    const matches = api.broker.retained.match(filter).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    const items = matches.slice(offset, offset + limit).map((m) => ({
      topic: m.topic, qos: m.qos, ...payloadView(m.payload, PAYLOAD_VIEW_BYTES, withholds(api, m.confidential)),
      createdAt: new Date(m.createdAt).toISOString(),
      expiresAt: m.expiresAt === undefined ? null : new Date(m.expiresAt).toISOString(),
    }));
    sendJson(res, 200, { total: matches.length, offset, limit, items });
  });
  router.add('DELETE', '/api/v1/retained', ({ res, url, identity }) => {
    const topic = url.searchParams.get('topic') ?? '';
    const problem = topicNameProblem(topic);
    if (problem) throw new HttpError(400, problem);
    if (topic.startsWith('$SYS/')) throw new HttpError(403, '$SYS topics belong to the broker');
    if (!api.broker.retained.get(topic)) throw new HttpError(404, 'no retained message on this topic');
    api.broker.setRetained(createMessage({
      topic, payload: Buffer.alloc(0), qos: 0, retain: true, properties: undefined,
      createdAt: Date.now(), expiresAt: undefined, origin: undefined,
    }));
    api.topics.touch(topic);
    api.logger.info({ topic, admin: identity.name }, 'admin deleted a retained message');
    sendJson(res, 200, { topic, deleted: true });
  });
}
