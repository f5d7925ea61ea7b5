import { randomBytes } from 'node:crypto';
import { MqttProtocolError, PacketType, ReasonCode, encodePacket, type ConnackPacket, type ConnectPacket, type Properties } from '../../protocol/index.js';
import { authenticateConnect } from '../enhanced-auth.js';
import { exceedsTopicLevels } from '../limits.js';
import { forwardedProperties } from '../message.js';
import type { MqttConnection } from '../mqtt-connection.js';
import { ClusterUnavailableError, SessionOwnedError } from '../ports/cluster.js';
import type { AuthenticationResult } from '../ports/auth.js';
import type { StoredWill } from '../ports/store.js';
import { isThenable } from '../thenable.js';
import type { HandlerContext } from './context.js';

const NEVER_EXPIRES = 0xffffffff;

/**
 * The CONNACK accepting an MQTT 3.1 or 3.1.1 client, by version and Session Present: the
 * same bytes for every such client, encoded once and shared (never written to) instead
 * of a buffer per connect (issue 19).
 */
const ACCEPTED_V3 = ([3, 4] as const).map((version) => [false, true].map((sessionPresent) => {
  const packet: ConnackPacket = Object.freeze({ type: PacketType.CONNACK, sessionPresent, reasonCode: ReasonCode.Success });
  return { packet, bytes: encodePacket(packet, version) };
}));

/** A decision not to accept a CONNECT: the v5 reason code and why. */
class Refusal {
  constructor(readonly reasonCode: number, readonly reason: string) {}
}

/** What CONNECT settles before the CONNACK. */
interface ConnectPlan {
  clientId: string;
  assignedClientId: boolean;
  keepAlive: number;
  serverKeepAlive: number | undefined;
  sessionExpiry: number;
  requestedExpiry: number;
}

/**
 * CONNECT, as a list of named steps: validate, authenticate, check the will, take
 * over an existing connection, open or resume the session, CONNACK, then resend
 * what is in flight and drain the queue. Synchronous when the authenticators decide
 * at once and there is no cluster (most CONNECTs: no promise, no turn of the microtask
 * queue; issue 19); otherwise it continues in {@link connectLater}.
 */
export function handleConnect(ctx: HandlerContext, conn: MqttConnection, packet: ConnectPacket): void | Promise<void> {
  if (conn.state !== 'new') throw new MqttProtocolError(ReasonCode.ProtocolError, 'a second CONNECT [MQTT-3.1.0-2]');
  conn.state = 'connecting';
  conn.protocolVersion = packet.protocolVersion;
  conn.bridge = packet.bridge ?? false;
  readClientSettings(conn, packet.properties);
  try {
    const plan = planConnect(ctx, packet);
    conn.clientId = plan.clientId;
    const username = authenticate(ctx, conn, packet, plan.clientId);
    if (isThenable(username) || ctx.settings.cluster) return connectLater(ctx, conn, packet, plan, username);
    admit(ctx, conn, packet, plan, username);
    openSession(ctx, conn, packet, plan, username);
  } catch (err) {
    refuseOrRethrow(ctx, conn, err);
  }
}

/** The CONNECT once the authenticators have decided, and in a cluster once this node owns the client id. */
async function connectLater(
  ctx: HandlerContext, conn: MqttConnection, packet: ConnectPacket, plan: ConnectPlan, pending: string | undefined | PromiseLike<string | undefined>,
): Promise<void> {
  try {
    const username = await pending;
    // The socket may have closed while the authenticators were deciding.
    if ((conn.state as string) === 'closed') return;
    admit(ctx, conn, packet, plan, username);
    // In a cluster this node first becomes the client id's owner, taking the session
    // over from another node (whose connection is closed) before the CONNACK.
    const release = ctx.settings.cluster ? await claimSession(ctx, plan.clientId, packet.clean, username) : undefined;
    try {
      if ((conn.state as string) === 'closed') return;
      openSession(ctx, conn, packet, plan, username);
    } finally {
      release?.();
    }
  } catch (err) {
    refuseOrRethrow(ctx, conn, err);
  }
}

/** The client is who it says: its principal from now on, and a will it may publish. */
function admit(ctx: HandlerContext, conn: MqttConnection, packet: ConnectPacket, plan: ConnectPlan, username: string | undefined): void {
  conn.principal = { clientId: plan.clientId, username, listener: conn.info.listener };
  checkWill(ctx, conn, packet);
}

/** Opens or resumes the session, sends the CONNACK and starts the session on this connection. */
function openSession(ctx: HandlerContext, conn: MqttConnection, packet: ConnectPacket, plan: ConnectPlan, username: string | undefined): void {
  const taken = ctx.sessions.refusalFor(plan.clientId, username);
  if (taken) throw new Refusal(ReasonCode.ClientIdentifierNotValid, taken);
  const { session, present } = ctx.sessions.open(conn, {
    clientId: plan.clientId, clean: packet.clean, expiryInterval: plan.sessionExpiry, protocolVersion: packet.protocolVersion,
    username, will: willOf(packet, conn.info.confidential),
  });
  conn.session = session;
  conn.keepAliveMs = plan.keepAlive * 1000;
  if (conn.protocolVersion === 5) {
    conn.send({ type: PacketType.CONNACK, sessionPresent: present, reasonCode: ReasonCode.Success, properties: connackProperties(ctx, conn, plan) });
  } else {
    const accepted = ACCEPTED_V3[conn.protocolVersion - 3]![present ? 1 : 0]!;
    conn.sendEncoded(accepted.bytes, accepted.packet);
  }
  conn.opened();
  session.attach(conn);
  ctx.connectionOpened(conn, present, packet.clean);
}

/** A {@link Refusal} is answered with a CONNACK; anything else is the connection's failure. */
function refuseOrRethrow(ctx: HandlerContext, conn: MqttConnection, err: unknown): void {
  if (!(err instanceof Refusal)) throw err;
  ctx.connectRefused(conn, err.reasonCode, err.reason);
  conn.refuse(err.reasonCode, err.reason);
}

/**
 * Cluster: claims the client id; a cluster out of reach refuses the CONNECT (Server
 * unavailable), and so does a session of another user (Client Identifier not valid).
 */
async function claimSession(ctx: HandlerContext, clientId: string, clean: boolean, username: string | undefined): Promise<() => void> {
  try {
    return await ctx.sessions.acquire(clientId, clean, username);
  } catch (err) {
    if (err instanceof ClusterUnavailableError) throw new Refusal(ReasonCode.ServerUnavailable, err.message);
    if (err instanceof SessionOwnedError) throw new Refusal(ReasonCode.ClientIdentifierNotValid, err.message);
    throw err;
  }
}

/** v5 settings the client states in CONNECT properties. */
function readClientSettings(conn: MqttConnection, props: Properties | undefined): void {
  if (!props) return;
  conn.clientMaxPacketSize = props.maximumPacketSize ?? 0;
  conn.clientTopicAliasMaximum = props.topicAliasMaximum ?? 0;
  conn.clientReceiveMaximum = props.receiveMaximum ?? 65535;
  conn.requestProblemInformation = props.requestProblemInformation !== 0;
  conn.requestResponseInformation = props.requestResponseInformation === 1;
}

/** Client id, keep alive and session expiry rules. */
function planConnect(ctx: HandlerContext, packet: ConnectPacket): ConnectPlan {
  const { limits } = ctx;
  const { allowZeroLengthClientId } = ctx.settings;
  const v5 = packet.protocolVersion === 5;
  let clientId = packet.clientId;
  let assignedClientId = false;
  if (clientId.length === 0) {
    if (packet.protocolVersion === 3) throw new Refusal(ReasonCode.ClientIdentifierNotValid, 'MQTT 3.1 requires a client identifier');
    // 3.1.1: a zero-length id needs Clean Session 1 [MQTT-3.1.3-7] [MQTT-3.1.3-8].
    if (!v5 && !packet.clean) throw new Refusal(ReasonCode.ClientIdentifierNotValid, 'a zero-length client id needs clean session [MQTT-3.1.3-8]');
    if (!allowZeroLengthClientId) throw new Refusal(ReasonCode.ClientIdentifierNotValid, 'zero-length client ids are not allowed');
    // Unique among existing sessions [MQTT-3.2.2-16]: 72 random bits, checked all the same.
    do clientId = `midge-${randomBytes(9).toString('base64url')}`;
    while (ctx.sessions.get(clientId) !== undefined);
    assignedClientId = true;
  }
  const holder = ctx.reservedFor(clientId);
  if (holder !== undefined) throw new Refusal(ReasonCode.ClientIdentifierNotValid, `client id '${clientId}' is the broker's own (${holder})`);
  const { keepAlive, serverKeepAlive } = keepAliveFor(packet, limits.maxKeepalive);
  const requested = v5 ? (packet.properties?.sessionExpiryInterval ?? 0) : (packet.clean ? 0 : NEVER_EXPIRES);
  const sessionExpiry = Math.min(requested, limits.maxSessionExpiryInterval);
  return { clientId, assignedClientId, keepAlive, serverKeepAlive, sessionExpiry, requestedExpiry: requested };
}

/**
 * The keep alive a client gets under `max_keepalive`, as mosquitto.conf(5) defines it: 0
 * sets no limit (any keep alive, 0 included); 65535, the default, accepts everything too;
 * any other value caps the keep alive and counts 0 (no keep alive) as above it. A v5
 * client is told the cap as Server Keep Alive [MQTT-3.2.2-21]; 3.1.1 has no way to tell
 * the client, so it is refused with identifier rejected, as Mosquitto does.
 */
function keepAliveFor(packet: ConnectPacket, maxKeepalive: number): { keepAlive: number; serverKeepAlive: number | undefined } {
  const requested = packet.keepAlive;
  const unlimited = maxKeepalive === 0 || maxKeepalive === 65535;
  if (unlimited || (requested !== 0 && requested <= maxKeepalive)) return { keepAlive: requested, serverKeepAlive: undefined };
  if (packet.protocolVersion !== 5) {
    const why = requested === 0 ? `keep alive 0 (off) is not allowed by max_keepalive ${maxKeepalive}` : `keep alive ${requested} exceeds max_keepalive ${maxKeepalive}`;
    throw new Refusal(ReasonCode.ClientIdentifierNotValid, why);
  }
  return { keepAlive: maxKeepalive, serverKeepAlive: maxKeepalive };
}

/** Runs the authenticator chain; the user name to use from now on, at once when the chain decides at once. */
function authenticate(ctx: HandlerContext, conn: MqttConnection, packet: ConnectPacket, clientId: string): string | undefined | Promise<string | undefined> {
  if (packet.properties?.authenticationMethod !== undefined) return authenticateEnhanced(ctx, conn, packet);
  const result = ctx.access.authenticate({
    clientId,
    username: packet.username,
    password: packet.password,
    protocolVersion: packet.protocolVersion,
    listener: conn.info.listener,
    remoteAddress: conn.info.remoteAddress,
    certificate: conn.info.certificate,
  }, conn.info);
  return isThenable(result) ? Promise.resolve(result).then((decided) => usernameOf(decided, packet)) : usernameOf(result, packet);
}

/** The user name an authentication result admits, or the {@link Refusal} it is. */
function usernameOf(result: AuthenticationResult, packet: ConnectPacket): string | undefined {
  if (result.outcome === 'deny') throw new Refusal(result.reasonCode, result.reason);
  return result.outcome === 'allow' && result.username !== undefined ? result.username : packet.username;
}

/** The v5 enhanced authentication exchange of a CONNECT with an Authentication Method. */
async function authenticateEnhanced(ctx: HandlerContext, conn: MqttConnection, packet: ConnectPacket): Promise<string | undefined> {
  const outcome = await authenticateConnect(ctx, conn, packet);
  if (!outcome.ok) throw new Refusal(outcome.reasonCode, outcome.reason);
  conn.authData = outcome.data;
  return outcome.username;
}

/** The will must be publishable: QoS and retain supported, topic authorized. */
function checkWill(ctx: HandlerContext, conn: MqttConnection, packet: ConnectPacket): void {
  const will = packet.will;
  if (!will) return;
  const { limits } = ctx;
  if (will.qos > limits.maxQos) throw new Refusal(ReasonCode.QoSNotSupported, `will QoS ${will.qos} is not supported [MQTT-3.2.2-12]`);
  if (will.retain && !ctx.settings.retainAvailable) throw new Refusal(ReasonCode.RetainNotSupported, 'retained wills are not supported [MQTT-3.2.2-13]');
  if (exceedsTopicLevels(will.topic, limits)) {
    throw new Refusal(ReasonCode.TopicNameInvalid, `will topic has more than ${limits.maxTopicLevels} levels`);
  }
  if (!ctx.access.canPublish(conn.principal, will.topic, will.qos, will.retain, conn.info)) {
    throw new Refusal(ReasonCode.NotAuthorized, `not authorized to publish the will to '${will.topic}'`);
  }
}

function willOf(packet: ConnectPacket, confidential: boolean): StoredWill | undefined {
  const will = packet.will;
  if (!will) return undefined;
  return {
    delayInterval: will.properties?.willDelayInterval ?? 0,
    // The will's Message Expiry counts from when it is published.
    expiryInterval: will.properties?.messageExpiryInterval,
    message: {
      id: 0,
      topic: will.topic,
      payload: will.payload,
      qos: will.qos,
      retain: will.retain,
      properties: will.properties ? forwardedProperties(will.properties) : undefined,
      createdAt: Date.now(),
      expiresAt: undefined,
      origin: packet.clientId,
      // A will set over a confidential listener is as confidential as what the client publishes there.
      confidential,
    },
  };
}

/** v5 CONNACK properties: what the broker supports and what it decided. */
function connackProperties(ctx: HandlerContext, conn: MqttConnection, plan: ConnectPlan): Properties | undefined {
  if (conn.protocolVersion !== 5) return undefined;
  const { limits } = ctx;
  const { retainAvailable, responseInformationPrefix: prefix } = ctx.settings;
  const props: Properties = {
    receiveMaximum: limits.maxInflightMessages,
    maximumPacketSize: limits.maxPacketSize,
    topicAliasMaximum: limits.topicAliasMaximum,
  };
  if (limits.maxQos < 2) props.maximumQoS = limits.maxQos;
  if (!retainAvailable) props.retainAvailable = 0;
  if (plan.assignedClientId) props.assignedClientIdentifier = plan.clientId;
  if (plan.serverKeepAlive !== undefined) props.serverKeepAlive = plan.serverKeepAlive;
  if (conn.authMethod !== undefined) {
    props.authenticationMethod = conn.authMethod;
    if (conn.authData !== undefined) props.authenticationData = conn.authData;
  }
  if (conn.requestResponseInformation && prefix !== '') props.responseInformation = `${prefix}${plan.clientId}`;
  // A capped expiry is announced so the client knows what it got (section 3.2.2.3.2).
  if (plan.sessionExpiry !== plan.requestedExpiry) props.sessionExpiryInterval = plan.sessionExpiry;
  return props;
}
