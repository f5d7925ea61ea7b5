import { isReservedSnTopicId } from '../protocol/index.js';

/** The largest normal topic id: 0xFFFF is reserved [MQTT-SN-1.2 5.3.11]. */
const MAX_TOPIC_ID = 0xfffe;

/**
 * One client's normal topic ids [MQTT-SN-1.2 6.5]: assigned by the gateway for a
 * REGISTER or a SUBSCRIBE to a topic name, or announced to the client with a REGISTER
 * of the gateway. Ids are 1 to 0xFFFE, never the reserved 0x0000 and 0xFFFF. An id the
 * gateway announced may be used to send only once the client acknowledged it.
 * The table lives as long as the connection: a client that connects again starts
 * empty, so the gateway registers topics again before it publishes them.
 */
export class SnTopicTable {
  private readonly byName = new Map<string, number>();
  private readonly byId = new Map<number, string>();
  /** Ids announced by the gateway's REGISTER and not yet acknowledged by REGACK. */
  private readonly unconfirmed = new Set<number>();
  private next = 1;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.byId.size;
  }

  /** The topic name of an id, for what the client sends. */
  topicOf(topicId: number): string | undefined {
    return this.byId.get(topicId);
  }

  /** The id the gateway may use to send a topic: known to the client, and acknowledged. */
  sendableId(topic: string): number | undefined {
    const id = this.byName.get(topic);
    return id === undefined || this.unconfirmed.has(id) ? undefined : id;
  }

  /**
   * The id of a topic, assigned now if it has none; undefined when the table is full.
   * With `confirmed` false the id waits for the client's REGACK before use.
   */
  assign(topic: string, confirmed = true): number | undefined {
    const existing = this.byName.get(topic);
    if (existing !== undefined) {
      if (confirmed) this.unconfirmed.delete(existing);
      return existing;
    }
    if (this.byId.size >= this.capacity) return undefined;
    const id = this.freeId();
    this.byName.set(topic, id);
    this.byId.set(id, topic);
    if (!confirmed) this.unconfirmed.add(id);
    return id;
  }

  /** The client accepted a REGISTER of the gateway. */
  confirm(topicId: number): void {
    this.unconfirmed.delete(topicId);
  }

  /** Forgets an id (the client rejected it, or said it does not know it). */
  forget(topicId: number): void {
    const topic = this.byId.get(topicId);
    if (topic === undefined) return;
    this.byId.delete(topicId);
    this.byName.delete(topic);
    this.unconfirmed.delete(topicId);
  }

  /** The next free id after the last one given, so a forgotten id is not reused at once. */
  private freeId(): number {
    for (;;) {
      const id = this.next;
      this.next = id >= MAX_TOPIC_ID ? 1 : id + 1;
      if (!isReservedSnTopicId(id) && !this.byId.has(id)) return id;
    }
  }
}
