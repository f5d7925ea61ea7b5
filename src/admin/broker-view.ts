import { MqttConnection, type Broker, type ClientEndpoint, type ConnectionInfo, type Session, type SessionLink, type SubscriptionEntry } from '../broker/index.js';
import type { ClientSummary, StatsSnapshot, SubscriptionView } from './ui/api-types.js';

export type { ClientSummary, StatsSnapshot };

/** Sums queue depths over every session: done at read time so the hot path counts nothing. */
export function queueDepths(broker: Broker): { queued: number; inflight: number; deepest: number } {
  let queued = 0;
  let inflight = 0;
  let deepest = 0;
  for (const session of broker.sessions.values()) {
    queued += session.queuedCount;
    inflight += session.inflightCount;
    if (session.queuedCount > deepest) deepest = session.queuedCount;
  }
  return { queued, inflight, deepest };
}

/** Reads every figure once. */
export function statsSnapshot(broker: Broker, version: string): StatsSnapshot {
  const s = broker.stats;
  const now = Date.now();
  const depths = queueDepths(broker);
  const sessions = broker.sessions.size;
  return {
    version,
    time: now,
    uptimeSeconds: Math.floor((now - s.startedAt) / 1000),
    ready: broker.readiness.ready,
    notReadyBecause: broker.readiness.reasons,
    clients: {
      connected: s.connectedClients, disconnected: Math.max(0, sessions - s.connectedClients), total: sessions,
      maximum: s.maximumClients, expired: s.expiredSessions,
    },
    connections: { open: broker.connectionCount, accepted: s.totalConnections, socketsOpened: s.socketsOpened },
    packets: { received: s.messagesReceived, sent: s.messagesSent },
    publish: {
      received: s.publishReceived, sent: s.publishSent, dropped: s.publishDropped,
      receivedByQos: [...s.publishReceivedByQos], sentByQos: [...s.publishSentByQos],
      bytesReceivedByQos: [...s.publishBytesReceivedByQos], bytesSentByQos: [...s.publishBytesSentByQos],
      droppedByReason: Object.fromEntries(s.droppedByReason),
    },
    bytes: { received: s.bytesReceived, sent: s.bytesSent },
    subscriptions: broker.router.size,
    retained: broker.retained.sizeWithoutSys,
    queued: depths.queued,
    inflight: depths.inflight,
    withheldConfidential: s.withheldConfidential,
    flow: flowFigures(broker),
  };
}

function flowFigures(broker: Broker): StatsSnapshot['flow'] {
  const f = broker.flow.stats();
  return {
    publishersPaused: f.publishersPaused, publisherPauses: f.publisherPauses, publisherPausedMs: f.publisherPausedMs,
    slowConsumers: f.slowConsumers, slowConsumerEvents: f.slowConsumerEvents, slowConsumersDisconnected: f.slowConsumersDisconnected,
    queuedBytes: f.queuedBytesTotal,
  };
}

/** A link with the facts of the connection behind it (MQTT connections, MQTT-SN endpoints). */
interface LinkFacts {
  info: ConnectionInfo;
  keepAliveMs: number;
  openedAt: number | undefined;
}

function linkFacts(link: SessionLink | undefined): LinkFacts | undefined {
  if (!link) return undefined;
  if (link instanceof MqttConnection) return { info: link.info, keepAliveMs: link.keepAliveMs, openedAt: link.openedAt };
  if ('info' in link && 'keepAliveMs' in link && 'openedAt' in link) {
    const endpoint = link as ClientEndpoint;
    return { info: endpoint.info, keepAliveMs: endpoint.keepAliveMs, openedAt: endpoint.openedAt };
  }
  return undefined;
}

/** The summary of one session. */
export function clientSummary(session: Session): ClientSummary {
  const facts = linkFacts(session.link);
  const dropped = session.flow.dropped ?? {};
  return {
    clientId: session.clientId,
    connected: session.link !== undefined,
    username: session.username ?? session.link?.principal.username ?? null,
    protocolVersion: session.protocolVersion,
    listener: facts?.info.listener ?? null,
    transport: facts?.info.transport ?? null,
    remoteAddress: facts?.info.remoteAddress ?? null,
    remotePort: facts?.info.remotePort ?? null,
    keepAlive: facts ? facts.keepAliveMs / 1000 : null,
    connectedAt: facts?.openedAt === undefined ? null : new Date(facts.openedAt).toISOString(),
    disconnectedAt: session.disconnectedAt === undefined ? null : new Date(session.disconnectedAt).toISOString(),
    expiryInterval: session.expiryInterval,
    subscriptions: session.subscriptionCount,
    queued: session.queuedCount,
    queuedBytes: session.queuedPayloadBytes,
    inflight: session.inflightCount,
    slow: session.flow.slow,
    dropped: Object.values(dropped).reduce((a, b) => a + b, 0),
    droppedByReason: { ...dropped },
  };
}

/** A subscription as the API shows it. */
export function subscriptionView(entry: SubscriptionEntry): SubscriptionView {
  return {
    filter: entry.filter, qos: entry.qos, noLocal: entry.noLocal, retainAsPublished: entry.retainAsPublished,
    retainHandling: entry.retainHandling, subscriptionId: entry.subscriptionId ?? null, shareGroup: entry.shareGroup ?? null,
  };
}

/** Connected clients per listener name, counted at read time. */
export function clientsByListener(broker: Broker): Map<string, number> {
  const counts = new Map<string, number>();
  for (const session of broker.sessions.values()) {
    const listener = linkFacts(session.link)?.info.listener;
    if (listener !== undefined) counts.set(listener, (counts.get(listener) ?? 0) + 1);
  }
  return counts;
}
