/**
 * Drives the pure {@link SessionState} in unit tests: a fake clock, shortcuts to
 * connect, and readers for what an output holds. Every frame is decoded again
 * with the shared codec, so the tests also check that the bytes say what the
 * packet object says.
 */
import assert from 'node:assert/strict';
import {
  PacketFramer, PacketType, decodePacket,
  type ConnackPacket, type Packet, type PacketOf, type Properties, type ProtocolVersion,
} from '../../src/protocol/index.js';
import {
  SessionState, type InflightStore, type PublishRequest, type SessionConfig, type SessionEvent, type SessionOutput,
} from '../../src/client/index.js';

/** A state machine with a clock the test moves by hand. */
export interface Harness {
  state: SessionState;
  /** Moves the clock forward. */
  advance(ms: number): void;
}

/** A v5 client `c1`, clean, keep alive 60 s, unless `config` says otherwise. */
export function harness(config: Partial<SessionConfig> = {}, store?: InflightStore): Harness {
  let now = 1000;
  const state = new SessionState(
    { protocolVersion: 5, clientId: 'c1', clean: true, keepAlive: 60, ...config },
    { now: () => now, ...(store ? { store } : {}) },
  );
  return { state, advance: (ms) => { now += ms; } };
}

/** Sends CONNECT and handles a successful CONNACK; returns what the CONNACK produced. */
export function connect(state: SessionState, connack: Partial<ConnackPacket> = {}): SessionOutput {
  state.connect();
  return state.handle({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0, ...connack });
}

/** The packets of an output, each checked to decode from its bytes to the same packet type. */
export function sent(output: SessionOutput, version: ProtocolVersion = 5): Packet[] {
  return output.send.map((frame) => {
    const framer = new PacketFramer();
    const decoded: Packet[] = [];
    framer.push(frame.bytes, (first, body) => decoded.push(decodePacket(first, body, version)));
    assert.equal(decoded.length, 1, 'one frame per packet');
    assert.equal(decoded[0]!.type, frame.packet.type);
    return decoded[0]!;
  });
}

/** The decoded packets of one type. */
export function sentOf<T extends Packet['type']>(output: SessionOutput, type: T, version: ProtocolVersion = 5): PacketOf<T>[] {
  return sent(output, version).filter((p): p is PacketOf<T> => p.type === type);
}

/** The events of one type. */
export function eventsOf<T extends SessionEvent['type']>(output: SessionOutput, type: T): Extract<SessionEvent, { type: T }>[] {
  return output.events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
}

/** A publish request with defaults. */
export function request(topic: string, qos: 0 | 1 | 2, extra: Partial<PublishRequest> = {}): PublishRequest {
  return { topic, payload: Buffer.from(`payload of ${topic}`), qos, retain: false, ...extra };
}

/** A PUBACK/PUBREC/PUBCOMP from the server. */
export function ack<T extends 4 | 5 | 7>(type: T, packetId: number, reasonCode?: number, properties?: Properties): Packet {
  return { type, packetId, ...(reasonCode !== undefined ? { reasonCode } : {}), ...(properties ? { properties } : {}) } as Packet;
}
