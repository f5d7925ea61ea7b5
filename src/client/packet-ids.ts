import { MAX_UINT16 } from '../protocol/index.js';
import { MqttClientError } from './errors.js';

/**
 * Hands out packet identifiers for PUBLISH (QoS > 0), SUBSCRIBE and UNSUBSCRIBE:
 * non-zero and not used by a flow in progress (v5 [MQTT-2.2.1-3]; 3.1.1
 * [MQTT-2.3.1-1] [MQTT-2.3.1-2]), free again once the acknowledgement has been
 * processed (section 2.3.1 of 3.1.1, 2.2.1 of 5.0). It walks round the range
 * instead of taking the lowest free number, so that a late acknowledgement of an
 * old flow cannot be mistaken for one of the next.
 */
export class PacketIdAllocator {
  private readonly used = new Set<number>();
  private last = 0;

  /** Takes the next free identifier; throws when all 65,535 are in use. */
  allocate(): number {
    if (this.used.size >= MAX_UINT16) {
      throw new MqttClientError('NO_PACKET_ID', 'all 65,535 packet identifiers are in use');
    }
    let id = this.last;
    do {
      id = id >= MAX_UINT16 ? 1 : id + 1;
    } while (this.used.has(id));
    this.used.add(id);
    this.last = id;
    return id;
  }

  /** Marks an identifier as taken (an entry restored from an {@link InflightStore}). */
  reserve(id: number): void {
    this.used.add(id);
  }

  /** Frees an identifier whose flow is complete. */
  release(id: number): void {
    this.used.delete(id);
  }

  /** True while the identifier belongs to a flow in progress. */
  inUse(id: number): boolean {
    return this.used.has(id);
  }

  /** Number of identifiers in use. */
  get size(): number {
    return this.used.size;
  }
}
