import { PacketType, type Packet } from '../protocol/index.js';
import type { BrokerStats } from './stats.js';

/** One counter of bytes sent per broker, shared by its connections (a closure each cost about 100 bytes per connection). */
const byteCounters = new WeakMap<BrokerStats, (bytes: number) => void>();

/** The function that counts bytes a connection of this broker wrote, the same for all of them. */
export function bytesSentCounter(stats: BrokerStats): (bytes: number) => void {
  let count = byteCounters.get(stats);
  if (!count) {
    count = (n) => { stats.bytesSent += n; };
    byteCounters.set(stats, count);
  }
  return count;
}

/**
 * The packet without its Reason String and User Properties, which a sender leaves out
 * when they would take a packet past the receiver's Maximum Packet Size.
 */
export function withoutOptionalProperties(packet: Packet): Packet {
  if (packet.type === PacketType.PINGREQ || packet.type === PacketType.PINGRESP || !packet.properties) return packet;
  const { reasonString: _reason, userProperties: _user, ...rest } = packet.properties;
  return { ...packet, properties: Object.keys(rest).length > 0 ? rest : undefined };
}
