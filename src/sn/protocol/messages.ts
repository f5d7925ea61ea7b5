import type { QoS } from '../../protocol/index.js';
import type { SnMsgType, SnReturnCodeValue } from './constants.js';

/**
 * The QoS of an MQTT-SN PUBLISH: MQTT's 0, 1 and 2, plus -1 (wire value 0b11) for a
 * publish without a connection [MQTT-SN-1.2 5.3.4].
 */
export type SnQoS = -1 | QoS;

/** How a TopicId (or topic) field is to be read: the TopicIdType flag [MQTT-SN-1.2 5.3.4]. */
export type SnTopicIdTypeName = 'normal' | 'predefined' | 'short';

/**
 * The topic of a PUBLISH, carried in its two-octet TopicId field [MQTT-SN-1.2 5.4.12]:
 * a topic id registered with REGISTER, a pre-defined topic id, or a short topic name
 * of exactly two octets of UTF-8.
 */
export type SnPublishTopic =
  | { topicIdType: 'normal'; topicId: number }
  | { topicIdType: 'predefined'; topicId: number }
  | { topicIdType: 'short'; topicName: string };

/**
 * The topic of a SUBSCRIBE or UNSUBSCRIBE [MQTT-SN-1.2 5.4.15]: with TopicIdType
 * normal the message carries the topic name (or filter, wildcards allowed) itself.
 */
export type SnSubscribeTopic =
  | { topicIdType: 'normal'; topicName: string }
  | { topicIdType: 'predefined'; topicId: number }
  | { topicIdType: 'short'; topicName: string };

/** The will topic with its QoS and retain flags, as WILLTOPIC and WILLTOPICUPD carry it. */
export interface SnWill {
  qos: QoS;
  retain: boolean;
  topic: string;
}

/** ADVERTISE, broadcast by a gateway [MQTT-SN-1.2 5.4.1]. */
export interface SnAdvertiseMessage {
  type: typeof SnMsgType.ADVERTISE;
  gwId: number;
  /** Seconds until the next ADVERTISE. */
  duration: number;
}

/** SEARCHGW, broadcast by a client looking for a gateway [MQTT-SN-1.2 5.4.2]. */
export interface SnSearchGwMessage {
  type: typeof SnMsgType.SEARCHGW;
  /** Broadcast radius in hops. */
  radius: number;
}

/** GWINFO, the answer to SEARCHGW [MQTT-SN-1.2 5.4.3]. */
export interface SnGwInfoMessage {
  type: typeof SnMsgType.GWINFO;
  gwId: number;
  /** The gateway's address: present only when a client answers for a gateway it knows. */
  gwAdd?: Buffer;
}

/** CONNECT [MQTT-SN-1.2 5.4.4]. */
export interface SnConnectMessage {
  type: typeof SnMsgType.CONNECT;
  /** The client will send WILLTOPIC and WILLMSG when asked. */
  will: boolean;
  cleanSession: boolean;
  /** {@link SN_PROTOCOL_ID} in v1.2; kept as received so the gateway can reject others. */
  protocolId: number;
  /** Keep-alive period in seconds. */
  duration: number;
  clientId: string;
}

/** CONNACK [MQTT-SN-1.2 5.4.5]. */
export interface SnConnackMessage {
  type: typeof SnMsgType.CONNACK;
  returnCode: SnReturnCodeValue;
}

/** WILLTOPICREQ [MQTT-SN-1.2 5.4.6]. */
export interface SnWillTopicReqMessage {
  type: typeof SnMsgType.WILLTOPICREQ;
}

/** WILLTOPIC [MQTT-SN-1.2 5.4.7]. */
export interface SnWillTopicMessage {
  type: typeof SnMsgType.WILLTOPIC;
  /** Absent in the empty WILLTOPIC (two octets), which deletes the will. */
  will?: SnWill;
}

/** WILLMSGREQ [MQTT-SN-1.2 5.4.8]. */
export interface SnWillMsgReqMessage {
  type: typeof SnMsgType.WILLMSGREQ;
}

/** WILLMSG [MQTT-SN-1.2 5.4.9]. */
export interface SnWillMsgMessage {
  type: typeof SnMsgType.WILLMSG;
  willMessage: Buffer;
}

/** REGISTER [MQTT-SN-1.2 5.4.10]. */
export interface SnRegisterMessage {
  type: typeof SnMsgType.REGISTER;
  /** 0x0000 from a client; the assigned id from a gateway. */
  topicId: number;
  msgId: number;
  topicName: string;
}

/** REGACK [MQTT-SN-1.2 5.4.11]. */
export interface SnRegackMessage {
  type: typeof SnMsgType.REGACK;
  topicId: number;
  msgId: number;
  returnCode: SnReturnCodeValue;
}

/** PUBLISH [MQTT-SN-1.2 5.4.12]. */
export interface SnPublishMessage {
  type: typeof SnMsgType.PUBLISH;
  dup: boolean;
  qos: SnQoS;
  retain: boolean;
  topic: SnPublishTopic;
  /** Relevant at QoS 1 and 2; 0x0000 otherwise by convention, but kept as received. */
  msgId: number;
  data: Buffer;
}

/** PUBACK [MQTT-SN-1.2 5.4.13]. */
export interface SnPubackMessage {
  type: typeof SnMsgType.PUBACK;
  topicId: number;
  msgId: number;
  returnCode: SnReturnCodeValue;
}

/** PUBREC, PUBREL and PUBCOMP carry only a MsgId [MQTT-SN-1.2 5.4.14]. */
export interface SnMsgIdOnlyMessage<T extends number> {
  type: T;
  msgId: number;
}
/** PUBCOMP [MQTT-SN-1.2 5.4.14]. */
export type SnPubcompMessage = SnMsgIdOnlyMessage<typeof SnMsgType.PUBCOMP>;
/** PUBREC [MQTT-SN-1.2 5.4.14]. */
export type SnPubrecMessage = SnMsgIdOnlyMessage<typeof SnMsgType.PUBREC>;
/** PUBREL [MQTT-SN-1.2 5.4.14]. */
export type SnPubrelMessage = SnMsgIdOnlyMessage<typeof SnMsgType.PUBREL>;

/** SUBSCRIBE [MQTT-SN-1.2 5.4.15]. */
export interface SnSubscribeMessage {
  type: typeof SnMsgType.SUBSCRIBE;
  dup: boolean;
  /** Requested QoS. */
  qos: QoS;
  msgId: number;
  topic: SnSubscribeTopic;
}

/** SUBACK [MQTT-SN-1.2 5.4.16]. */
export interface SnSubackMessage {
  type: typeof SnMsgType.SUBACK;
  /** Granted QoS. */
  qos: QoS;
  /** The id assigned to a topic name without wildcards; 0x0000 otherwise. */
  topicId: number;
  msgId: number;
  returnCode: SnReturnCodeValue;
}

/** UNSUBSCRIBE [MQTT-SN-1.2 5.4.17]. */
export interface SnUnsubscribeMessage {
  type: typeof SnMsgType.UNSUBSCRIBE;
  msgId: number;
  topic: SnSubscribeTopic;
}

/** UNSUBACK [MQTT-SN-1.2 5.4.18]. */
export type SnUnsubackMessage = SnMsgIdOnlyMessage<typeof SnMsgType.UNSUBACK>;

/** PINGREQ [MQTT-SN-1.2 5.4.19]. */
export interface SnPingreqMessage {
  type: typeof SnMsgType.PINGREQ;
  /** Present when a sleeping client wakes up to fetch its buffered messages. */
  clientId?: string;
}

/** PINGRESP [MQTT-SN-1.2 5.4.20]. */
export interface SnPingrespMessage {
  type: typeof SnMsgType.PINGRESP;
}

/** DISCONNECT [MQTT-SN-1.2 5.4.21]. */
export interface SnDisconnectMessage {
  type: typeof SnMsgType.DISCONNECT;
  /** Sleep duration in seconds: present when a client goes to sleep. */
  duration?: number;
}

/** WILLTOPICUPD [MQTT-SN-1.2 5.4.22]. */
export interface SnWillTopicUpdMessage {
  type: typeof SnMsgType.WILLTOPICUPD;
  /** Absent in the empty WILLTOPICUPD (two octets), which deletes the will. */
  will?: SnWill;
}

/** WILLMSGUPD [MQTT-SN-1.2 5.4.23]. */
export interface SnWillMsgUpdMessage {
  type: typeof SnMsgType.WILLMSGUPD;
  willMessage: Buffer;
}

/** WILLTOPICRESP [MQTT-SN-1.2 5.4.24]. */
export interface SnWillTopicRespMessage {
  type: typeof SnMsgType.WILLTOPICRESP;
  returnCode: SnReturnCodeValue;
}

/** WILLMSGRESP [MQTT-SN-1.2 5.4.25]. */
export interface SnWillMsgRespMessage {
  type: typeof SnMsgType.WILLMSGRESP;
  returnCode: SnReturnCodeValue;
}

/** Every MQTT-SN message except the forwarder encapsulation, discriminated by `type`. */
export type SnPlainMessage =
  | SnAdvertiseMessage
  | SnSearchGwMessage
  | SnGwInfoMessage
  | SnConnectMessage
  | SnConnackMessage
  | SnWillTopicReqMessage
  | SnWillTopicMessage
  | SnWillMsgReqMessage
  | SnWillMsgMessage
  | SnRegisterMessage
  | SnRegackMessage
  | SnPublishMessage
  | SnPubackMessage
  | SnPubcompMessage
  | SnPubrecMessage
  | SnPubrelMessage
  | SnSubscribeMessage
  | SnSubackMessage
  | SnUnsubscribeMessage
  | SnUnsubackMessage
  | SnPingreqMessage
  | SnPingrespMessage
  | SnDisconnectMessage
  | SnWillTopicUpdMessage
  | SnWillMsgUpdMessage
  | SnWillTopicRespMessage
  | SnWillMsgRespMessage;

/**
 * A message relayed by a forwarder [MQTT-SN-1.2 5.5]: the Ctrl octet's radius, the
 * Wireless Node Id of the client behind the forwarder, and the message itself.
 */
export interface SnEncapsulatedMessage {
  type: typeof SnMsgType.ENCAPSULATED;
  /** Broadcast radius, 0 to 3 (bits 0 and 1 of Ctrl); relevant from gateway to forwarder. */
  radius: number;
  /** At most {@link SN_MAX_WIRELESS_NODE_ID_LENGTH} octets; its coding is up to the forwarder. */
  wirelessNodeId: Buffer;
  message: SnPlainMessage;
}

/** Every MQTT-SN v1.2 message, the encapsulation wrapper included. */
export type SnMessage = SnPlainMessage | SnEncapsulatedMessage;

/** The `type` values of {@link SnPlainMessage}. */
export type SnPlainMsgTypeCode = SnPlainMessage['type'];

/** The message of a given type. */
export type SnMessageOfType<T extends SnMessage['type']> = Extract<SnMessage, { type: T }>;
