import type { QoS } from '../../protocol/index.js';
import {
  isSnShortTopicName, SN_PROTOCOL_ID, SnMsgType, SnReturnCode, snReturnCodeNames, type SnPlainMessage,
  type SnPublishMessage, type SnPublishTopic, type SnQoS, type SnReturnCodeValue, type SnSubackMessage,
  type SnSubscribeTopic, type SnWill,
} from '../protocol/index.js';
import { SnTransport, type SnTransportOptions } from './transport.js';

/** How an {@link SnClient} connects. */
export interface SnClientOptions extends SnTransportOptions {
  clientId: string;
  /** Keep alive in seconds; the client pings within it [MQTT-SN-1.2 6.11]. 0: no keep alive. */
  keepAlive: number;
  cleanSession: boolean;
  /** The will, sent when the gateway prompts for it [MQTT-SN-1.2 6.2]. */
  will?: SnWill & { message: Buffer };
  /** Predefined topic ids this client shares with the gateway [MQTT-SN-1.2 6.7]. */
  predefinedTopics?: ReadonlyMap<number, string>;
}

/** A message received from the gateway. */
export interface SnReceivedMessage {
  /** The topic name, when the client knows it (registered, predefined or short). */
  topicName: string | undefined;
  topic: SnPublishTopic;
  payload: Buffer;
  qos: SnQoS;
  retain: boolean;
}

/** The gateway refused a request with a ReturnCode [MQTT-SN-1.2 5.3.10]. */
export class SnRejectedError extends Error {
  override readonly name = 'SnRejectedError';
  constructor(readonly what: string, readonly returnCode: SnReturnCodeValue) {
    super(`${what} rejected: ${snReturnCodeNames[returnCode]}`);
  }
}

/** What {@link SnClient.publish} and friends take as a topic: a name, or an id the client has. */
export type SnTopicSpec = string | { predefinedId: number } | { shortName: string };

/**
 * A small MQTT-SN v1.2 client over UDP, for `midge sn-pub`/`sn-sub` and tests: CONNECT
 * with the will flow, REGISTER, PUBLISH at QoS -1 to 2, SUBSCRIBE, sleep and wake-up.
 * One request is outstanding at a time, as the spec asks of clients [MQTT-SN-1.2 6.6].
 */
export class SnClient {
  private readonly topics = new Map<number, string>();
  private readonly topicIds = new Map<string, number>();
  private readonly inboundQos2 = new Set<number>();
  private readonly listeners: Array<(m: SnReceivedMessage) => void> = [];
  private disconnectListener: (() => void) | undefined;
  private transport!: SnTransport;
  private chain: Promise<unknown> = Promise.resolve();
  private msgId = 0;
  private pinger: NodeJS.Timeout | undefined;

  private constructor(readonly options: SnClientOptions) {}

  /** Binds a socket (nothing is sent yet). */
  static async open(options: SnClientOptions): Promise<SnClient> {
    const client = new SnClient(options);
    client.transport = await SnTransport.open(options, (m) => client.onUnsolicited(m));
    return client;
  }

  /** Calls `listener` for every PUBLISH received. */
  onMessage(listener: (m: SnReceivedMessage) => void): void {
    this.listeners.push(listener);
  }

  /** Called when the gateway sends a DISCONNECT nobody asked for (it lost us [MQTT-SN-1.2 6.12]). */
  onDisconnect(listener: () => void): void {
    this.disconnectListener = listener;
  }

  /** CONNECT, answering WILLTOPICREQ and WILLMSGREQ, until CONNACK [MQTT-SN-1.2 6.2]. */
  connect(): Promise<void> {
    return this.serial(async () => {
      const { clientId, keepAlive, cleanSession, will } = this.options;
      const connect: SnPlainMessage = {
        type: SnMsgType.CONNECT, will: will !== undefined, cleanSession, protocolId: SN_PROTOCOL_ID, duration: keepAlive, clientId,
      };
      const isStep = (m: SnPlainMessage) => m.type === SnMsgType.CONNACK || m.type === SnMsgType.WILLTOPICREQ;
      let answer = await this.transport.request(connect, isStep);
      if (answer.type === SnMsgType.WILLTOPICREQ && will) {
        await this.transport.request({ type: SnMsgType.WILLTOPIC, will }, (m) => m.type === SnMsgType.WILLMSGREQ);
        answer = await this.transport.request({ type: SnMsgType.WILLMSG, willMessage: will.message }, (m) => m.type === SnMsgType.CONNACK);
      }
      if (answer.type !== SnMsgType.CONNACK) throw new Error('unexpected answer to CONNECT');
      if (answer.returnCode !== SnReturnCode.ACCEPTED) throw new SnRejectedError('CONNECT', answer.returnCode);
      this.topics.clear();
      this.topicIds.clear();
      this.startPinging();
    });
  }

  /** REGISTER a topic name; resolves with its topic id [MQTT-SN-1.2 6.5]. */
  register(topicName: string): Promise<number> {
    return this.serial(() => this.registerNow(topicName));
  }

  private async registerNow(topicName: string): Promise<number> {
    const known = this.topicIds.get(topicName);
    if (known !== undefined) return known;
    const msgId = this.nextMsgId();
    const answer = await this.transport.request({ type: SnMsgType.REGISTER, topicId: 0, msgId, topicName },
      (m) => m.type === SnMsgType.REGACK && m.msgId === msgId);
    if (answer.type !== SnMsgType.REGACK) throw new Error('unexpected answer to REGISTER');
    if (answer.returnCode !== SnReturnCode.ACCEPTED) throw new SnRejectedError('REGISTER', answer.returnCode);
    this.remember(answer.topicId, topicName);
    return answer.topicId;
  }

  /**
   * PUBLISH [MQTT-SN-1.2 6.6]: a topic name is registered first (a two-octet name is
   * sent as a short topic name); QoS 1 waits for PUBACK, QoS 2 for PUBREC and PUBCOMP.
   */
  publish(topic: SnTopicSpec, payload: Buffer, qos: SnQoS = 0, retain = false): Promise<void> {
    return this.serial(async () => {
      const wire = await this.publishTopic(topic, qos);
      const msgId = qos > 0 ? this.nextMsgId() : 0;
      const message: SnPublishMessage = { type: SnMsgType.PUBLISH, dup: false, qos, retain, topic: wire, msgId, data: payload };
      if (qos <= 0) {
        this.transport.send(message);
        return;
      }
      const acked = (m: SnPlainMessage) => (m.type === SnMsgType.PUBACK || m.type === SnMsgType.PUBREC) && m.msgId === msgId;
      const answer = await this.transport.request(message, acked);
      if (answer.type === SnMsgType.PUBACK && answer.returnCode !== SnReturnCode.ACCEPTED) {
        throw new SnRejectedError('PUBLISH', answer.returnCode);
      }
      if (qos === 2 && answer.type === SnMsgType.PUBREC) {
        await this.transport.request({ type: SnMsgType.PUBREL, msgId }, (m) => m.type === SnMsgType.PUBCOMP && m.msgId === msgId);
      }
    });
  }

  private async publishTopic(topic: SnTopicSpec, qos: SnQoS): Promise<SnPublishTopic> {
    if (typeof topic !== 'string') {
      return 'predefinedId' in topic
        ? { topicIdType: 'predefined', topicId: topic.predefinedId }
        : { topicIdType: 'short', topicName: topic.shortName };
    }
    if (isSnShortTopicName(topic)) return { topicIdType: 'short', topicName: topic };
    if (qos === -1) throw new Error('QoS -1 needs a predefined topic id or a short topic name [MQTT-SN-1.2 6.8]');
    return { topicIdType: 'normal', topicId: await this.registerNow(topic) };
  }

  /** SUBSCRIBE [MQTT-SN-1.2 6.9]; resolves with the SUBACK, rejects when it refuses. */
  subscribe(topic: SnTopicSpec, qos: QoS = 0): Promise<SnSubackMessage> {
    return this.serial(async () => {
      const msgId = this.nextMsgId();
      const wire = subscribeTopic(topic);
      const answer = await this.transport.request({ type: SnMsgType.SUBSCRIBE, dup: false, qos, msgId, topic: wire },
        (m) => m.type === SnMsgType.SUBACK && m.msgId === msgId);
      if (answer.type !== SnMsgType.SUBACK) throw new Error('unexpected answer to SUBSCRIBE');
      if (answer.returnCode !== SnReturnCode.ACCEPTED) throw new SnRejectedError('SUBSCRIBE', answer.returnCode);
      if (wire.topicIdType === 'normal' && answer.topicId !== 0) this.remember(answer.topicId, wire.topicName);
      return answer;
    });
  }

  /** UNSUBSCRIBE [MQTT-SN-1.2 6.9]. */
  unsubscribe(topic: SnTopicSpec): Promise<void> {
    return this.serial(async () => {
      const msgId = this.nextMsgId();
      await this.transport.request({ type: SnMsgType.UNSUBSCRIBE, msgId, topic: subscribeTopic(topic) },
        (m) => m.type === SnMsgType.UNSUBACK && m.msgId === msgId);
    });
  }

  /** WILLTOPICUPD (undefined: the empty form, deleting the will) [MQTT-SN-1.2 6.4]. */
  updateWillTopic(will: SnWill | undefined): Promise<SnReturnCodeValue> {
    return this.serial(async () => {
      const answer = await this.transport.request({ type: SnMsgType.WILLTOPICUPD, will }, (m) => m.type === SnMsgType.WILLTOPICRESP);
      return answer.type === SnMsgType.WILLTOPICRESP ? answer.returnCode : SnReturnCode.REJECTED_NOT_SUPPORTED;
    });
  }

  /** WILLMSGUPD [MQTT-SN-1.2 6.4]. */
  updateWillMessage(message: Buffer): Promise<SnReturnCodeValue> {
    return this.serial(async () => {
      const answer = await this.transport.request({ type: SnMsgType.WILLMSGUPD, willMessage: message }, (m) => m.type === SnMsgType.WILLMSGRESP);
      return answer.type === SnMsgType.WILLMSGRESP ? answer.returnCode : SnReturnCode.REJECTED_NOT_SUPPORTED;
    });
  }

  /** PINGREQ, until PINGRESP [MQTT-SN-1.2 6.11]. */
  ping(): Promise<void> {
    return this.serial(async () => {
      await this.transport.request({ type: SnMsgType.PINGREQ }, (m) => m.type === SnMsgType.PINGRESP);
    });
  }

  /** DISCONNECT with a duration: the gateway buffers for us while we sleep [MQTT-SN-1.2 6.14]. */
  sleep(seconds: number): Promise<void> {
    this.stopPinging();
    return this.serial(async () => {
      await this.transport.request({ type: SnMsgType.DISCONNECT, duration: seconds }, (m) => m.type === SnMsgType.DISCONNECT);
    });
  }

  /**
   * Wakes up: PINGREQ with the client id; the buffered messages arrive (and are handled
   * as any other), then PINGRESP, and the client is asleep again [MQTT-SN-1.2 6.14].
   */
  wake(timeoutMs = 30_000): Promise<void> {
    return this.serial(async () => {
      const done = this.transport.waitFor((m) => m.type === SnMsgType.PINGRESP, timeoutMs);
      this.transport.send({ type: SnMsgType.PINGREQ, clientId: this.options.clientId });
      await done;
    });
  }

  /** DISCONNECT, until the gateway's DISCONNECT [MQTT-SN-1.2 6.12]. */
  disconnect(): Promise<void> {
    this.stopPinging();
    return this.serial(async () => {
      await this.transport.request({ type: SnMsgType.DISCONNECT }, (m) => m.type === SnMsgType.DISCONNECT);
    });
  }

  /** Closes the socket without a word to the gateway (as a lost client would). */
  async close(): Promise<void> {
    this.stopPinging();
    await this.transport.close();
  }

  /**
   * PUBLISH with QoS -1: no connection, a predefined id or a short topic name only
   * [MQTT-SN-1.2 6.8]. Sends one datagram and closes.
   */
  static async publishQosMinusOne(options: SnTransportOptions, topic: SnTopicSpec, payload: Buffer, retain = false): Promise<void> {
    const client = await SnClient.open({ ...options, clientId: '', keepAlive: 0, cleanSession: true });
    try {
      const wire = await client.publishTopic(topic, -1);
      client.transport.send({ type: SnMsgType.PUBLISH, dup: false, qos: -1, retain, topic: wire, msgId: 0, data: payload });
    } finally {
      await client.close();
    }
  }

  /** One request at a time: each waits for the one before. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private nextMsgId(): number {
    this.msgId = (this.msgId % 0xffff) + 1;
    return this.msgId;
  }

  private remember(topicId: number, topicName: string): void {
    this.topics.set(topicId, topicName);
    this.topicIds.set(topicName, topicId);
  }

  private startPinging(): void {
    this.stopPinging();
    if (this.options.keepAlive === 0) return;
    this.pinger = setInterval(() => void this.ping().catch(() => undefined), this.options.keepAlive * 1000);
    this.pinger.unref();
  }

  private stopPinging(): void {
    clearInterval(this.pinger);
    this.pinger = undefined;
  }

  /** What the gateway sends on its own: REGISTER, PUBLISH, PUBREL, DISCONNECT. */
  private onUnsolicited(m: SnPlainMessage): void {
    switch (m.type) {
      case SnMsgType.REGISTER:
        this.remember(m.topicId, m.topicName);
        this.transport.send({ type: SnMsgType.REGACK, topicId: m.topicId, msgId: m.msgId, returnCode: SnReturnCode.ACCEPTED });
        return;
      case SnMsgType.PUBLISH: return this.onPublish(m);
      case SnMsgType.PUBREL:
        this.inboundQos2.delete(m.msgId);
        this.transport.send({ type: SnMsgType.PUBCOMP, msgId: m.msgId });
        return;
      case SnMsgType.DISCONNECT:
        this.stopPinging();
        this.disconnectListener?.();
        return;
      default:
    }
  }

  /** PUBLISH from the gateway [MQTT-SN-1.2 6.10]; an unknown topic id is refused with PUBACK 0x02. */
  private onPublish(m: SnPublishMessage): void {
    const topicName = m.topic.topicIdType === 'short' ? m.topic.topicName
      : m.topic.topicIdType === 'predefined' ? this.options.predefinedTopics?.get(m.topic.topicId) : this.topics.get(m.topic.topicId);
    if (m.topic.topicIdType === 'normal' && topicName === undefined) {
      this.transport.send({ type: SnMsgType.PUBACK, topicId: m.topic.topicId, msgId: m.msgId, returnCode: SnReturnCode.REJECTED_INVALID_TOPIC_ID });
      return;
    }
    const topicId = m.topic.topicIdType === 'short' ? Buffer.from(m.topic.topicName).readUInt16BE(0) : m.topic.topicId;
    const fresh = !(m.qos === 2 && this.inboundQos2.has(m.msgId));
    if (m.qos === 1) this.transport.send({ type: SnMsgType.PUBACK, topicId, msgId: m.msgId, returnCode: SnReturnCode.ACCEPTED });
    if (m.qos === 2) {
      this.inboundQos2.add(m.msgId);
      this.transport.send({ type: SnMsgType.PUBREC, msgId: m.msgId });
    }
    if (!fresh) return;
    const received: SnReceivedMessage = { topicName, topic: m.topic, payload: m.data, qos: m.qos, retain: m.retain };
    for (const listener of this.listeners) listener(received);
  }
}

function subscribeTopic(topic: SnTopicSpec): SnSubscribeTopic {
  if (typeof topic === 'string') return isSnShortTopicName(topic) ? { topicIdType: 'short', topicName: topic } : { topicIdType: 'normal', topicName: topic };
  return 'predefinedId' in topic ? { topicIdType: 'predefined', topicId: topic.predefinedId } : { topicIdType: 'short', topicName: topic.shortName };
}
