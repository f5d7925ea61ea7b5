import type { ClientPrincipal, ConnectionInfo, StoredWill } from '../../broker/index.js';
import { topicNameProblem, type QoS } from '../../protocol/index.js';
import {
  SnMsgType, SnReturnCode, type SnWillMsgUpdMessage, type SnWillTopicUpdMessage,
} from '../protocol/index.js';
import type { SnClientLink } from './client-link.js';
import type { SnGatewayContext } from './context.js';

/** A will as the broker keeps it; MQTT-SN wills have no delay and no expiry. */
export function snWill(clientId: string, topic: string, qos: QoS, retain: boolean, payload: Buffer): StoredWill {
  return {
    delayInterval: 0,
    expiryInterval: undefined,
    message: {
      id: 0, topic, payload, qos, retain, properties: undefined, createdAt: Date.now(), expiresAt: undefined, origin: clientId,
    },
  };
}

/** Why a will cannot be accepted, or undefined: a topic name, a supported QoS and retain, the right to publish it. */
export function willProblem(
  ctx: SnGatewayContext, principal: ClientPrincipal, info: ConnectionInfo, will: StoredWill,
): string | undefined {
  const { topic, qos, retain } = will.message;
  const problem = topicNameProblem(topic);
  if (problem) return `will topic: ${problem}`;
  const { limits, retainAvailable } = ctx.broker.options;
  if (qos > limits.maxQos) return `will QoS ${qos} is not supported`;
  if (retain && !retainAvailable) return 'retained wills are not supported';
  if (!ctx.broker.access.canPublish(principal, topic, qos, retain, info)) return `not authorized to publish the will to '${topic}'`;
  return undefined;
}

/** Stores a changed will in the broker session and in the gateway's copy for the next CONNECT [MQTT-SN-1.2 6.3]. */
function setWill(link: SnClientLink, will: StoredWill | undefined): void {
  const { ctx, session } = link;
  if (session) ctx.broker.sessions.setWill(session, will);
  if (will) ctx.wills.set(link.clientId, will);
  else ctx.wills.delete(link.clientId);
}

/** The will as it stands: the gateway's copy (a graceful DISCONNECT clears the broker's). */
function currentWill(link: SnClientLink): StoredWill | undefined {
  return link.ctx.wills.get(link.clientId) ?? link.session?.will;
}

/**
 * WILLTOPICUPD [MQTT-SN-1.2 6.4]: a new will topic, QoS and retain flag, keeping the
 * will message; the empty form deletes the will topic and the will message [MQTT-SN-1.2
 * 5.4.22]. Answered with WILLTOPICRESP [MQTT-SN-1.2 5.4.24].
 */
export function handleWillTopicUpd(link: SnClientLink, m: SnWillTopicUpdMessage): void {
  if (!m.will) {
    setWill(link, undefined);
    link.willMessageWithoutTopic = undefined;
    link.send({ type: SnMsgType.WILLTOPICRESP, returnCode: SnReturnCode.ACCEPTED });
    return;
  }
  const payload = currentWill(link)?.message.payload ?? link.willMessageWithoutTopic ?? Buffer.alloc(0);
  const will = snWill(link.clientId, m.will.topic, m.will.qos, m.will.retain, payload);
  const problem = willProblem(link.ctx, link.principal, link.info, will);
  if (problem) {
    link.ctx.logger.info({ clientId: link.clientId, reason: problem }, 'MQTT-SN will topic update refused');
    const returnCode = topicNameProblem(m.will.topic) ? SnReturnCode.REJECTED_INVALID_TOPIC_ID : SnReturnCode.REJECTED_NOT_SUPPORTED;
    link.send({ type: SnMsgType.WILLTOPICRESP, returnCode });
    return;
  }
  setWill(link, will);
  link.send({ type: SnMsgType.WILLTOPICRESP, returnCode: SnReturnCode.ACCEPTED });
}

/**
 * WILLMSGUPD [MQTT-SN-1.2 6.4]: a new will message for the will topic in place; it is
 * kept for a later WILLTOPICUPD when there is no will topic. Answered with WILLMSGRESP.
 */
export function handleWillMsgUpd(link: SnClientLink, m: SnWillMsgUpdMessage): void {
  const current = currentWill(link);
  if (current) setWill(link, { ...current, message: { ...current.message, payload: m.willMessage } });
  // Without a will topic there is nothing to publish yet: the message waits for WILLTOPICUPD.
  else link.willMessageWithoutTopic = m.willMessage;
  link.send({ type: SnMsgType.WILLMSGRESP, returnCode: SnReturnCode.ACCEPTED });
}
