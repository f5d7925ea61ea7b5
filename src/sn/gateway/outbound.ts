import type { OutgoingPublish } from '../../broker/index.js';
import {
  SnMsgType, SnReturnCode, type SnPlainMessage, type SnPubackMessage, type SnPublishMessage, type SnPublishTopic,
  type SnRegackMessage,
} from '../protocol/index.js';
import type { SnTopicTable } from './topic-table.js';

/** Something waiting to go to the client, in order. */
export type SnOutItem =
  | { kind: 'publish'; publish: OutgoingPublish; rejections: number }
  | { kind: 'pubrel'; msgId: number };

type PublishItem = Extract<SnOutItem, { kind: 'publish' }>;

/** What the outbound queue needs from its client. */
export interface SnOutboundHost {
  readonly table: SnTopicTable;
  /** How the client can be sent a topic now (known id, predefined id, short name), if it can. */
  resolveTopic(topic: string): SnPublishTopic | undefined;
  /** Sends a message; false when it is too large to send. */
  send(message: SnPlainMessage): boolean;
  /** A QoS 1/2 delivery is finished: acknowledged, or given up. */
  completed(packetId: number): void;
  /** The client acknowledged a QoS 2 PUBLISH with PUBREC. */
  received(packetId: number): void;
  /** No answer after Nretry retransmissions. */
  lost(reason: string): void;
  /** Nothing queued and nothing in flight (called in a later microtask). */
  idle(): void;
}

/** One message sent and waiting for its answer. */
interface Transaction {
  message: SnPlainMessage;
  expect: 'regack' | 'puback' | 'pubrec' | 'pubcomp';
  msgId: number;
  /** The queue item it serves (REGISTER, PUBLISH); it stays at the head of the queue while REGISTER runs. */
  item: PublishItem | undefined;
  retries: number;
}

/** Timers of the gateway's retransmission procedure [MQTT-SN-1.2 6.13]. */
export interface SnRetryTimers {
  tRetryMs: number;
  nRetry: number;
}

/**
 * Everything the gateway sends a client that needs an answer, one exchange at a time:
 * "at any point in time a client may have only one QoS level 1 or 2 PUBLISH message
 * outstanding" [MQTT-SN-1.2 6.6], and a topic the client does not know is REGISTERed
 * first, the PUBLISH waiting for the REGACK [MQTT-SN-1.2 6.10]. QoS 0 messages keep
 * their place in the order. An unanswered message is sent again after Tretry, at most
 * Nretry times, then the client counts as lost [MQTT-SN-1.2 6.13]. While the client
 * sleeps the queue is paused and only buffers [MQTT-SN-1.2 6.14].
 */
export class SnOutbound {
  private queue: SnOutItem[] = [];
  private current: Transaction | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set while the client asked us to hold back (congestion). */
  private holdTimer: NodeJS.Timeout | undefined;
  private paused = true;
  private driving = false;
  private idleScheduled = false;
  private nextRegisterId = 0;

  constructor(private readonly host: SnOutboundHost, private readonly timers: SnRetryTimers) {}

  /** Messages waiting, not counting the one in flight. */
  get length(): number {
    return this.queue.length;
  }

  get isIdle(): boolean {
    return this.current === undefined && this.queue.length === 0 && this.holdTimer === undefined;
  }

  push(item: SnOutItem): void {
    this.queue.push(item);
    this.drive();
  }

  /** PUBREL goes before whatever waits, so a QoS 2 exchange finishes first. */
  pushFront(item: SnOutItem): void {
    this.queue.unshift(item);
    this.drive();
  }

  /** The client sleeps: buffer, and stop retransmitting. */
  pause(): void {
    this.paused = true;
    this.stopRetryTimer();
  }

  /** The client is awake or active: send what is in flight again, then the queue. */
  resume(): void {
    this.paused = false;
    const tx = this.current;
    if (tx) this.transmit(tx, true);
    this.drive();
  }

  /** The client is gone: nothing more is sent; what was in flight stays in the session. */
  clear(): void {
    this.paused = true;
    this.stopRetryTimer();
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.current = undefined;
    this.queue = [];
  }

  /** Sends what it can: one exchange at a time, QoS 0 without waiting. */
  drive(): void {
    if (this.driving) return;
    this.driving = true;
    try {
      while (!this.paused && !this.current && !this.holdTimer && this.queue.length > 0) this.step(this.queue[0]!);
    } finally {
      this.driving = false;
    }
    if (this.isIdle) this.scheduleIdle();
  }

  private step(item: SnOutItem): void {
    if (item.kind === 'pubrel') {
      this.queue.shift();
      this.begin({ type: SnMsgType.PUBREL, msgId: item.msgId }, 'pubcomp', item.msgId, undefined);
      return;
    }
    const p = item.publish;
    const topic = this.host.resolveTopic(p.message.topic);
    if (!topic) {
      this.register(item);
      return;
    }
    this.queue.shift();
    const message: SnPublishMessage = {
      type: SnMsgType.PUBLISH, dup: p.dup, qos: p.qos, retain: p.retain, topic, msgId: p.packetId ?? 0, data: p.message.payload,
    };
    if (p.qos === 0) {
      this.host.send(message);
      return;
    }
    if (!this.begin(message, p.qos === 1 ? 'puback' : 'pubrec', p.packetId!, item)) this.host.completed(p.packetId!);
  }

  /** REGISTER from the gateway [MQTT-SN-1.2 6.10]; the PUBLISH stays at the head of the queue. */
  private register(item: PublishItem): void {
    const topicName = item.publish.message.topic;
    const topicId = this.host.table.assign(topicName, false);
    if (topicId === undefined) {
      this.giveUp(item);
      return;
    }
    this.nextRegisterId = (this.nextRegisterId % 0xffff) + 1;
    const msgId = this.nextRegisterId;
    if (!this.begin({ type: SnMsgType.REGISTER, topicId, msgId, topicName }, 'regack', msgId, item)) {
      this.host.table.forget(topicId);
      this.giveUp(item);
    }
  }

  private begin(message: SnPlainMessage, expect: Transaction['expect'], msgId: number, item: PublishItem | undefined): boolean {
    const tx: Transaction = { message, expect, msgId, item, retries: 0 };
    if (!this.host.send(message)) return false;
    this.current = tx;
    this.armRetry();
    return true;
  }

  /**
   * Drops an item (a PUBREL may have gone before it meanwhile): a QoS 1/2 delivery counts
   * as done, as for a client that cannot take it.
   */
  private giveUp(item: SnOutItem): void {
    const at = this.queue.indexOf(item);
    if (at >= 0) this.queue.splice(at, 1);
    if (item.kind === 'publish' && item.publish.packetId !== undefined) this.host.completed(item.publish.packetId);
  }

  private transmit(tx: Transaction, again: boolean): void {
    const m = tx.message;
    // A PUBLISH sent again carries DUP [MQTT-SN-1.2 5.3.4].
    this.host.send(again && m.type === SnMsgType.PUBLISH ? { ...m, dup: true } : m);
    this.armRetry();
  }

  private armRetry(): void {
    this.stopRetryTimer();
    this.retryTimer = setTimeout(() => this.onRetry(), this.timers.tRetryMs);
    this.retryTimer.unref();
  }

  private stopRetryTimer(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private onRetry(): void {
    this.retryTimer = undefined;
    const tx = this.current;
    if (!tx || this.paused) return;
    if (tx.retries >= this.timers.nRetry) {
      this.host.lost(`no answer to ${tx.expect === 'regack' ? 'REGISTER' : 'PUBLISH or PUBREL'} after ${tx.retries} retransmissions`);
      return;
    }
    tx.retries++;
    this.transmit(tx, true);
  }

  /** Ends the exchange in flight if `answer` is what it waits for. */
  private take(expect: Transaction['expect'][], msgId: number): Transaction | undefined {
    const tx = this.current;
    if (!tx || !expect.includes(tx.expect) || tx.msgId !== msgId) return undefined;
    this.current = undefined;
    this.stopRetryTimer();
    return tx;
  }

  /** REGACK for the gateway's REGISTER [MQTT-SN-1.2 6.10]. */
  onRegack(m: SnRegackMessage): void {
    const tx = this.take(['regack'], m.msgId);
    if (!tx || tx.message.type !== SnMsgType.REGISTER) return;
    const item = tx.item!;
    if (m.returnCode === SnReturnCode.ACCEPTED) {
      this.host.table.confirm(tx.message.topicId);
    } else {
      this.host.table.forget(tx.message.topicId);
      if (m.returnCode === SnReturnCode.REJECTED_CONGESTION) this.holdBack(item, false);
      else this.giveUp(item);
    }
    this.drive();
  }

  /**
   * PUBACK for a QoS 1 PUBLISH, or a rejection of one at QoS 1 or 2 [MQTT-SN-1.2 5.4.13]:
   * congestion means try later [MQTT-SN-1.2 6.10]; an invalid normal topic id means the
   * client lost the registration, so the topic is registered again, once. A rejection of
   * a QoS 0 PUBLISH cannot be told apart from one of a predefined or short topic, so it
   * changes nothing: forgetting an id the client registered itself would break its own
   * PUBLISH messages.
   */
  onPuback(m: SnPubackMessage): void {
    const tx = this.take(['puback', 'pubrec'], m.msgId);
    if (!tx || tx.message.type !== SnMsgType.PUBLISH) return;
    const item = tx.item!;
    const sent = tx.message.topic;
    if (m.returnCode === SnReturnCode.ACCEPTED) {
      this.host.completed(tx.msgId);
    } else if (m.returnCode === SnReturnCode.REJECTED_CONGESTION) {
      this.holdBack(item, true);
    } else if (m.returnCode === SnReturnCode.REJECTED_INVALID_TOPIC_ID && sent.topicIdType === 'normal' && item.rejections === 0) {
      item.rejections++;
      this.host.table.forget(sent.topicId);
      this.queue.unshift({ ...item, publish: { ...item.publish, dup: true } });
    } else {
      this.host.completed(tx.msgId);
    }
    this.drive();
  }

  /** PUBREC for a QoS 2 PUBLISH: the session answers with PUBREL [MQTT-SN-1.2 6.10]. */
  onPubrec(msgId: number): void {
    if (!this.take(['pubrec'], msgId)) return;
    this.host.received(msgId);
    this.drive();
  }

  /** PUBCOMP ends a QoS 2 exchange. */
  onPubcomp(msgId: number): void {
    if (!this.take(['pubcomp'], msgId)) return;
    this.host.completed(msgId);
    this.drive();
  }

  /**
   * The client is congested: wait Tretry before trying again [MQTT-SN-1.2 6.10], at most
   * Nretry times for one message; after that it is given up.
   */
  private holdBack(item: PublishItem, resend: boolean): void {
    item.rejections++;
    if (item.rejections > this.timers.nRetry) {
      this.giveUp(item);
      return;
    }
    if (resend) this.queue.unshift({ ...item, publish: { ...item.publish, dup: true } });
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.drive();
    }, this.timers.tRetryMs);
    this.holdTimer.unref();
  }

  private scheduleIdle(): void {
    if (this.idleScheduled || this.paused) return;
    this.idleScheduled = true;
    queueMicrotask(() => {
      this.idleScheduled = false;
      if (this.isIdle && !this.paused) this.host.idle();
    });
  }
}
