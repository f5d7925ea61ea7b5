import { intParam, payloadView, sendJson } from '../http.js';
import type { Router } from '../router.js';
import type { TopicChangesView } from '../ui/api-types.js';
import { withholds, type ApiContext } from './context.js';

/**
 * `GET /api/v1/topics?since=<version>`: the topic tree's entries changed since a
 * version (all of them for 0), with message counts, the last payload, and whether
 * the broker holds a retained message for the topic now.
 */
export function topicRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/api/v1/topics', ({ res, url }) => {
    const since = intParam(url, 'since', 0, Number.MAX_SAFE_INTEGER);
    const changes = api.topics.changesSince(since);
    const retained = api.broker.retained;
    const body: TopicChangesView = {
      version: changes.version,
      full: changes.full,
      removed: changes.removed,
      topics: changes.topics.map((e) => {
        const withheld = withholds(api, e.confidential);
        return {
          topic: e.topic, messages: e.messages, qos: e.qos, retainFlag: e.retainFlag,
          retained: retained.get(e.topic) !== undefined, updatedAt: new Date(e.updatedAt).toISOString(),
          ...payloadView(e.preview, api.topics.previewBytes, withheld), size: e.size, truncated: !withheld && e.size > e.preview.length,
        };
      }),
    };
    sendJson(res, 200, body);
  });
}
