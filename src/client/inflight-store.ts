import type { PublishPacket } from '../protocol/index.js';

/**
 * One outgoing QoS 1/2 message of the client's session state (MQTT 3.1.1 section 4.1):
 * a PUBLISH not yet acknowledged, or a QoS 2 message whose PUBREC arrived and whose
 * PUBREL awaits its PUBCOMP.
 */
export type InflightEntry =
  | {
    kind: 'publish';
    /** The message as the application gave it: full topic name, no automatic alias. */
    packet: PublishPacket & { packetId: number };
    /** True once written to a connection: a resend then carries DUP [MQTT-3.3.1-1]. */
    sent: boolean;
  }
  | { kind: 'pubrel'; packetId: number };

/**
 * Where the client keeps its unacknowledged outgoing QoS 1/2 messages, so that
 * they can be resent after a reconnect. The interface is synchronous because the
 * protocol state machine that calls it has no I/O; a durable implementation
 * writes through synchronously (e.g. better-sqlite3) or keeps its own journal.
 *
 * Entries keep the order in which they were first put, and replacing an entry
 * (PUBLISH by PUBREL) keeps its place: resends must follow the original order
 * [MQTT-4.6.0-1].
 */
export interface InflightStore {
  /** Every entry, oldest first. */
  entries(): Iterable<InflightEntry>;
  /** The entry using a packet identifier. */
  get(packetId: number): InflightEntry | undefined;
  /** Adds an entry, or replaces the one with the same packet identifier in place. */
  put(entry: InflightEntry): void;
  /** Forgets an entry (its flow completed or failed). */
  delete(packetId: number): void;
  /** Number of entries. */
  readonly size: number;
}

/** The packet identifier of an entry. */
export function entryPacketId(entry: InflightEntry): number {
  return entry.kind === 'publish' ? entry.packet.packetId : entry.packetId;
}

/** The default {@link InflightStore}: a Map in memory, lost when the process ends. */
export class MemoryInflightStore implements InflightStore {
  private readonly byId = new Map<number, InflightEntry>();

  entries(): Iterable<InflightEntry> {
    return [...this.byId.values()];
  }

  get(packetId: number): InflightEntry | undefined {
    return this.byId.get(packetId);
  }

  put(entry: InflightEntry): void {
    // Map.set on an existing key keeps its insertion position.
    this.byId.set(entryPacketId(entry), entry);
  }

  delete(packetId: number): void {
    this.byId.delete(packetId);
  }

  get size(): number {
    return this.byId.size;
  }
}
