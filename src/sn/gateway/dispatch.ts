import {
  SnMsgType, type SnDisconnectMessage, type SnMessageOfType, type SnPingreqMessage, type SnPlainMessage,
  type SnPlainMsgTypeCode,
} from '../protocol/index.js';
import { ReasonCode } from '../../protocol/index.js';
import type { SnClientLink } from './client-link.js';
import { handleWillMsg, handleWillTopic } from './connect.js';
import { handlePublish, handlePubrel } from './publish.js';
import { handleRegister, handleSubscribe, handleUnsubscribe } from './subscribe.js';
import { handleWillMsgUpd, handleWillTopicUpd } from './will.js';

/** A handler of one message type from a known client; a promise only when it waits (auth, store). */
type SnHandler<M> = (link: SnClientLink, message: M) => void | Promise<void>;

/** Messages only a gateway sends, or that the gateway does not expect from a client: dropped. */
const ignore: SnHandler<unknown> = () => undefined;

/** Handled by the gateway before a client is looked up (see gateway.ts). */
const beforeLookup: SnHandler<unknown> = () => undefined;

/**
 * PINGREQ [MQTT-SN-1.2 6.11] is answered with PINGRESP. From a sleeping client, a
 * PINGREQ with its client id wakes it: its buffered messages go first, then PINGRESP,
 * and it is asleep again [MQTT-SN-1.2 6.14].
 */
function handlePingreq(link: SnClientLink, m: SnPingreqMessage): void {
  if (m.clientId !== undefined && link.state === 'asleep') {
    link.wake();
    return;
  }
  // While awake the PINGRESP comes after the buffered messages.
  if (link.state !== 'awake') link.send({ type: SnMsgType.PINGRESP });
}

/**
 * DISCONNECT is acknowledged with DISCONNECT [MQTT-SN-1.2 6.12]. With a Duration the
 * client goes to sleep for that many seconds [MQTT-SN-1.2 6.14]; without one it is
 * disconnected and its will is not published. A Duration of 0 is taken as no Duration.
 */
function handleDisconnect(link: SnClientLink, m: SnDisconnectMessage): void {
  link.send({ type: SnMsgType.DISCONNECT });
  if (m.duration !== undefined && m.duration > 0 && link.open) {
    link.sleep(m.duration);
    return;
  }
  link.end(ReasonCode.NormalDisconnection, 'client sent DISCONNECT', true);
}

/** One handler per message type; `satisfies` makes a missing type a compile error. */
const handlers = {
  [SnMsgType.ADVERTISE]: ignore,
  [SnMsgType.SEARCHGW]: beforeLookup,
  [SnMsgType.GWINFO]: ignore,
  [SnMsgType.CONNECT]: beforeLookup,
  [SnMsgType.CONNACK]: ignore,
  [SnMsgType.WILLTOPICREQ]: ignore,
  [SnMsgType.WILLTOPIC]: handleWillTopic,
  [SnMsgType.WILLMSGREQ]: ignore,
  [SnMsgType.WILLMSG]: handleWillMsg,
  [SnMsgType.REGISTER]: handleRegister,
  [SnMsgType.REGACK]: (link, m) => {
    if (!link.addressCheck.answer(m)) link.outbound.onRegack(m);
  },
  [SnMsgType.PUBLISH]: handlePublish,
  [SnMsgType.PUBACK]: (link, m) => link.outbound.onPuback(m),
  [SnMsgType.PUBCOMP]: (link, m) => link.outbound.onPubcomp(m.msgId),
  [SnMsgType.PUBREC]: (link, m) => link.outbound.onPubrec(m.msgId),
  [SnMsgType.PUBREL]: (link, m) => handlePubrel(link, m.msgId),
  [SnMsgType.SUBSCRIBE]: handleSubscribe,
  [SnMsgType.SUBACK]: ignore,
  [SnMsgType.UNSUBSCRIBE]: handleUnsubscribe,
  [SnMsgType.UNSUBACK]: ignore,
  [SnMsgType.PINGREQ]: handlePingreq,
  [SnMsgType.PINGRESP]: ignore,
  [SnMsgType.DISCONNECT]: handleDisconnect,
  [SnMsgType.WILLTOPICUPD]: handleWillTopicUpd,
  [SnMsgType.WILLTOPICRESP]: ignore,
  [SnMsgType.WILLMSGUPD]: handleWillMsgUpd,
  [SnMsgType.WILLMSGRESP]: ignore,
} satisfies { [T in SnPlainMsgTypeCode]: SnHandler<SnMessageOfType<T>> };

/** What a client may send while its will is being prompted for [MQTT-SN-1.2 6.2]. */
const duringConnect = new Set<number>([SnMsgType.WILLTOPIC, SnMsgType.WILLMSG, SnMsgType.DISCONNECT]);

/** Hands a message from a known client to its handler; others wait for the CONNACK and are dropped before. */
export function dispatchToClient(link: SnClientLink, message: SnPlainMessage): void | Promise<void> {
  if (!link.open && !duringConnect.has(message.type)) return;
  if (link.state === 'closed') return;
  const handler = handlers[message.type] as SnHandler<SnPlainMessage>;
  return handler(link, message);
}
