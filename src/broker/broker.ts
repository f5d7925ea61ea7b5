import type { Duplex } from 'node:stream';
import { AccessControl } from './access-control.js';
import { PublishAdmission } from './admission.js';
import { ConfidentialityPolicy } from './confidentiality.js';
import { FlowControl, type FlowSource } from './flow-control.js';
import { ConnectionFailures, type ConnectionFailureKind, type FailedConnection } from './connection-failures.js';
import { dispatchPacket } from './handlers/index.js';
import type { HandlerContext } from './handlers/context.js';
import { Hooks, type Disposer } from './hooks.js';
import { KeepAliveSweeper } from './keepalive.js';
import type { BrokerMessage } from './message.js';
import { Readiness } from './readiness.js';
import type { ConnectionCore } from './connection-core.js';
import { MqttConnection } from './mqtt-connection.js';
import { resolveBrokerOptions, type BrokerLimits, type BrokerOptions } from './options.js';
import { PacketTracer } from './packet-trace.js';
import { QueuePager } from './queue-paging.js';
import type { ClientEndpoint } from './ports/client-endpoint.js';
import { silentLogger, type Logger } from './ports/logger.js';
import type { Store } from './ports/store.js';
import type { ConnectionInfo } from './ports/transport.js';
import { RetainedMessages } from './retained.js';
import { disconnectRevoked, type ConnectionRevocationCheck } from './revocation.js';
import type { RetainedSource } from './retained-feed.js';
import { deliverToMatches, deliverRetained, deliverToSession } from './routing.js';
import { TopicRouter } from './router/topic-router.js';
import type { Recipient, SubscriptionEntry } from './router/types.js';
import { SessionManager } from './session-manager.js';
import type { Session } from './session.js';
import { SessionReports } from './session-reports.js';
import { BrokerStats } from './stats.js';
import { commitUnlessFailing, watchStoreHealth } from './store-health.js';
import { toStoredMessage, fromStoredMessage, storedSubscription } from './stored.js';
import { ReasonCode } from '../protocol/index.js';

/**
 * The broker core: sessions, routing, retained messages, wills and limits. It
 * knows nothing of sockets, files or Redis; transports hand it streams through
 * {@link Broker.accept}, and stores, authenticators and authorizers come in
 * through {@link BrokerOptions} as ports.
 */
export class Broker {
  readonly options: BrokerOptions;
  readonly stats = new BrokerStats();
  readonly hooks = new Hooks();
  /** Held unready by whoever needs to (startup, shutdown, a cluster link); read by `/readyz`. */
  readonly readiness = new Readiness();
  /** Local sessions' subscriptions and, in a cluster, stand-ins for those of other nodes' sessions. */
  readonly router = new TopicRouter<Recipient>();
  readonly retained = new RetainedMessages();
  readonly sessions: SessionManager;
  readonly logger: Logger;
  private readonly confidentiality: ConfidentialityPolicy;
  /** Connections that fail before CONNECT completes: counted, and logged once per source a minute. */
  private readonly failures: ConnectionFailures;
  /** The per-client packet trace (`traceClients`); see {@link setTraceClients}. */
  private readonly tracer: PacketTracer;
  /** Who may connect, publish, subscribe and receive: the authenticator and authorizer chains. */
  readonly access: AccessControl;
  /** Whether a publish is accepted, and when its acknowledgement may go (every way in asks it). */
  readonly admission: PublishAdmission;
  /** Backpressure on publishers and the slow-consumer state of sessions. */
  readonly flow: FlowControl;
  /** Persistent sessions' queues beyond memory, in the store (when the store pages and there is no cluster). */
  private readonly pager: QueuePager | undefined;
  private readonly connections = new Set<MqttConnection>();
  /** What sessions ask (the read check, flow control, the pager) and report (drops, withheld messages). */
  private readonly reports: SessionReports;
  /** What a new subscription's retained messages are fed from. */
  private readonly retainedSource: RetainedSource;
  /** Clients that do not come through {@link accept}, e.g. MQTT-SN clients of the gateway. */
  private readonly endpoints = new Set<ClientEndpoint>();
  private readonly sweeper: KeepAliveSweeper;
  /** Client ids of the broker's own sessions (a bridge's local side), with who holds each. */
  private readonly reservedClientIds = new Map<string, string>();
  /** What every MQTT connection is given of the broker (its handlers get a {@link HandlerContext}). */
  private readonly connectionCore: ConnectionCore<MqttConnection>;
  private started = false;
  private closed = false;
  /** Stops turning the store's health into readiness and log lines (see store-health.ts). */
  private unwatchStore: Disposer | undefined;

  constructor(options: Partial<Omit<BrokerOptions, 'limits'>> & { limits?: Partial<BrokerLimits> } = {}) {
    this.options = resolveBrokerOptions(options);
    this.logger = this.options.logger ?? silentLogger;
    this.confidentiality = new ConfidentialityPolicy(this.options.confidentialTopics);
    this.failures = new ConnectionFailures(this.logger, this.stats);
    const limits = this.options.limits;
    this.tracer = new PacketTracer(this.logger, { packetsPerSecond: limits.tracePacketsPerSecond, maxDumpBytes: limits.traceDumpBytes }, this.options.traceClients);
    this.flow = new FlowControl({
      highWaterMark: limits.socketHighWaterMark,
      lowWaterMark: Math.floor(limits.socketHighWaterMark / 2),
      maxQueuedBytesTotal: limits.maxQueuedBytesTotal,
      slowConsumerTimeoutMs: limits.slowConsumerTimeout * 1000,
      disconnectSlowConsumers: limits.slowConsumerDisconnect,
    }, this.logger);
    const store = this.options.store;
    this.pager = store?.paging && !this.options.cluster ? new QueuePager(store, store.paging, this.flow, this.logger, this.stats) : undefined;
    this.sweeper = new KeepAliveSweeper(this.connections, this.options.limits.connectTimeout * 1000);
    this.access = new AccessControl(this.options, this.logger);
    this.admission = new PublishAdmission(this.options, this.stats, this.access);
    this.reports = new SessionReports(this.flow, this.pager, this.access, this.stats, this.hooks, this.logger);
    this.retainedSource = { retained: this.retained, access: this.access, withheld: (session, message) => this.reports.withheld(session, message) };
    this.sessions = new SessionManager({
      options: this.options, store: this.options.store, stats: this.stats, hooks: this.hooks, logger: this.logger,
      access: this.access, router: this.router, events: this.reports,
      publish: (message) => this.publish(message), unsubscribe: (session, filter) => this.unsubscribe(session, filter),
    });
    // Acknowledge when safe: also when every queue the message found full has room again.
    this.admission.gate.add(this.flow.acknowledgementWait());
    this.connectionCore = this.connectionCoreOf(this.handlerContext());
  }

  /** The services packet handlers use: the broker's parts, not the broker. */
  private handlerContext(): HandlerContext {
    const { limits, store } = this.options;
    return {
      limits, settings: this.options, stats: this.stats, access: this.access, admission: this.admission, logger: this.logger,
      store, sessions: this.sessions, pubsub: this,
      connectionOpened: (conn, present, clean) => this.connectionOpened(conn, present, clean),
      connectRefused: (conn, code, reason) => this.connectRefused(conn, code, reason),
      reservedFor: (clientId) => this.reservedFor(clientId),
      reportError: (err, context) => this.reportError(err, context),
    };
  }

  private connectionCoreOf(handlers: HandlerContext): ConnectionCore<MqttConnection> {
    return {
      limits: this.options.limits, stats: this.stats, tracer: this.tracer,
      dispatch: (conn, packet) => dispatchPacket(handlers, conn, packet),
      reportError: (err, context) => this.reportError(err, context),
      connectionClosed: (conn, code, reason) => this.connectionClosed(conn, code, reason),
    };
  }

  get store(): Store | undefined {
    return this.options.store;
  }

  /** Number of open network connections (connected or still connecting). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Opens the store and restores everything it holds: retained messages,
   * sessions with their subscriptions, queues and inflight state. Call before
   * accepting connections.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { store, cluster } = this.options;
    if (store) this.unwatchStore = watchStoreHealth(store, this.readiness, this.logger);
    if (cluster) {
      // Sessions live in the cluster: each is loaded by the node its client connects
      // to (or that adopts it), never all of them at boot.
      await store?.open();
      await cluster.start(this);
    } else if (store) {
      await store.open();
      for (const notice of store.notices ?? []) this.logger.warn({ store: store.name }, notice);
      // Retained messages go into the tree as they are read: a large store is not held twice.
      const state = await store.restore({ onRetained: (m) => this.retained.set(fromStoredMessage(m)) });
      for (const m of state.retained) this.retained.set(fromStoredMessage(m));
      this.sessions.restore(state);
      this.logger.info({ store: store.name, sessions: state.sessions.length, retained: this.retained.sizeWithoutSys }, 'store restored');
    }
    this.sweeper.start();
    this.flow.start();
  }

  /** Takes a new connection from a transport. */
  accept(stream: Duplex, info: ConnectionInfo): MqttConnection {
    const conn = new MqttConnection(this.connectionCore, stream, info);
    this.stats.socketsOpened++;
    if (this.closed) {
      stream.destroy();
      return conn;
    }
    this.connections.add(conn);
    return conn;
  }

  /**
   * Takes a client that does not come through {@link accept} (e.g. an MQTT-SN client):
   * from now on {@link connectionClosed} accounts for it and {@link close} ends it.
   * Returns false when the broker is closed.
   */
  openEndpoint(endpoint: ClientEndpoint): boolean {
    if (this.closed) return false;
    this.endpoints.add(endpoint);
    return true;
  }

  /**
   * Routes a message to every matching subscription and stores it as retained
   * when its RETAIN flag is set [MQTT-3.3.1-5]. Returns the number of sessions it
   * was delivered or queued to. `publisher`, when given, is paused while a session
   * the message was queued for is backlogged, and its acknowledgement waits for room
   * when a queue was full (see {@link FlowControl}).
   */
  publish(message: BrokerMessage, source?: ConnectionInfo, publisher?: FlowSource): number {
    this.confidentiality.classify(message, source);
    if (message.retain) this.setRetained(message);
    this.flow.begin(publisher);
    const deliveries = deliverToMatches(this.router, this.access, message);
    this.pager?.throttle();
    this.flow.end();
    if (this.hooks.has('messagePublished')) this.hooks.emit('messagePublished', { message, deliveries });
    return deliveries;
  }

  /** Stores (or clears, with an empty payload [MQTT-3.3.1-6]) the retained message of a topic. */
  setRetained(message: BrokerMessage): void {
    if (!this.retained.set(message)) return;
    // $SYS values are the broker's own and republished at start: storing them would
    // cost a write per figure per interval and only ever restore stale ones.
    if (message.topic.startsWith('$SYS/')) return;
    this.store?.setRetained(message.topic, message.payload.length > 0 ? toStoredMessage(message) : undefined);
  }

  /**
   * Keeps a client id for a session the broker runs itself (e.g. `bridge cloud`): from
   * now on a CONNECT with it is refused. Returns the release.
   */
  reserveClientId(clientId: string, holder: string): () => void {
    const other = this.reservedClientIds.get(clientId);
    if (other !== undefined) throw new Error(`client id '${clientId}' is already reserved for ${other}`);
    this.reservedClientIds.set(clientId, holder);
    return () => {
      if (this.reservedClientIds.get(clientId) === holder) this.reservedClientIds.delete(clientId);
    };
  }

  /** Who holds a reserved client id, or undefined when clients may use it. */
  reservedFor(clientId: string): string | undefined {
    return this.reservedClientIds.get(clientId);
  }

  /** Adds a subscription; returns true when it replaced one to the same filter. */
  subscribe(session: Session, entry: SubscriptionEntry<Session>): boolean {
    const replaced = this.router.add(entry);
    session.subscriptions.set(entry.filter, entry);
    if (session.durable) this.store!.saveSubscription(storedSubscription(session, entry));
    this.options.cluster?.subscriptionChanged(session, entry.filter);
    this.hooks.emit('subscribed', { clientId: session.clientId, filter: entry.filter, qos: entry.qos });
    return replaced;
  }

  /** Removes a subscription; returns false when there was none [MQTT-3.10.4-5]. */
  unsubscribe(session: Session, filter: string): boolean {
    const removed = this.router.remove(session, filter);
    session.subscriptions.delete(filter);
    if (!removed) return false;
    if (session.durable) this.store!.deleteSubscription(session.clientId, filter);
    this.options.cluster?.subscriptionChanged(session, filter);
    this.hooks.emit('unsubscribed', { clientId: session.clientId, filter });
    return true;
  }

  /**
   * Cluster: a message another node routed to the local session `clientId` (for
   * the shared group `shareGroup`, if given), matched again against the session's
   * own subscriptions. Returns false when the session is not on this node.
   */
  deliverFromCluster(message: BrokerMessage, clientId: string, shareGroup: string | undefined, publisher?: FlowSource): boolean {
    const session = this.sessions.get(clientId);
    if (!session) return false;
    this.flow.begin(publisher);
    deliverToSession(this.access, session, message, shareGroup);
    this.flow.end();
    return true;
  }

  /** Sends the retained messages a new subscription asks for (Retain Handling [MQTT-3.3.1-9..11]). */
  sendRetained(session: Session, entry: SubscriptionEntry<Session>, isNew: boolean): void {
    deliverRetained(this.retainedSource, session, entry, isNew);
  }

  /** Called by the CONNECT handler once the CONNACK is sent. */
  connectionOpened(conn: MqttConnection | ClientEndpoint, sessionPresent: boolean, cleanStart?: boolean): void {
    this.stats.clientConnected();
    const { clientId, info } = conn;
    // Neither the line nor the event is built when nobody takes it (issue 19: every connect pays).
    if (this.logger.isLevelEnabled?.('info') !== false) this.logger.info({
      clientId, username: conn.principal.username, listener: info.listener, remoteAddress: info.remoteAddress, remotePort: info.remotePort,
      // reasonCode: the CONNACK's (always Success here), so one query finds connects and disconnects alike.
      protocolVersion: conn.protocolVersion, cleanStart, sessionPresent, keepAlive: conn.keepAliveMs / 1000, reasonCode: ReasonCode.Success,
      ...(conn instanceof MqttConnection && conn.bridge ? { bridge: true } : {}),
    }, 'client connected');
    if (this.hooks.has('clientConnected')) this.hooks.emit('clientConnected', {
      clientId, username: conn.principal.username, listener: info.listener, remoteAddress: info.remoteAddress,
      protocolVersion: conn.protocolVersion, sessionPresent,
    });
  }

  /** Called when a CONNECT is refused. */
  connectRefused(conn: MqttConnection | ClientEndpoint, reasonCode: number, reason: string): void {
    const fields = {
      clientId: conn.clientId, username: conn.principal.username, listener: conn.info.listener,
      remoteAddress: conn.info.remoteAddress, reasonCode, reason,
    };
    this.logger.info({ ...fields, remotePort: conn.info.remotePort }, 'connection refused');
    this.hooks.emit('connectRefused', fields);
  }

  /** Called by a connection when its socket has closed, whoever closed it. */
  connectionClosed(conn: MqttConnection | ClientEndpoint, reasonCode: number, reason: string): void {
    if (conn instanceof MqttConnection) this.tracer.closed(conn);
    if (!(conn instanceof MqttConnection ? this.connections.delete(conn) : this.endpoints.delete(conn))) return;
    const session = conn.session;
    if (!session) {
      const failure = conn instanceof MqttConnection ? conn.earlyFailure() : undefined;
      if (failure) this.connectionFailed(conn.info, failure.kind, failure.reason);
      return;
    }
    this.stats.connectedClients--;
    // Built only when logged or listened to (issue 19: every disconnect pays).
    const fields = this.logger.isLevelEnabled?.('info') !== false || this.hooks.has('clientDisconnected') ? {
      clientId: conn.clientId, username: conn.principal.username, listener: conn.info.listener,
      remoteAddress: conn.info.remoteAddress, reasonCode, reason,
    } : undefined;
    if (fields) this.logger.info({ ...fields, remotePort: conn.info.remotePort }, 'client disconnected');
    // At shutdown sessions keep their state (wills included) for the restart.
    if (session.link === conn && !this.closed) this.sessions.connectionLost(session, conn.graceful);
    if (fields) this.hooks.emit('clientDisconnected', fields);
  }

  /**
   * A connection failed before its CONNECT completed: a TLS handshake, a WebSocket
   * upgrade, bytes that are not MQTT, no CONNECT in time. Transports report the
   * failures they see; the connection reports the rest itself.
   */
  connectionFailed(who: FailedConnection, kind: ConnectionFailureKind, reason: string): void {
    this.failures.report(who, kind, reason);
  }

  /** Closes the connections that came in through a listener that is going away. */
  closeListenerConnections(listener: string, reasonCode: number, reason: string): void {
    for (const conn of this.connections) if (conn.info.listener === listener) conn.close(reasonCode, reason);
  }

  /**
   * After password, SCRAM, ACL or certificate files were reloaded: disconnects the
   * connected clients that lost access (see {@link disconnectRevoked}); returns how many.
   */
  disconnectRevoked(transport?: ConnectionRevocationCheck): number {
    return disconnectRevoked(this, [...this.connections, ...this.endpoints], transport);
  }

  /**
   * Sets which clients' packets are logged, by client id pattern (`*` matches any
   * run of characters); an empty list stops tracing. Takes effect from the next
   * packet of every connection, so an operator (or the admin API) can turn it on for
   * a misbehaving client without a restart. Throws a RangeError for an empty
   * pattern, a pattern over 256 characters or more than 100 patterns.
   */
  setTraceClients(patterns: readonly string[]): void {
    this.tracer.setPatterns(patterns);
    this.logger.info({ traceClients: [...patterns] }, 'trace_clients changed');
  }

  /** The client id patterns traced now. */
  get traceClients(): readonly string[] {
    return this.tracer.clientPatterns;
  }

  /** Reports an unexpected error without taking the broker down. */
  reportError(err: unknown, context: string): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.logger.error({ err: error, context }, 'unexpected error');
    this.hooks.emit('brokerError', { error, context });
  }

  /**
   * Stops the broker: connections are closed (v5 clients get `reasonCode`,
   * Server shutting down by default), timers stop, and the store is
   * committed and closed. Sessions keep their state: a persistent session's will
   * is published after a restart unless its client returns within the will delay,
   * just as after a crash.
   */
  async close(reasonCode: number = ReasonCode.ServerShuttingDown): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sweeper.stop();
    this.flow.stop();
    for (const conn of this.connections) conn.close(reasonCode, 'server shutting down');
    for (const endpoint of this.endpoints) endpoint.close(reasonCode, 'server shutting down');
    this.sessions.stopTimers();
    const store = this.store;
    // A store that failed has said so already; it must still be closed (and its lock freed).
    // One whose writes are failing is not waited for: its close() makes the last attempt.
    if (store) await commitUnlessFailing(store).catch((err: unknown) => this.reportError(err, 'store commit at shutdown'));
    this.unwatchStore?.();
    // The other nodes adopt this node's sessions from what is committed now.
    await this.options.cluster?.stop().catch((err: unknown) => this.reportError(err, 'leaving the cluster'));
    await store?.close();
  }
}
