import type { Duplex } from 'node:stream';
import {
  isFailureCode,
  ReasonCode,
  PacketFramer, PacketType, decodePacket, encodePacket, encodeShortAck, isMqttProtocolError,
  levelVersion, peekConnectLevel, toConnackReasonCode, toDisconnectReasonCode, toV3ConnackCode, type AuthPacket, type Packet, type ProtocolVersion, type Properties, MqttProtocolError,
} from '../protocol/index.js';
import type { FlowSource } from './flow-control.js';
import type { ConnectionCore } from './connection-core.js';
import { ConnectionClosedSignal, describeClose, earlyFailureOf, notMqttStart, type CloseReason, type ConnectionFailureKind } from './connection-failures.js';
import { bytesSentCounter, withoutOptionalProperties } from './connection-output.js';
import { EarlyPackets } from './early-packets.js';
import { destroyAfterLinger } from './linger.js';
import type { ClientPrincipal, EnhancedAuthExchange } from './ports/auth.js';
import { OutboundTopicAliases, encodeCustomPublish, encodeSharedPublish, needsCustomEncoding } from './publish-encoding.js';
import type { OutgoingPublish, SessionLink } from './ports/session-link.js';
import type { ConnectionInfo } from './ports/transport.js';
import type { Session } from './session.js';
import { OutgoingBuffer } from './write-batcher.js';

/** The stream's own connection, for the listeners all connections share. */
const CONNECTION = Symbol('midge.connection');
type StreamOfConnection = Duplex & { [CONNECTION]: MqttConnection };

/** Where a connection is in its life. */
export type ConnectionState = 'new' | 'connecting' | 'open' | 'closed';

/**
 * One MQTT network connection: frames and decodes what arrives, dispatches each
 * packet to its handler, and encodes what the session sends. It is the session's
 * {@link SessionLink} while connected.
 */
export class MqttConnection implements SessionLink, FlowSource {
  state: ConnectionState = 'new';
  protocolVersion: ProtocolVersion = 4;
  clientId = '';
  session: Session | undefined;
  principal: ClientPrincipal;
  /** Keep alive in ms that the broker enforces at 1.5 times (3.1.1 [MQTT-3.1.2-24], v5 [MQTT-3.1.2-22]); 0: none. */
  keepAliveMs = 0;
  /** performance-free clock: Date.now() of the last bytes received. */
  lastActivity: number;
  readonly openedAt: number;
  /** The client is a broker bridging in: its CONNECT set mosquitto's bridge bit (`try_private`). */
  bridge = false;
  /** A DISCONNECT with reason 0x00 arrived: no will [MQTT-3.1.2-10]. */
  graceful = false;
  /** The client asked for problem information (v5); reason strings only when true [MQTT-3.1.2-29]. */
  requestProblemInformation = true;
  /** v5: the client asked for Response Information [MQTT-3.1.2-28]. */
  requestResponseInformation = false;
  /** v5: Authentication Data for the CONNACK, from the enhanced authentication exchange. */
  authData: Buffer | undefined;
  /** v5: the client's Maximum Packet Size; 0 = none stated. */
  clientMaxPacketSize = 0;
  /** v5: the client's Receive Maximum, bounding what we keep in flight to it [MQTT-3.3.4-9]. */
  clientReceiveMaximum = 65535;
  /** v5: the client's Topic Alias Maximum for aliases we send. */
  clientTopicAliasMaximum = 0;
  /** v5: topic aliases the client set, alias -> topic [MQTT-3.3.2-12]; made by the first alias (most clients set none). */
  inboundAliases: Map<number, string> | undefined;
  /** v5 Authentication Method of the CONNECT, for re-authentication [MQTT-4.12.1-1]. */
  authMethod: string | undefined;
  /** A re-authentication exchange in progress. */
  reauthentication: EnhancedAuthExchange | undefined;
  /** The CONNECT-time exchange waiting for the client's next AUTH. */
  private authWaiter: ((packet: AuthPacket) => void) | undefined;
  /** Server-to-client topic aliases of this connection (they never outlive it [MQTT-3.3.2-7]). */
  private outboundAliases: OutboundTopicAliases | undefined;
  /** Flow control stopped reading the socket (see {@link pauseInput}). */
  inputPaused = false;
  /** Inbound QoS 1/2 publishes not yet acknowledged, held to our Receive Maximum [MQTT-3.3.4-7]. */
  unackedInbound = 0;
  private readonly framer: PacketFramer;
  private readonly out: OutgoingBuffer;
  private early: EarlyPackets | undefined;
  private closeReason: CloseReason | undefined;
  /** Bytes have arrived: the first chunk was checked for being MQTT at all. */
  private started = false;
  /** The CONNECT was refused with a CONNACK (logged as a refusal, not as a failure). */
  private refused = false;

  constructor(readonly core: ConnectionCore<MqttConnection>, readonly stream: Duplex, readonly info: ConnectionInfo) {
    this.lastActivity = this.openedAt = Date.now();
    this.principal = { clientId: '', username: undefined, listener: info.listener };
    this.framer = new PacketFramer(core.limits.maxPacketSize);
    this.out = new OutgoingBuffer(stream, bytesSentCounter(core.stats));
    // One set of listener functions for every connection, finding theirs through the
    // stream, instead of four closures per connection (issue 19: per-connection memory).
    (stream as StreamOfConnection)[CONNECTION] = this;
    stream.on('data', MqttConnection.onStreamData);
    stream.on('drain', MqttConnection.onStreamDrain);
    stream.on('error', MqttConnection.onStreamError);
    stream.on('close', MqttConnection.onStreamClose);
  }

  private static onStreamData(this: StreamOfConnection, chunk: Buffer): void {
    this[CONNECTION].onData(chunk);
  }

  private static onStreamDrain(this: StreamOfConnection): void {
    this[CONNECTION].session?.pump();
  }

  private static onStreamError(this: StreamOfConnection, err: Error): void {
    this[CONNECTION].noteClose(ReasonCode.UnspecifiedError, `socket error: ${err.message}`);
  }

  private static onStreamClose(this: StreamOfConnection): void {
    this[CONNECTION].onClosed();
  }

  get encrypted(): boolean {
    return this.info.encrypted;
  }

  get security(): ConnectionInfo['security'] {
    return this.info.security;
  }

  /** Writable while the outgoing backlog is under the high-water mark. */
  writable(): boolean {
    return this.state === 'open' && this.out.backlog < this.core.limits.socketHighWaterMark;
  }

  /** Bytes written and not yet taken by the peer's socket. */
  backlog(): number {
    return this.out.backlog;
  }

  /**
   * FlowSource: a subscriber this client publishes to is backlogged; stop reading its
   * socket (TCP then slows the client down) until the subscriber drains.
   */
  pauseInput(): () => void {
    this.inputPaused = true;
    this.stream.pause();
    return () => {
      this.inputPaused = false;
      // Time spent unread is not the client's silence: keep alive counts from now.
      this.lastActivity = Date.now();
      if (this.state !== 'closed') this.stream.resume();
    };
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = Date.now();
    this.core.stats.bytesReceived += chunk.length;
    if (!this.started) {
      this.started = true;
      // An HTTP request, a TLS handshake or noise: close at once rather than wait for a frame that never comes.
      const problem = notMqttStart(chunk);
      if (problem) {
        this.noteClose(ReasonCode.ProtocolError, problem);
        this.state = 'closed';
        this.stream.destroy();
        return;
      }
    }
    if (this.state === 'closed') {
      // Nothing after a refusal or an error is processed (3.1.1 [MQTT-3.1.4-5], v5
      // [MQTT-3.1.4-6]). A peer that keeps sending is not read at all any more, so it costs
      // no memory; shutdown()'s timer destroys the socket. A peer that just closes never gets here.
      this.stream.pause();
      return;
    }
    try {
      this.framer.push(chunk, this.onFrame, this);
    } catch (err) {
      this.fail(err);
    }
  }

  private onFrame(firstByte: number, body: Buffer): void {
    if (this.state === 'closed') return;
    if (this.state === 'connecting') {
      const waiter = this.authWaiter;
      if (waiter && firstByte >> 4 === PacketType.AUTH) {
        this.authWaiter = undefined;
        const auth = decodePacket(firstByte, body, 5) as AuthPacket;
        if (this.core.tracer.active) this.core.tracer.received(this, auth, firstByte, body);
        waiter(auth);
        return;
      }
      // Packets sent before CONNACK are handled once CONNECT is decided.
      (this.early ??= new EarlyPackets()).hold(firstByte, body, this.core.limits.maxPacketSize);
      return;
    }
    const packet = this.state === 'new' ? this.decodeFirst(firstByte, body) : decodePacket(firstByte, body, this.protocolVersion);
    if (this.core.tracer.active) this.core.tracer.received(this, packet, firstByte, body);
    this.core.stats.messagesReceived++;
    const pending = this.core.dispatch(this, packet);
    if (pending) pending.catch((err: unknown) => this.fail(err));
  }

  /**
   * The first packet must be a CONNECT [MQTT-3.1.0-1]. A v5 client whose CONNECT
   * is refused by the codec learns why in a v5 CONNACK; an unsupported level gets a
   * 3.1.1 CONNACK with return code 1 [MQTT-3.1.2-2].
   */
  private decodeFirst(firstByte: number, body: Buffer): Packet {
    if (firstByte >> 4 !== PacketType.CONNECT) {
      throw new MqttProtocolError(ReasonCode.ProtocolError, 'the first packet must be CONNECT [MQTT-3.1.0-1]');
    }
    try {
      return decodePacket(firstByte, body, 4);
    } catch (err) {
      if (!isMqttProtocolError(err)) throw err;
      const level = peekConnectLevel(body);
      if (level !== undefined && levelVersion(level) === 5) {
        this.protocolVersion = 5;
        this.refuse(err.reasonCode, err.message);
      } else if (err.reasonCode === ReasonCode.UnsupportedProtocolVersion || err.reasonCode === ReasonCode.ClientIdentifierNotValid) {
        this.protocolVersion = 4;
        this.refuse(err.reasonCode, err.message);
      } else {
        this.noteClose(err.reasonCode, err.message);
        this.shutdown();
      }
      throw new ConnectionClosedSignal();
    }
  }

  /** The client's next AUTH packet during the CONNECT exchange; rejects on timeout or close. */
  waitForAuth(timeoutMs: number): Promise<AuthPacket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.authWaiter = undefined;
        reject(new MqttProtocolError(ReasonCode.NotAuthorized, 'no AUTH answer in time'));
      }, timeoutMs);
      timer.unref();
      this.authWaiter = (packet) => {
        clearTimeout(timer);
        resolve(packet);
      };
      this.stream.once('close', () => {
        clearTimeout(timer);
        reject(new MqttProtocolError(ReasonCode.UnspecifiedError, 'connection closed during authentication'));
      });
    });
  }

  /** Called by the CONNECT handler once the connection is accepted. */
  opened(): void {
    this.state = 'open';
    const early = this.early;
    this.early = undefined;
    if (!early) return;
    try {
      for (const [first, body] of early.frames) this.onFrame(first, body);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Encodes and queues a packet for this turn's write. */
  send(packet: Packet): void {
    if (this.state === 'closed') return;
    let bytes = encodePacket(packet, this.protocolVersion);
    if (this.tooLarge(bytes)) {
      // A Reason String or User Properties are left out rather than exceed the client's
      // Maximum Packet Size [MQTT-3.1.2-24] ([MQTT-3.2.2-19] [MQTT-3.4.2-2] [MQTT-3.5.2-2] [MQTT-3.14.2-3] ...).
      packet = withoutOptionalProperties(packet);
      bytes = encodePacket(packet, this.protocolVersion);
    }
    this.sendEncoded(bytes, packet);
  }

  /**
   * Queues a packet encoded already: by {@link send}, or once for every connection (bytes
   * nobody writes to). `packet` is what the trace shows; without it the trace decodes the bytes.
   */
  sendEncoded(bytes: Buffer, packet?: Packet): void {
    if (this.state === 'closed') return;
    this.out.push(bytes);
    if (this.core.tracer.active) this.core.tracer.sent(this, bytes, packet);
    this.core.stats.messagesSent++;
  }

  /**
   * An acknowledgement with reason Success and no properties (a PUBACK to a device, the
   * most common packet the broker sends): its four bytes without a packet object. Four
   * bytes fit any Maximum Packet Size a client may state.
   */
  sendShortAck(type: 4 | 5 | 6 | 7, packetId: number): void {
    // The packet object only for the trace, shown as send() would have shown it.
    const traced = this.core.tracer.active ? { type, packetId, reasonCode: ReasonCode.Success, properties: undefined } : undefined;
    this.sendEncoded(encodeShortAck(type, packetId), traced);
  }

  /** Encodes a PUBLISH once per shape per message and patches the packet id per copy. */
  sendPublish(p: OutgoingPublish): boolean {
    if (this.state !== 'open') return true;
    const v5 = this.protocolVersion === 5;
    const aliases = v5 && this.clientTopicAliasMaximum > 0
      ? (this.outboundAliases ??= new OutboundTopicAliases(this.clientTopicAliasMaximum))
      : undefined;
    const bytes = v5 && needsCustomEncoding(p, aliases)
      ? encodeCustomPublish(p, aliases, this.clientMaxPacketSize)
      : encodeSharedPublish(p, this.protocolVersion);
    // Never send a packet larger than the client's maximum: drop it as if sent [MQTT-3.1.2-25].
    if (bytes === undefined || this.tooLarge(bytes)) return false;
    this.out.push(bytes);
    if (this.core.tracer.active) this.core.tracer.sent(this, bytes);
    const stats = this.core.stats;
    stats.messagesSent++;
    stats.publishSent++;
    stats.publishSentByQos[p.qos]!++;
    stats.publishBytesSentByQos[p.qos]! += p.message.payload.length;
    return true;
  }

  private tooLarge(bytes: Buffer): boolean {
    return this.clientMaxPacketSize > 0 && bytes.length > this.clientMaxPacketSize;
  }

  /**
   * Properties for an acknowledgement that reports a failure: a Reason String,
   * only when the client did not turn Request Problem Information off [MQTT-3.1.2-29].
   */
  problem(reasonCode: number, reason: string): Properties | undefined {
    if (this.protocolVersion !== 5 || !isFailureCode(reasonCode) || !this.requestProblemInformation) return undefined;
    return { reasonString: reason };
  }

  sendPubrel(packetId: number): void {
    this.send({ type: PacketType.PUBREL, packetId });
  }

  /**
   * Server-initiated close. v5 clients get a DISCONNECT with the reason code
   * [MQTT-4.13.2-1]; before CONNACK nothing but a CONNACK may be sent.
   */
  close(reasonCode: number, reason: string): void {
    if (this.state === 'closed') return;
    this.noteClose(reasonCode, reason);
    if (this.state === 'open' && this.protocolVersion === 5) {
      // A Reason String is allowed on DISCONNECT whatever Request Problem Information says [MQTT-3.1.2-29].
      const properties = reason ? { reasonString: reason } : undefined;
      this.send({ type: PacketType.DISCONNECT, reasonCode: toDisconnectReasonCode(reasonCode), properties });
    }
    this.shutdown();
  }

  /**
   * Refuses a CONNECT with a CONNACK carrying the reason (one of the CONNACK codes
   * [MQTT-3.2.2-8], mapped for 3.1.1) and Session Present 0, and closes [MQTT-3.2.2-6] [MQTT-3.2.2-7].
   */
  refuse(reasonCode: number, reason: string): void {
    if (this.state === 'closed') return;
    this.refused = true;
    this.noteClose(reasonCode, reason);
    const v5 = this.protocolVersion === 5;
    const properties = v5 && reason ? { reasonString: reason } : undefined;
    this.send({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: v5 ? toConnackReasonCode(reasonCode) : toV3ConnackCode(reasonCode), properties });
    this.shutdown();
  }

  /** Handles anything thrown while reading or handling a packet. */
  fail(err: unknown): void {
    if (this.state === 'closed' || err instanceof ConnectionClosedSignal) return;
    if (!isMqttProtocolError(err)) {
      this.core.reportError(err, `client ${this.clientId || '(connecting)'}`);
      this.close(ReasonCode.ImplementationSpecificError, 'internal error');
      return;
    }
    if (this.state !== 'open') {
      // Before CONNACK nothing but a CONNACK may be sent [MQTT-3.2.0-1].
      this.noteClose(err.reasonCode, err.message);
      this.shutdown();
      return;
    }
    this.close(err.reasonCode, err.message);
  }

  /** Writes what is queued, then ends the socket. */
  private shutdown(): void {
    this.state = 'closed';
    this.out.flush();
    this.stream.end();
    // A peer that never reads must not keep the socket half-open for ever.
    destroyAfterLinger(this.stream);
  }

  private noteClose(code: number, reason: string): void {
    this.closeReason ??= { code, reason };
  }

  private onClosed(): void {
    const reason = this.closeReason ?? { code: ReasonCode.UnspecifiedError, reason: 'connection lost' };
    this.state = 'closed';
    this.core.connectionClosed(this, reason.code, reason.reason);
  }

  /**
   * Why a connection that never completed CONNECT ended, unless it was refused with a
   * CONNACK (a refusal, logged as one) or closed without a word (a port probe).
   */
  earlyFailure(): { kind: ConnectionFailureKind; reason: string } | undefined {
    return earlyFailureOf(this.closeReason, this.refused);
  }

  /** Why the connection ended, for logs: the reason code by number and name (`reasonCodeName`), then why. */
  describeClose(): string {
    return describeClose(this.closeReason);
  }

  /** Records that the client ended the connection itself. */
  clientDisconnected(reasonCode: number): void {
    this.noteClose(reasonCode, 'client sent DISCONNECT');
    this.shutdown();
    // The session goes offline now, not when the socket finally closes: nothing more may be
    // sent on this connection (section 3.14.4), so deliveries from here on are queued (or, for
    // QoS 0, counted as offline).
    this.core.connectionClosed(this, reasonCode, 'client sent DISCONNECT');
  }
}
