import { isUtf8 } from 'node:buffer';
import type { QoS } from '../protocol/index.js';
import { AcknowledgementGate, type Publisher } from './admission-gate.js';
import { exceedsTopicLevels } from './limits.js';
import type { BrokerMessage } from './message.js';
import type { BrokerOptions } from './options.js';
import type { BrokerStats } from './stats.js';

/**
 * Why the broker does not accept a publish, in the core's terms. Each way in answers it in
 * its own: an MQTT v5 reason code or 3.1.1 behaviour, an MQTT-SN return code, an HTTP status.
 */
export type PublishRefusal =
  /** QoS above the broker's maximum (`max_qos`). */
  | 'qos-not-supported'
  /** RETAIN set while retained messages are off (`retain_available false`). */
  | 'retain-not-supported'
  /** More topic levels than `max_topic_levels`. */
  | 'topic-too-deep'
  /** A payload over `message_size_limit`: the message is dropped, and counted. */
  | 'payload-too-large'
  /** The payload is declared UTF-8 (Payload Format Indicator 1) and is not. */
  | 'payload-not-utf8'
  /** The publisher may not publish to the topic (`$SYS`, or the ACL). */
  | 'not-authorized'
  /** A QoS 1/2 message a node cut off from its cluster cannot route: nothing is promised. */
  | 'cluster-unavailable';

/** The broker takes the message: route it, then acknowledge it when safe. */
export interface Accepted {
  readonly accepted: true;
}

/** The broker does not take the message; `reason` is for logs and reason strings. */
export interface Refused {
  readonly accepted: false;
  readonly refusal: PublishRefusal;
  readonly reason: string;
}

/** The verdict on a publish. It names no protocol. */
export type PublishVerdict = Accepted | Refused;

/** The one accepted verdict (no allocation on the hot path). */
export const ACCEPTED: Accepted = Object.freeze({ accepted: true });

function refused(refusal: PublishRefusal, reason: string): Refused {
  return { accepted: false, refusal, reason };
}

export type { Publisher } from './admission-gate.js';

/** What admission asks of the rest of the core: whether a publisher may publish to a topic. */
export interface PublishRights {
  /** The authorization decision ($SYS included); logs a refusal. */
  mayPublish(publisher: Publisher, topic: string, qos: QoS, retain: boolean): boolean;
}

/**
 * The one place that decides whether a publish is accepted and when its acknowledgement
 * may go: MQTT's PUBLISH handler, the MQTT-SN gateway and the admin API all ask it, and
 * each maps the verdict to its protocol. Two steps, because MQTT resolves a topic alias
 * and recognizes a resent QoS 2 message between them:
 *
 * 1. {@link supported}: what the broker supports at all (QoS, RETAIN, topic depth).
 * 2. {@link admit}: whether this message from this publisher is taken now (payload
 *    size and format, the publisher's rights, the cluster's reach).
 *
 * Then {@link whenSafe} runs an accepted message's acknowledgement (or a refusal's answer)
 * once it keeps its promise: routed to the other nodes of a cluster, on disk.
 */
export class PublishAdmission {
  /** The waits every acknowledgement goes through; see {@link AcknowledgementGate}. */
  readonly gate: AcknowledgementGate;

  constructor(
    private readonly options: Pick<BrokerOptions, 'limits' | 'retainAvailable' | 'cluster' | 'store'>,
    private readonly stats: BrokerStats,
    private readonly rights: PublishRights,
  ) {
    this.gate = new AcknowledgementGate(options.cluster, options.store);
  }

  /** Step 1: the broker supports such a publish at all. */
  supported(topic: string, qos: QoS, retain: boolean): PublishVerdict {
    const { limits, retainAvailable } = this.options;
    if (qos > limits.maxQos) return refused('qos-not-supported', `QoS ${qos} is not supported`);
    if (retain && !retainAvailable) return refused('retain-not-supported', 'retained messages are not supported');
    if (exceedsTopicLevels(topic, limits)) return refused('topic-too-deep', `topic has more than ${limits.maxTopicLevels} levels`);
    return ACCEPTED;
  }

  /**
   * Step 2: the message is taken now. `publisher` undefined: the broker's own publish
   * (the admin API), which no ACL restricts. `utf8` says the payload is declared UTF-8.
   */
  admit(topic: string, qos: QoS, retain: boolean, payload: Buffer, utf8: boolean, publisher: Publisher | undefined): PublishVerdict {
    if (payload.length > this.options.limits.maxPayloadSize) {
      // Dropped as Mosquitto drops messages over message_size_limit.
      this.stats.countDrop('payload-too-large');
      return refused('payload-too-large', 'payload larger than the broker accepts');
    }
    // The payload must be UTF-8 when the indicator says so (section 3.3.2.3.2).
    if (utf8 && !isUtf8(payload)) return refused('payload-not-utf8', 'payload is not UTF-8 as its format indicator says');
    if (publisher && !this.rights.mayPublish(publisher, topic, qos, retain)) {
      return refused('not-authorized', 'not authorized to publish to this topic');
    }
    // A node cut off from its cluster refuses what it could not route, rather than
    // acknowledge a message that other nodes' subscribers would never get.
    const cluster = this.options.cluster;
    if (qos > 0 && cluster && !cluster.available) return refused('cluster-unavailable', CLUSTER_UNAVAILABLE);
    return ACCEPTED;
  }

  /** Both steps at once, for ways in with nothing to do between them. */
  check(topic: string, qos: QoS, retain: boolean, payload: Buffer, publisher: Publisher | undefined): PublishVerdict {
    const supported = this.supported(topic, qos, retain);
    return supported.accepted ? this.admit(topic, qos, retain, payload, false, publisher) : supported;
  }

  /**
   * Runs `answer` (the acknowledgement of an accepted message, or the answer to a refused
   * or repeated one, `message` undefined) once it is safe: everything routed so far has
   * reached the cluster, every added wait holds, and everything staged in the store is on
   * disk. `routed` is false when `message` could not be routed after all: the way in
   * refuses it as {@link CLUSTER_UNAVAILABLE}. `failed` runs when the store failed.
   * Answers keep the order of the publishes they answer; with nothing to wait for,
   * `answer` runs at once and no promise is made.
   */
  whenSafe(
    message: BrokerMessage | undefined, publisher: Publisher | undefined, answer: (routed: boolean) => void, failed: (err: unknown) => void,
  ): void | Promise<void> {
    return this.gate.whenSafe(message, publisher, answer, failed);
  }
}

/** Why a message a cluster node could not route was refused. */
export const CLUSTER_UNAVAILABLE = 'the cluster cannot be reached: the message was not accepted';
