import { ClusterUnavailableError, SessionOwnedError, type StoredWill } from '../../broker/index.js';
import { ReasonCode, topicNameProblem } from '../../protocol/index.js';
import {
  SN_PROTOCOL_ID, SnMsgType, SnReturnCode, type SnConnectMessage, type SnReturnCodeValue, type SnWillMsgMessage,
  type SnWillTopicMessage,
} from '../protocol/index.js';
import { SnClientLink, type SnConnectRequest } from './client-link.js';
import type { SnAddress, SnGatewayContext } from './context.js';
import { snWill, willProblem } from './will.js';

const NEVER_EXPIRES = 0xffffffff;

/**
 * CONNECT [MQTT-SN-1.2 6.2], from a new address or a known one. A known client sending
 * CONNECT again (its CONNACK was lost, or it wakes from sleep with CONNECT [MQTT-SN-1.2
 * 6.14]) ends its old connection without the will; the new CONNECT's flags decide the
 * will [MQTT-SN-1.2 6.3]. With the Will flag the gateway prompts for the will topic and
 * message first; a client beyond `maxClients` gets CONNACK "rejected: congestion".
 */
export function handleConnect(ctx: SnGatewayContext, address: SnAddress, m: SnConnectMessage, size: number): void {
  const existing = ctx.clients.get(address.key);
  if (existing) existing.end(ReasonCode.NormalDisconnection, 'client sent CONNECT again', true);
  else {
    const full = clientsFull(ctx, address);
    if (full) {
      ctx.logger.info({ clientId: m.clientId, remoteAddress: address.address, reason: full }, 'MQTT-SN client refused');
      ctx.send(address, { type: SnMsgType.CONNACK, returnCode: SnReturnCode.REJECTED_CONGESTION });
      return;
    }
  }
  const problem = connectProblem(ctx, m);
  if (problem) {
    ctx.logger.info({ clientId: m.clientId, remoteAddress: address.address, reason: problem }, 'MQTT-SN client refused');
    ctx.send(address, { type: SnMsgType.CONNACK, returnCode: SnReturnCode.REJECTED_NOT_SUPPORTED });
    return;
  }
  const request: SnConnectRequest = { clientId: m.clientId, cleanSession: m.cleanSession, willFlag: m.will, duration: m.duration };
  const link = new SnClientLink(ctx, address, request, (l) => ctx.clients.remove(l));
  link.received(size);
  ctx.clients.add(link);
  if (m.will) {
    link.state = 'will-topic';
    link.send({ type: SnMsgType.WILLTOPICREQ });
    return;
  }
  finishConnect(link, undefined);
}

/**
 * Why there is no room for another client, or undefined: `maxClients` in all, and
 * `maxClientsPerAddress` from one IP address (a forwarder's clients share its address),
 * so that one sender cannot take every slot.
 */
function clientsFull(ctx: SnGatewayContext, address: SnAddress): string | undefined {
  const { maxClients, maxClientsPerAddress } = ctx.options;
  if (ctx.clients.size >= maxClients) return `mqttsn_max_clients (${maxClients}) reached`;
  if (ctx.clients.countFrom(address.address) >= maxClientsPerAddress) return `mqttsn_max_clients_per_address (${maxClientsPerAddress}) reached for ${address.address}`;
  return undefined;
}

/** Why a CONNECT cannot be accepted at all, or undefined. */
function connectProblem(ctx: SnGatewayContext, m: SnConnectMessage): string | undefined {
  if (m.protocolId !== SN_PROTOCOL_ID) return `ProtocolId ${m.protocolId} is not ${SN_PROTOCOL_ID} [MQTT-SN-1.2 5.3.8]`;
  // ClientId is 1 to 23 characters [MQTT-SN-1.2 5.3.1]; CONNACK has no room for an assigned one.
  if (m.clientId.length === 0) return 'empty client id';
  const holder = ctx.broker.reservedFor(m.clientId);
  if (holder !== undefined) return `client id '${m.clientId}' is the broker's own (${holder})`;
  // The broker's max_keepalive, and the gateway's own cap: a client that vanishes holds its slot for 1.5 times this.
  const max = Math.min(ctx.broker.options.limits.maxKeepalive, ctx.options.maxKeepAlive);
  // As for MQTT 3.1.1 clients, there is no way to tell the client a shorter keep alive.
  if (m.duration > max || (m.duration === 0 && max < 65535)) return `keep alive ${m.duration} exceeds max_keepalive ${max}`;
  return undefined;
}

/**
 * WILLTOPIC [MQTT-SN-1.2 6.2]: the gateway asks for the will message next. The empty
 * WILLTOPIC means no will [MQTT-SN-1.2 5.4.7]. A WILLTOPIC repeated after WILLMSGREQ
 * (the client did not get it) is answered again.
 */
export function handleWillTopic(link: SnClientLink, m: SnWillTopicMessage): void {
  if (link.state !== 'will-topic' && link.state !== 'will-message') return;
  if (!m.will) {
    link.pendingWill = undefined;
    finishConnect(link, undefined);
    return;
  }
  const problem = topicNameProblem(m.will.topic);
  if (problem) {
    refuse(link, SnReturnCode.REJECTED_NOT_SUPPORTED, ReasonCode.NotAuthorized, `will topic: ${problem}`);
    return;
  }
  link.pendingWill = { topic: m.will.topic, qos: m.will.qos, retain: m.will.retain };
  link.state = 'will-message';
  link.send({ type: SnMsgType.WILLMSGREQ });
}

/** WILLMSG [MQTT-SN-1.2 6.2]: the will is complete; the connection is decided. */
export function handleWillMsg(link: SnClientLink, m: SnWillMsgMessage): void {
  const pending = link.pendingWill;
  if (link.state !== 'will-message' || !pending) return;
  finishConnect(link, snWill(link.clientId, pending.topic, pending.qos, pending.retain, m.willMessage));
}

/**
 * The will to use [MQTT-SN-1.2 6.3]: with the Will flag, the one just prompted for
 * replaces any stored; CleanSession without Will deletes it; with neither, the stored
 * will stays.
 */
function chooseWill(link: SnClientLink, prompted: StoredWill | undefined): StoredWill | undefined {
  const { request, ctx } = link;
  if (request.willFlag) return prompted;
  if (request.cleanSession) return undefined;
  return ctx.wills.get(request.clientId) ?? ctx.broker.sessions.get(request.clientId)?.will;
}

/** Authenticates, then opens the session and answers CONNACK; errors are reported, never thrown. */
function finishConnect(link: SnClientLink, prompted: StoredWill | undefined): void {
  link.state = 'authenticating';
  openSession(link, prompted).catch((err: unknown) => {
    link.ctx.broker.reportError(err, `MQTT-SN client ${link.clientId}`);
    if (!link.open) refuse(link, SnReturnCode.REJECTED_CONGESTION, ReasonCode.UnspecifiedError, 'internal error');
  });
}

/**
 * The broker's authenticator chain decides with the client id alone: MQTT-SN has no
 * user name or password. Then the session opens (taking over any connection with the
 * same client id) with MQTT 3.1.1 semantics: CleanSession 0 keeps it until it expires.
 */
async function openSession(link: SnClientLink, prompted: StoredWill | undefined): Promise<void> {
  const { ctx, request } = link;
  const broker = ctx.broker;
  const result = await broker.access.authenticate({
    clientId: request.clientId, protocolVersion: 4, listener: ctx.listener, remoteAddress: link.info.remoteAddress,
  }, link.info);
  if (link.state !== 'authenticating') return;
  if (result.outcome === 'deny') return refuse(link, SnReturnCode.REJECTED_NOT_SUPPORTED, result.reasonCode, result.reason);
  const username = result.outcome === 'allow' ? result.username : undefined;
  link.principal = { clientId: request.clientId, username, listener: ctx.listener };
  const will = chooseWill(link, prompted);
  const problem = will && willProblem(ctx, link.principal, link.info, will);
  if (problem) return refuse(link, SnReturnCode.REJECTED_NOT_SUPPORTED, ReasonCode.NotAuthorized, problem);
  // In a cluster this node first becomes the client id's owner, as for MQTT clients.
  const release = broker.options.cluster ? await claimClientId(link) : undefined;
  if (release === null) return;
  const taken = broker.sessions.refusalFor(request.clientId, username);
  if (taken) {
    release?.();
    return refuse(link, SnReturnCode.REJECTED_NOT_SUPPORTED, ReasonCode.ClientIdentifierNotValid, taken);
  }
  if (!broker.openEndpoint(link)) {
    release?.();
    return refuse(link, SnReturnCode.REJECTED_CONGESTION, ReasonCode.QuotaExceeded, 'the broker is closing');
  }
  link.registered = true;
  const { limits } = broker.options;
  const { session, present } = broker.sessions.open(link, {
    clientId: request.clientId, clean: request.cleanSession, protocolVersion: 4, username, will,
    expiryInterval: request.cleanSession ? 0 : Math.min(NEVER_EXPIRES, limits.maxSessionExpiryInterval),
  });
  release?.();
  link.session = session;
  session.limits = {
    ...session.limits, maxQueuedMessages: Math.min(session.limits.maxQueuedMessages, ctx.options.maxBufferedPerSleepingClient),
  };
  if (will) ctx.wills.set(request.clientId, will);
  else ctx.wills.delete(request.clientId);
  link.send({ type: SnMsgType.CONNACK, returnCode: SnReturnCode.ACCEPTED });
  link.opened();
  session.attach(link);
  broker.connectionOpened(link, present);
}

/**
 * Cluster: claims the client id (see `SessionManager.acquire`); null when the client
 * was refused (the cluster is out of reach, the session is another user's) or went
 * away meanwhile.
 */
async function claimClientId(link: SnClientLink): Promise<(() => void) | null> {
  const { request, ctx } = link;
  let release: () => void;
  try {
    release = await ctx.broker.sessions.acquire(request.clientId, request.cleanSession, link.principal.username);
  } catch (err) {
    if (err instanceof SessionOwnedError) {
      refuse(link, SnReturnCode.REJECTED_NOT_SUPPORTED, ReasonCode.ClientIdentifierNotValid, err.message);
      return null;
    }
    if (!(err instanceof ClusterUnavailableError)) throw err;
    refuse(link, SnReturnCode.REJECTED_CONGESTION, ReasonCode.ServerUnavailable, err.message);
    return null;
  }
  if (link.state === 'authenticating') return release;
  release();
  return null;
}

/** CONNACK with a rejection, and the client is forgotten. */
function refuse(link: SnClientLink, returnCode: SnReturnCodeValue, reasonCode: number, reason: string): void {
  link.send({ type: SnMsgType.CONNACK, returnCode });
  link.ctx.broker.connectRefused(link, reasonCode === ReasonCode.Success ? ReasonCode.UnsupportedProtocolVersion : reasonCode, reason);
  link.end(reasonCode, reason, true);
}
