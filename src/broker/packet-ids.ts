/**
 * Allocates non-zero packet identifiers 1..65535, skipping those in use, so an id
 * is never reused before its flow completes [MQTT-2.2.1-4] (3.1.1 [MQTT-2.3.1-4]).
 */
export class PacketIdAllocator {
  private next = 1;

  /** The next free id; throws when all 65,535 are in use (the inflight window prevents it). */
  allocate(inUse: { has(id: number): boolean }): number {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.next;
      this.next = id === 65535 ? 1 : id + 1;
      if (!inUse.has(id)) return id;
    }
    throw new Error('all packet identifiers are in use');
  }
}
