import { EventEmitter } from 'node:events';
import { ReasonCode, type Properties } from '../protocol/index.js';
import { parseDialTarget } from '../transport/dial.js';
import { reconnectAllowed, reconnectDelay, shouldRetryRefusal } from './backoff.js';
import type { FlowPacket } from './application-flows.js';
import { Connection } from './connection.js';
import { EnhancedAuthDriver } from './enhanced-auth.js';
import { ClientClosedError, ConnectionRefusedError, MqttClientError } from './errors.js';
import { MessageQueue } from './message-queue.js';
import {
  resolveOptions, subscriptionOf, toBuffer, type ClientOptions, type Payload, type PublishOptions, type ResolvedOptions,
  type SubscribeOptions,
} from './options.js';
import { SessionState } from './session-state.js';
import type {
  ClientEvents, ConnectInfo, EndOptions, PublishResult, SubscriptionRequest,
} from './client-types.js';
import type { Frame, MqttMessage, ServerLimits, SessionEvent, SessionOutput } from './session-types.js';

type Status = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

interface Settler {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * An MQTT 3.1, 3.1.1 and 5.0 client over TCP, TLS, WebSocket and secure WebSocket.
 * This class is the glue between a byte stream and the {@link SessionState}
 * machine: it dials, feeds packets in, writes what comes out, runs the keep-alive
 * timer and reconnects with exponential backoff. Promises settle when the
 * protocol flow of the call completes.
 */
export class MqttClient extends EventEmitter<ClientEvents> {
  /** The server's URL. */
  readonly url: URL;
  private readonly options: ResolvedOptions;
  private readonly state: SessionState;
  private status: Status = 'idle';
  private connection: Connection | undefined;
  private attempt: Settler | undefined;
  private closeReason: Error | undefined;
  private readonly pending = new Map<number, Settler>();
  private readonly queues = new Set<MessageQueue>();
  private tickTimer: NodeJS.Timeout | undefined;
  private tickAt = Infinity;
  private wake: (() => void) | undefined;
  private shutDown = false;
  private readonly enhancedAuth: EnhancedAuthDriver | undefined;

  /** Throws a TypeError for a URL scheme it cannot dial; connects only on {@link connect}. */
  constructor(url: string | URL, options: ClientOptions = {}) {
    super();
    this.url = typeof url === 'string' ? new URL(url) : url;
    parseDialTarget(this.url);
    this.options = resolveOptions(this.url, options);
    const store = this.options.inflightStore;
    this.state = new SessionState(this.options.session, { now, ...(store ? { store } : {}) });
    if (this.options.authenticator) this.enhancedAuth = new EnhancedAuthDriver(this.options.authenticator);
  }

  /** True while a connection is established and accepted. */
  get connected(): boolean {
    return this.status === 'connected';
  }

  /** The client identifier in use (assigned by the server when it was left empty in v5). */
  get clientId(): string {
    return this.state.clientId;
  }

  /** Connected, and the connection takes more now (its buffer is under the high-water mark). */
  get writable(): boolean {
    return this.status === 'connected' && (this.connection?.writable ?? false);
  }

  /**
   * Stops reading what the server sends until the returned function is called: how an
   * application that cannot take more messages yet (a bridge whose broker applies flow
   * control) holds the server back. A no-op when not connected.
   */
  pauseInput(): () => void {
    return this.connection?.pause() ?? (() => undefined);
  }

  /** What the server allowed in its last CONNACK. */
  get limits(): ServerLimits | undefined {
    return this.state.limits;
  }

  /**
   * Opens the first connection. Rejects with {@link ConnectionRefusedError} when the
   * server refuses it, or with the network error; the client can then try again.
   */
  async connect(): Promise<ConnectInfo> {
    if (this.status !== 'idle') throw new MqttClientError('INVALID_STATE', `connect() called while ${this.status}`);
    this.status = 'connecting';
    try {
      return await this.open();
    } catch (e) {
      if (this.status === 'connecting') this.status = 'idle';
      throw e;
    }
  }

  /**
   * Publishes a message. Resolves when the QoS flow completes (PUBACK, PUBCOMP, or
   * written for QoS 0); rejects with {@link ReasonCodeError} when the server refuses
   * it. While offline the message waits for the next connection.
   */
  publish(topic: string, payload: Payload, options: PublishOptions = {}): Promise<PublishResult> {
    return this.start<PublishResult>(() => this.state.publish({
      topic,
      payload: toBuffer(payload),
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      ...(options.properties ? { properties: options.properties } : {}),
    }));
  }

  /**
   * Subscribes to one or more topic filters; resolves with the SUBACK codes, one per
   * filter (granted QoS, or 0x80 and above for a refusal). Rejects with
   * {@link ReasonCodeError} when every filter was refused.
   */
  subscribe(topics: string | ReadonlyArray<string | SubscriptionRequest>, options: SubscribeOptions = {}): Promise<number[]> {
    const list = typeof topics === 'string' ? [topics] : topics;
    const subscriptions = list.map((t) => subscriptionOf(typeof t === 'string' ? { topicFilter: t } : t, options));
    return this.start<number[]>(() => this.state.subscribe(subscriptions, options.properties));
  }

  /** Unsubscribes; resolves with the UNSUBACK codes (all 0 before MQTT 5). */
  unsubscribe(topics: string | readonly string[], options: { properties?: Properties } = {}): Promise<number[]> {
    const filters = typeof topics === 'string' ? [topics] : [...topics];
    return this.start<number[]>(() => this.state.unsubscribe(filters, options.properties));
  }

  /**
   * Incoming messages as an async iterator, from now on: `for await (const m of
   * client.messages())`. Ends when the client ends; throws if it gave up.
   */
  messages(filter?: string): AsyncIterableIterator<MqttMessage> {
    const queue = new MessageQueue((q) => this.queues.delete(q), filter);
    if (this.shutDown) queue.close();
    else this.queues.add(queue);
    return queue;
  }

  /**
   * Sends a PUBLISH, PUBACK, PUBREC, PUBREL or PUBCOMP the application made, when it keeps
   * the publish flows (`publishFlows: 'application'`). Returns false when the packet is
   * larger than the server accepts and was not sent; throws when not connected.
   */
  sendFlow(packet: FlowPacket): boolean {
    if (this.status !== 'connected') throw new MqttClientError('NOT_CONNECTED', 'not connected');
    const { sent, output } = this.state.sendFlow(packet);
    this.apply(output);
    return sent;
  }

  /** Sends a v5 AUTH packet (enhanced authentication with the method given in CONNECT). */
  auth(reasonCode: number, properties: Properties): void {
    this.apply(this.state.auth(reasonCode, properties));
  }

  /**
   * Disconnects cleanly (DISCONNECT, then closes) and stops reconnecting. Operations
   * still waiting are rejected with {@link ClientClosedError}; unacknowledged
   * QoS 1/2 messages stay in the inflight store.
   */
  async end(options: EndOptions = {}): Promise<void> {
    if (this.status === 'ended') return;
    const wasConnected = this.status === 'connected';
    this.status = 'ended';
    this.wake?.();
    const connection = this.connection;
    if (connection) {
      if (wasConnected) this.apply(this.state.disconnect(options.reasonCode, options.properties));
      this.attempt?.reject(new ClientClosedError('end() was called while connecting'));
      await connection.end(options.timeoutMs);
    }
    this.shutdown(undefined);
  }

  private async open(): Promise<ConnectInfo> {
    const stream = await this.options.dialer(this.url, this.options.dialOptions);
    if (this.status === 'ended') {
      stream.destroy();
      throw new ClientClosedError('end() was called while connecting');
    }
    const props = this.options.session.protocolVersion === 5 ? this.options.session.properties : undefined;
    const connection: Connection = new Connection(stream, this.options.session.protocolVersion, props?.maximumPacketSize, {
      packet: (packet, frame) => {
        if (frame) this.emit('packet', { direction: 'in', packet, bytes: frame });
        this.apply(this.state.handle(packet));
      },
      protocolError: (error) => this.apply(this.state.fail(error)),
      closed: (error) => this.onClosed(connection, error),
      wantFrames: () => this.listenerCount('packet') > 0,
      drain: () => this.emit('drain'),
    });
    this.connection = connection;
    const accepted = new Promise<unknown>((resolve, reject) => {
      this.attempt = { resolve, reject };
    });
    const timeoutMs = this.options.connectTimeoutMs;
    const timer = setTimeout(() => {
      connection.destroy(new MqttClientError('CONNECT_TIMEOUT', `no CONNACK within ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      this.apply(this.state.connect(this.enhancedAuth?.connectData()));
      return (await accepted) as ConnectInfo;
    } finally {
      clearTimeout(timer);
      this.attempt = undefined;
    }
  }

  private onClosed(connection: Connection, error: Error | undefined): void {
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.clearTick();
    this.state.connectionLost();
    const reason = this.closeReason ?? error ?? new MqttClientError('CONNECTION_CLOSED', 'the server closed the connection');
    this.closeReason = undefined;
    if (this.attempt) {
      this.attempt.reject(reason);
      return;
    }
    if (this.status !== 'connected') return;
    this.emit('offline', reason);
    if (this.options.reconnect && reconnectAllowed(reason)) {
      this.status = 'reconnecting';
      void this.reconnectLoop();
    } else {
      this.shutdown(reason);
    }
  }

  /** Reconnects with exponential backoff and jitter until it succeeds, is ended, or must give up. */
  private async reconnectLoop(): Promise<void> {
    const options = this.options.reconnect ?? {};
    for (let attempt = 1; this.status === 'reconnecting'; attempt++) {
      const delay = reconnectDelay(attempt - 1, options);
      this.emit('reconnect', attempt, delay);
      await this.sleep(delay);
      if (this.status !== 'reconnecting') return;
      try {
        await this.open();
        return;
      } catch (e) {
        if (this.status !== 'reconnecting') return;
        const error = e instanceof Error ? e : new Error(String(e));
        const refusedForGood = error instanceof ConnectionRefusedError && !shouldRetryRefusal(error.returnCode, error.protocolVersion);
        if (refusedForGood || (options.maxAttempts !== undefined && attempt >= options.maxAttempts)) {
          this.shutdown(error);
          return;
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** The end of the client: rejects what waits, ends the iterators, emits `close`. */
  private shutdown(error: Error | undefined): void {
    if (this.shutDown) return;
    this.shutDown = true;
    this.status = 'ended';
    this.clearTick();
    const closed = new ClientClosedError(error ? `the client gave up: ${error.message}` : undefined, error);
    this.apply(this.state.abandon(closed));
    for (const queue of this.queues) queue.close(error);
    this.queues.clear();
    this.emit('close', error);
  }

  private start<T>(begin: () => { op: number; output: SessionOutput }): Promise<T> {
    if (this.status === 'ended') return Promise.reject(new ClientClosedError('the client has ended'));
    let started: { op: number; output: SessionOutput };
    try {
      started = begin();
    } catch (e) {
      return Promise.reject(e);
    }
    const promise = new Promise<T>((resolve, reject) => {
      this.pending.set(started.op, { resolve: resolve as (value: unknown) => void, reject });
    });
    this.apply(started.output);
    return promise;
  }

  private apply(output: SessionOutput): void {
    for (const frame of output.send) this.write(frame);
    for (const event of output.events) this.handle(event);
    this.scheduleTick();
  }

  private write(frame: Frame): void {
    if (this.listenerCount('packet') > 0) this.emit('packet', { direction: 'out', packet: frame.packet, bytes: frame.bytes });
    const op = frame.completes;
    const connection = this.connection;
    if (!connection) {
      if (op !== undefined) this.settle(op, new MqttClientError('NOT_CONNECTED', 'the connection closed before the message was written'));
      return;
    }
    connection.write(frame.bytes, op === undefined ? undefined : (error) => {
      this.settle(op, error ?? undefined, { reasonCode: 0 });
    });
  }

  private handle(event: SessionEvent): void {
    switch (event.type) {
      case 'connected': return this.onAccepted(event);
      case 'connect-refused': {
        const { connack } = event;
        this.attempt?.reject(new ConnectionRefusedError(connack.reasonCode, this.options.session.protocolVersion, connack.properties));
        void this.connection?.end();
        return;
      }
      case 'publish-done': return this.settle(event.op, undefined, event.outcome);
      case 'subscribe-done':
        if (event.op === undefined) this.emit('resubscribe', event.reasonCodes, event.subscriptions);
        return this.settle(event.op, undefined, event.reasonCodes);
      case 'unsubscribe-done': return this.settle(event.op, undefined, event.reasonCodes);
      case 'publish-failed':
      case 'subscribe-failed':
      case 'unsubscribe-failed': return this.settle(event.op, event.error);
      case 'message':
        this.emit('message', event.message);
        for (const queue of this.queues) queue.push(event.message);
        return;
      case 'server-disconnect': return void this.emit('disconnect', event.packet);
      case 'auth':
        this.emit('auth', event.packet);
        if (this.enhancedAuth && this.attempt) this.guard(() => this.auth(ReasonCode.ContinueAuthentication, this.enhancedAuth!.answer(event.packet)));
        return;
      case 'flow': return void this.emit('flow', event.packet);
      case 'close':
        this.closeReason = event.error;
        void this.connection?.end();
        return;
    }
  }

  private onAccepted(event: Extract<SessionEvent, { type: 'connected' }>): void {
    const { connack, limits, clientId } = event;
    if (this.enhancedAuth && !this.guard(() => this.enhancedAuth!.accepted(connack))) return;
    const info: ConnectInfo = { sessionPresent: connack.sessionPresent, reasonCode: connack.reasonCode, clientId, limits };
    if (connack.properties) info.properties = connack.properties;
    this.status = 'connected';
    this.attempt?.resolve(info);
    this.emit('connect', info);
  }

  /** Runs a step of enhanced authentication; when it fails, the connection closes with its error (false). */
  private guard(step: () => void): boolean {
    try {
      step();
      return true;
    } catch (e) {
      this.connection?.destroy(e instanceof Error ? e : new Error(String(e)));
      return false;
    }
  }

  private settle(op: number | undefined, error: Error | undefined, value?: unknown): void {
    if (op === undefined) return;
    const settler = this.pending.get(op);
    if (!settler) return;
    this.pending.delete(op);
    if (error) settler.reject(error);
    else settler.resolve(value);
  }

  /** Keeps one timer, set for the earliest moment the keep-alive logic needs to look again. */
  private scheduleTick(): void {
    const at = this.state.nextTickAt();
    if (at === undefined) return this.clearTick();
    if (this.tickTimer && at >= this.tickAt) return;
    this.clearTick();
    this.tickAt = at;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.tickAt = Infinity;
      this.apply(this.state.tick());
    }, Math.max(0, at - now()));
    // The socket keeps the process alive while connected; this timer alone must not.
    this.tickTimer.unref();
  }

  private clearTick(): void {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.tickAt = Infinity;
  }
}

/** Opens a client and connects it: `const client = await connect('mqtt://localhost')`. */
export async function connect(url: string | URL, options: ClientOptions = {}): Promise<MqttClient> {
  const client = new MqttClient(url, options);
  await client.connect();
  return client;
}

function now(): number {
  return performance.now();
}
