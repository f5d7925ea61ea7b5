import { createMessage, type Broker, type Session, type SubscriptionEntry } from '../broker/index.js';
import type { BridgeConfig } from './options.js';
import type { TopicMap } from './topic-map.js';

/** A local session that outlives every restart: the bridge's queue (`local_cleansession false`). */
const NEVER_EXPIRES = 0xffffffff;

/**
 * Opens (or resumes, from the store) the bridge's local session: an ordinary persistent
 * session of the broker under the bridge's local client id, which no client may take. Its
 * queue is the bridge's store-and-forward queue: bounded by the broker's queue limits,
 * durable like any persistent session's. In a cluster this node first becomes the
 * session's owner, taking it over from wherever it was.
 */
export async function openLocalSession(broker: Broker, config: BridgeConfig): Promise<Session> {
  const clean = config.localCleanSession;
  const release = await broker.sessions.acquire(config.localClientId, clean, undefined);
  try {
    return broker.sessions.open(undefined, {
      clientId: config.localClientId, clean, expiryInterval: clean ? 0 : NEVER_EXPIRES, protocolVersion: 5,
      username: undefined, will: undefined,
    }).session;
  } finally {
    release();
  }
}

/**
 * Makes the session's subscriptions those of the `out` topic lines: No Local, so nothing
 * the bridge brought in goes back out through it, and Retain As Published, so the remote
 * learns which messages are retained. Subscriptions of lines no longer configured go.
 */
export function syncSubscriptions(broker: Broker, session: Session, topics: TopicMap): void {
  const wanted = topics.localSubscriptions;
  for (const filter of [...session.subscriptions.keys()]) {
    if (!wanted.some((w) => w.filter === filter)) broker.unsubscribe(session, filter);
  }
  for (const { filter, qos } of wanted) {
    const existing = session.subscriptions.get(filter);
    if (existing && existing.qos === qos && existing.noLocal && existing.retainAsPublished) continue;
    broker.subscribe(session, subscription(session, filter, qos));
  }
}

function subscription(session: Session, filter: string, qos: 0 | 1 | 2): SubscriptionEntry<Session> {
  return {
    subscriber: session, filter, matchFilter: filter, qos, noLocal: true, retainAsPublished: true, retainHandling: 0,
    subscriptionId: undefined, shareGroup: undefined,
  };
}

/** The retained messages of the `out` topics, queued for a remote that has none of ours (a new remote session). */
export function queueRetained(broker: Broker, session: Session): void {
  for (const entry of session.subscriptions.values()) broker.sendRetained(session, entry, true);
}

/**
 * The remote did not keep its session: QoS 2 deliveries it had received (PUBREC came, the
 * PUBREL was pending) are its own now and complete here; the rest are sent again.
 */
export function forgetReleased(session: Session): void {
  for (const delivery of [...session.inflight.values()]) {
    if (delivery.state === 'released') session.complete(delivery.packetId!);
  }
}

/**
 * The connection state on the local broker (`notifications`): "0" when the bridge starts
 * and whenever its connection is lost, "1" while connected; retained, QoS 1, on
 * `notification_topic` (default `$SYS/broker/connection/REMOTE_CLIENTID/state`), as mosquitto.
 */
export function publishLocalState(broker: Broker, config: BridgeConfig, state: '0' | '1'): void {
  if (!config.notifications) return;
  broker.publish(createMessage({
    topic: config.notificationTopic, payload: Buffer.from(state), qos: 1, retain: true, properties: undefined,
    // The bridge's own: No Local keeps it from being forwarded by the bridge itself, as in mosquitto.
    createdAt: Date.now(), expiresAt: undefined, origin: config.localClientId,
  }));
}
