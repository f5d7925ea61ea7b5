import { MqttClient, type ConnectInfo, type FlowPacket } from '../client/index.js';
import type { Broker, ConnectionInfo, Logger, Session } from '../broker/index.js';
import { PacketType, ReasonCode, reasonCodeName } from '../protocol/index.js';
import { IncomingFlows } from './incoming.js';
import { BridgeLink } from './link.js';
import { forgetReleased, openLocalSession, publishLocalState, queueRetained, syncSubscriptions } from './local-session.js';
import { addressUrl, type BridgeConfig } from './options.js';
import { describeFailure, publishRemoteState, refusedProtocolLevel, remoteClientOptions } from './remote.js';
import { AddressRotation, RestartSchedule } from './schedule.js';
import { BridgeStats } from './stats.js';
import { TopicMap } from './topic-map.js';
import { PrimaryWatch, subscribeRemote } from './remote-topics.js';

/** What a bridge needs of the process it runs in. */
export interface BridgeContext {
  broker: Broker;
  logger: Logger;
}

/** How often a lazy bridge looks at its queue and its idleness. */
const LAZY_CHECK_MS = 1000;

/**
 * One bridge (`connection NAME`): a link from this broker to a remote one, built on midge's
 * client. Its local side is an ordinary persistent session of the broker (see
 * `local-session.ts`), subscribed to the `out` topics: while the remote is connected the
 * session's link is a {@link BridgeLink} that publishes to it, and while it is not, QoS 1/2
 * messages wait in the session's queue, on disk, within the broker's queue limits. Messages
 * of the `in` topics enter the broker through {@link IncomingFlows}. The bridge reconnects
 * as `start_type` and `restart_timeout` say, going through its addresses.
 */
export class Bridge {
  readonly stats = new BridgeStats();
  readonly topics: TopicMap;
  private session: Session | undefined;
  private client: MqttClient | undefined;
  private link: BridgeLink | undefined;
  private incoming: IncomingFlows | undefined;
  private readonly schedule: RestartSchedule;
  private readonly rotation: AddressRotation;
  private readonly primary: PrimaryWatch;
  private timer: NodeJS.Timeout | undefined;
  private lazyTimer: NodeJS.Timeout | undefined;
  private running = false;
  /** The remote refused the bridge bit (try_private): connect as an ordinary client from now on. */
  private privateRefused = false;

  constructor(readonly config: BridgeConfig, private readonly ctx: BridgeContext) {
    this.topics = new TopicMap(config.topics);
    this.schedule = new RestartSchedule(config.restart);
    this.rotation = new AddressRotation(config.addresses.map(addressUrl), config.roundRobin);
    this.primary = new PrimaryWatch(this.rotation, config, () => this.switchToPrimary());
  }

  get name(): string {
    return this.config.name;
  }

  /** The local session, once the bridge has started. */
  get localSession(): Session | undefined {
    return this.session;
  }

  /**
   * Opens the local session (its subscriptions as the `out` lines say), says "0" on the
   * notification topic, and connects unless the bridge is lazy.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const session = await openLocalSession(this.ctx.broker, this.config);
    this.session = session;
    syncSubscriptions(this.ctx.broker, session, this.topics);
    publishLocalState(this.ctx.broker, this.config, '0');
    if (this.config.startType === 'lazy') {
      this.stats.setState('idle');
      this.lazyTimer = setInterval(() => this.checkLazy(), LAZY_CHECK_MS);
      this.lazyTimer.unref();
      return;
    }
    void this.dial();
  }

  /**
   * Stops: the remote is told "0" and disconnected cleanly, the local session goes offline
   * and keeps its queue for the next start (here, or on the node that takes the bridge over).
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.lazyTimer);
    this.primary.stop();
    const client = this.client;
    this.disconnected();
    if (client?.connected) {
      publishRemoteState(client, this.config, '0');
      await client.end({ timeoutMs: 1000 });
    } else {
      await client?.end({ timeoutMs: 100 });
    }
    this.stats.setState('stopped');
  }

  private async dial(): Promise<void> {
    if (!this.running || this.client) return;
    const url = this.rotation.current;
    this.stats.address = url;
    this.stats.setState('connecting');
    // MQTT 5 has No Local for what the bit asks; mosquitto refuses the bit on a v5 CONNECT.
    const announce = this.config.tryPrivate && !this.privateRefused && this.config.protocolVersion < 5;
    const client = new MqttClient(url, remoteClientOptions(this.config, this.ctx.broker.options.limits, announce));
    this.client = client;
    client.on('flow', (packet) => this.onFlow(client, packet));
    client.on('drain', () => this.session?.pump());
    client.on('close', (err) => this.onClosed(client, err));
    // At the CONNACK itself, not after the connect promise settles: a remote that kept our
    // session sends its queued messages in the same read, and they need the incoming side.
    client.once('connect', (info) => {
      if (this.client === client) this.onConnected(client, info);
    });
    try {
      await client.connect();
      if (this.client !== client) return void client.end({ timeoutMs: 100 });
    } catch (err) {
      if (this.client === client) this.onConnectFailed(err, announce);
    }
  }

  private onConnected(client: MqttClient, info: ConnectInfo): void {
    const { broker, logger } = this.ctx;
    const session = this.session!;
    this.schedule.reset();
    this.stats.connects++;
    this.stats.lastError = undefined;
    this.stats.lastTrafficAt = Date.now();
    this.stats.setState('connected');
    publishRemoteState(client, this.config, '1');
    subscribeRemote(client, this.config, this.topics, logger);
    if (!info.sessionPresent) forgetReleased(session);
    const link = new BridgeLink(client, this.config, this.topics, this.stats,
      (_code, reason) => this.drop(client, reason),
      (packetId) => {
        if (session.complete(packetId)) session.pump();
      });
    this.link = link;
    this.incoming = new IncomingFlows({
      broker, session, client, topics: this.topics, stats: this.stats, logger, name: this.name, v5: this.config.protocolVersion === 5,
      publisher: { principal: link.principal, info: this.connectionInfo(link.encrypted), pauseInput: () => client.pauseInput() },
      abandon: (reason) => this.drop(client, reason),
    });
    session.limits = broker.sessions.limitsFor(link);
    session.attach(link);
    if (!info.sessionPresent) queueRetained(broker, session);
    publishLocalState(broker, this.config, '1');
    logger.info({
      bridge: this.name, address: client.url.href, remoteClientId: this.config.remoteClientId, protocolVersion: this.config.protocolVersion,
      sessionPresent: info.sessionPresent, queued: session.queuedCount, inflight: session.inflight.size,
    }, 'bridge connected');
    this.primary.start();
  }

  private onConnectFailed(err: unknown, announced: boolean): void {
    this.client = undefined;
    const failure = describeFailure(err);
    if (announced && refusedProtocolLevel(err)) {
      // As mosquitto does: a remote that does not know the bridge bit gets an ordinary CONNECT.
      this.privateRefused = true;
      this.ctx.logger.info({ bridge: this.name, address: this.stats.address, ...failure }, 'remote broker refused the bridge protocol bit (try_private): connecting as an ordinary client');
      void this.dial();
      return;
    }
    this.stats.connectFailures++;
    this.stats.lastError = failure.reason;
    const message = failure.reasonCode === undefined ? 'bridge could not connect' : 'bridge connection refused';
    this.ctx.logger.warn({ bridge: this.name, address: this.stats.address, ...failure }, message);
    this.rotation.failed();
    this.restartLater();
  }

  private onClosed(client: MqttClient, err: Error | undefined): void {
    if (this.client !== client) return;
    const reason = err ? err.message : 'closed';
    this.stats.lastError = reason;
    this.ctx.logger.warn({ bridge: this.name, address: client.url.href, reason }, 'bridge disconnected');
    this.disconnected();
    if (this.primary.switching) {
      this.primary.switching = false;
      void this.dial();
      return;
    }
    this.rotation.failed();
    this.restartLater();
  }

  /** The remote connection is gone (or going): the session goes offline, the state says "0". */
  private disconnected(): void {
    const session = this.session;
    const link = this.link;
    this.client = undefined;
    this.link = undefined;
    this.incoming = undefined;
    this.primary.stop();
    if (session && link && session.link === link) session.detach(Date.now());
    if (link) publishLocalState(this.ctx.broker, this.config, '0');
  }

  /** Ends the remote connection without a clean DISCONNECT; what was not acknowledged is sent again later. */
  private drop(client: MqttClient, reason: string): void {
    if (this.client !== client) return;
    this.ctx.logger.warn({ bridge: this.name, reason }, 'bridge connection closed by midge');
    void client.end({ timeoutMs: 100 });
  }

  /** `start_type`: automatic waits `restart_timeout` and dials; once stops; lazy waits for its threshold. */
  private restartLater(): void {
    if (!this.running) return;
    if (this.config.startType !== 'automatic') {
      this.stats.setState('idle');
      return;
    }
    const delayMs = this.schedule.nextDelayMs();
    this.stats.setState('waiting');
    this.ctx.logger.info({ bridge: this.name, address: this.rotation.current, inSeconds: Math.round(delayMs / 100) / 10 }, 'bridge reconnecting');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.dial(), delayMs);
    this.timer.unref();
  }

  /** Without round_robin: the main address answers again, so the bridge goes back to it. */
  private switchToPrimary(): void {
    const client = this.client;
    if (!client?.connected) return;
    this.ctx.logger.info({ bridge: this.name, from: client.url.href, to: this.config.addresses[0] }, 'bridge going back to its main address');
    this.rotation.backToPrimary();
    this.primary.switching = true;
    publishRemoteState(client, this.config, '0');
    void client.end({ timeoutMs: 1000 });
  }

  /** A lazy bridge connects once `threshold` messages wait, and disconnects after `idle_timeout` without traffic. */
  private checkLazy(): void {
    const session = this.session;
    if (!this.running || !session) return;
    const state = this.stats.state;
    if ((state === 'idle' || state === 'stopped') && session.queuedCount + session.inflight.size >= this.config.threshold) {
      void this.dial();
      return;
    }
    const client = this.client;
    if (state === 'connected' && client && Date.now() - this.stats.lastTrafficAt > this.config.idleTimeout * 1000) {
      this.ctx.logger.info({ bridge: this.name, idleSeconds: this.config.idleTimeout }, 'lazy bridge idle: disconnecting');
      publishRemoteState(client, this.config, '0');
      this.disconnected();
      this.stats.setState('idle');
      void client.end({ timeoutMs: 1000 });
    }
  }

  /** A PUBLISH flow packet from the remote: its messages come in, its acknowledgements complete the session's deliveries. */
  private onFlow(client: MqttClient, packet: FlowPacket): void {
    const session = this.session;
    if (this.client !== client || !session) return;
    switch (packet.type) {
      case PacketType.PUBLISH: return this.incoming?.onPublish(packet);
      case PacketType.PUBREL: return this.incoming?.onPubrel(packet);
      case PacketType.PUBACK:
      case PacketType.PUBCOMP:
        this.refusedByRemote(packet.reasonCode);
        if (session.complete(packet.packetId)) session.pump();
        return;
      case PacketType.PUBREC: {
        const failed = (packet.reasonCode ?? 0) >= 0x80;
        if (failed) this.refusedByRemote(packet.reasonCode);
        if (session.received(packet.packetId, failed)) {
          if (failed) session.pump();
        } else if (!failed) {
          client.sendFlow({ type: PacketType.PUBREL, packetId: packet.packetId, reasonCode: ReasonCode.PacketIdentifierNotFound });
        }
        return;
      }
    }
  }

  /** A v5 remote refused a message (e.g. 0x87 Not authorized): it is not sent again, and counted. */
  private refusedByRemote(reasonCode: number | undefined): void {
    if (reasonCode === undefined || reasonCode < 0x80) return;
    this.stats.messagesDropped++;
    this.ctx.logger.warn({ bridge: this.name, reasonCode, reason: reasonCodeName(reasonCode) }, 'remote broker refused a bridged message');
  }

  private connectionInfo(encrypted: boolean): ConnectionInfo {
    const url = new URL(this.stats.address ?? this.rotation.current);
    const transport = url.protocol === 'mqtts:' ? 'tls' : url.protocol === 'ws:' ? 'ws' : url.protocol === 'wss:' ? 'wss' : 'tcp';
    return {
      listener: `bridge:${this.name}`, transport, remoteAddress: url.hostname, remotePort: Number(url.port) || undefined,
      encrypted, confidential: false, certificate: undefined, security: { authenticators: [], authorizers: [] },
    };
  }
}
