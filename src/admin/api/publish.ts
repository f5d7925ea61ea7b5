import { CLUSTER_UNAVAILABLE, createMessage, type BrokerMessage, type PublishRefusal } from '../../broker/index.js';
import { topicNameProblem, type QoS } from '../../protocol/index.js';
import { HttpError, readJson, sendJson } from '../http.js';
import type { Router } from '../router.js';
import type { ApiContext } from './context.js';

/** A publish request as the API takes it. */
interface PublishRequest {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
}

function field<T>(body: Record<string, unknown>, name: string, type: 'string' | 'boolean' | 'number', fallback: T): T {
  const value = body[name];
  if (value === undefined) return fallback;
  if (typeof value !== type) throw new HttpError(400, `${name} must be a ${type}`);
  return value as T;
}

/** The status of a publish the broker refuses, by why (`PublishAdmission`). */
const refusalStatus: Readonly<Record<PublishRefusal, number>> = {
  'qos-not-supported': 400,
  'retain-not-supported': 400,
  'topic-too-deep': 400,
  'payload-too-large': 413,
  'payload-not-utf8': 400,
  'not-authorized': 403,
  // The cluster is out of reach for now: try again later.
  'cluster-unavailable': 503,
};

/** Validates a request body as JSON; what the broker accepts is admission's to say. */
function parsePublish(body: unknown, api: ApiContext): PublishRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const { limits } = api.broker.options;
  const topic = field(b, 'topic', 'string', '');
  const problem = topicNameProblem(topic);
  if (problem) throw new HttpError(400, problem);
  // As for clients (section 4.7.2): topics starting with $ belong to the broker.
  if (topic.startsWith('$')) throw new HttpError(403, 'topics starting with $ belong to the broker');
  const encoding = field(b, 'encoding', 'string', 'utf8');
  if (encoding !== 'utf8' && encoding !== 'base64') throw new HttpError(400, 'encoding must be utf8 or base64');
  const payload = Buffer.from(field(b, 'payload', 'string', ''), encoding);
  if (payload.length > limits.maxPacketSize) throw new HttpError(413, `payload larger than the broker's maximum packet size (${limits.maxPacketSize})`);
  const qos = field(b, 'qos', 'number', 0);
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new HttpError(400, 'qos must be 0, 1 or 2');
  const retain = field(b, 'retain', 'boolean', false);
  return { topic, payload, qos, retain };
}

/**
 * Resolves once the broker keeps its promise about a QoS 1/2 message as it would to a client
 * before acknowledging it (routed to the other nodes of a cluster, on disk); rejects with
 * 503 when the cluster could not take it after all.
 */
function acknowledged(api: ApiContext, message: BrokerMessage): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (message.qos === 0) return resolve();
    const waiting = api.broker.admission.whenSafe(message, undefined, (routed) => {
      if (routed) resolve();
      else reject(new HttpError(refusalStatus['cluster-unavailable'], CLUSTER_UNAVAILABLE));
    }, reject);
    waiting?.catch(reject);
  });
}

/** `POST /api/v1/publish`: the broker publishes a message as if a client had, under the same admission. */
export function publishRoutes(router: Router, api: ApiContext): void {
  // Base64 makes a payload a third larger; the rest of the body is small.
  const maxBody = Math.ceil((api.broker.options.limits.maxPacketSize * 4) / 3) + 64 * 1024;
  router.add('POST', '/api/v1/publish', async ({ req, res, identity }) => {
    const request = parsePublish(await readJson(req, maxBody), api);
    const verdict = api.broker.admission.check(request.topic, request.qos, request.retain, request.payload, undefined);
    if (!verdict.accepted) throw new HttpError(refusalStatus[verdict.refusal], verdict.reason);
    const message = createMessage({
      topic: request.topic, payload: request.payload, qos: request.qos, retain: request.retain, properties: undefined,
      createdAt: Date.now(), expiresAt: undefined, origin: undefined,
    });
    // The request is a publisher like a client: while a subscriber the message was queued
    // for catches up (or a queue was full), the answer waits, which holds back a script
    // that publishes in a loop instead of filling queues.
    const publisher = { pauseInput: () => () => {} };
    const deliveries = api.broker.publish(message, undefined, publisher);
    await api.broker.flow.whenResumed(publisher);
    api.logger.info({ topic: request.topic, qos: request.qos, retain: request.retain, admin: identity.name }, 'admin published a message');
    await acknowledged(api, message);
    sendJson(res, 200, { topic: request.topic, deliveries });
  });
}
