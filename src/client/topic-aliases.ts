import { MqttProtocolError, ReasonCode } from '../protocol/index.js';

/**
 * Topic aliases the server sends (MQTT 5.0 section 3.3.2.3.4). The table lives for
 * one network connection only [MQTT-3.3.2-7]; the client's CONNECT says how many
 * aliases the server may use.
 */
export class IncomingTopicAliases {
  private readonly topics = new Map<number, string>();

  /** @param maximum the Topic Alias Maximum the client sent in CONNECT (0: none allowed) */
  constructor(readonly maximum: number) {}

  /**
   * The topic name of an incoming PUBLISH: records the mapping when the packet
   * carries both a topic and an alias, looks it up when the topic is empty.
   * Every alias from 1 to the maximum is accepted [MQTT-3.3.2-10]. Throws the
   * protocol error to DISCONNECT with for an alias of 0 [MQTT-3.3.2-8] or above
   * the maximum [MQTT-3.3.2-11] (0x94 Topic Alias invalid), or for an alias that
   * was never given a topic (0x82 Protocol Error, section 3.3.2.3.4).
   */
  resolve(topic: string, alias: number | undefined): string {
    if (alias === undefined) return topic;
    if (alias === 0 || alias > this.maximum) {
      throw new MqttProtocolError(ReasonCode.TopicAliasInvalid, `topic alias ${alias} is outside 1..${this.maximum} [MQTT-3.3.2-8] [MQTT-3.3.2-11]`);
    }
    if (topic.length > 0) {
      this.topics.set(alias, topic);
      return topic;
    }
    const known = this.topics.get(alias);
    if (known === undefined) {
      throw new MqttProtocolError(ReasonCode.ProtocolError, `topic alias ${alias} was never given a topic on this connection`);
    }
    return known;
  }

  /** Forgets every mapping: a new connection starts with none [MQTT-3.3.2-7]. */
  clear(): void {
    this.topics.clear();
  }
}

/** How an outgoing PUBLISH should name its topic. */
export interface AliasChoice {
  /** The topic to put in the packet: empty when the alias alone stands for it. */
  topic: string;
  /** The alias to put in the packet's properties, if any. */
  alias?: number;
}

/**
 * Topic aliases the client chooses for its own PUBLISH packets, within the
 * server's Topic Alias Maximum from CONNACK: never 0 [MQTT-3.3.2-8], never above
 * the maximum [MQTT-3.3.2-9] [MQTT-3.2.2-17], none when it is absent
 * [MQTT-3.2.2-18]. The least recently used alias is reassigned when all are taken.
 */
export class OutgoingTopicAliases {
  private readonly aliasByTopic = new Map<string, number>();
  private readonly topicByAlias = new Map<number, string>();

  /** @param maximum the server's Topic Alias Maximum (0: aliases not allowed) */
  constructor(private maximum = 0) {}

  /** Starts a new connection: new maximum, no mappings [MQTT-3.3.2-7]. */
  reset(maximum: number): void {
    this.maximum = maximum;
    this.aliasByTopic.clear();
    this.topicByAlias.clear();
  }

  /** Chooses topic and alias for a PUBLISH to `topic` under automatic aliasing. */
  choose(topic: string): AliasChoice {
    if (this.maximum === 0) return { topic };
    const known = this.aliasByTopic.get(topic);
    if (known !== undefined) {
      // Re-insert to mark it most recently used.
      this.aliasByTopic.delete(topic);
      this.aliasByTopic.set(topic, known);
      return { topic: '', alias: known };
    }
    const alias = this.topicByAlias.size < this.maximum ? this.firstFree() : this.evictOldest();
    this.aliasByTopic.set(topic, alias);
    this.topicByAlias.set(alias, topic);
    return { topic, alias };
  }

  /**
   * Checks and records an alias the application set itself. Returns the reason it
   * cannot be sent, or undefined when it can.
   */
  useExplicit(topic: string, alias: number): string | undefined {
    if (alias === 0 || alias > this.maximum) {
      return `topic alias ${alias} is outside the server's 1..${this.maximum} [MQTT-3.3.2-9]`;
    }
    if (topic.length === 0) {
      return this.topicByAlias.has(alias) ? undefined : `topic alias ${alias} has no topic on this connection yet`;
    }
    const previous = this.topicByAlias.get(alias);
    if (previous !== undefined) this.aliasByTopic.delete(previous);
    this.topicByAlias.set(alias, topic);
    this.aliasByTopic.set(topic, alias);
    return undefined;
  }

  private firstFree(): number {
    let alias = 1;
    while (this.topicByAlias.has(alias)) alias++;
    return alias;
  }

  private evictOldest(): number {
    const [oldestTopic, alias] = this.aliasByTopic.entries().next().value as [string, number];
    this.aliasByTopic.delete(oldestTopic);
    this.topicByAlias.delete(alias);
    return alias;
  }
}
