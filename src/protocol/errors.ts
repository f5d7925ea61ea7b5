import { reasonCodeName } from './reason-codes.js';

/**
 * A protocol violation found while framing, decoding or validating a packet.
 * It carries the v5 reason code the receiver should answer with (in a CONNACK
 * before the connection is accepted, in a DISCONNECT after) [MQTT-4.13.1-1].
 *
 * The codec picks codes by the definitions of section 1.2: 0x81 Malformed Packet
 * when the bytes cannot be parsed or the spec names the case malformed (reserved
 * bits, QoS 3, ill-formed UTF-8, a property not valid for the packet type); 0x82
 * Protocol Error when the packet parses but holds what the protocol forbids
 * (packet id 0, DUP at QoS 0, flag combinations, repeated properties); and the
 * specific code where the spec names one (0x84, 0x90, 0x94, 0x95). Levels 3 and 4
 * carry no reason codes; their receivers just close the connection.
 */
export class MqttProtocolError extends Error {
  override readonly name = 'MqttProtocolError';

  /**
   * @param reasonCode the v5 reason code to send (0x81 malformed, 0x82 protocol error, ...)
   * @param message what was wrong, for logs and reason strings
   */
  constructor(readonly reasonCode: number, message: string) {
    super(message);
  }

  /** `0x81 Malformed Packet: remaining length exceeds 4 bytes` */
  describe(): string {
    return `${reasonCodeName(this.reasonCode)}: ${this.message}`;
  }
}

/** A packet that does not follow the encoding rules (reason code 0x81). */
export class MalformedPacketError extends MqttProtocolError {
  constructor(message: string) {
    super(0x81, message);
  }
}

/** A packet that is well formed but breaks a protocol rule (reason code 0x82). */
export class ProtocolViolationError extends MqttProtocolError {
  constructor(message: string) {
    super(0x82, message);
  }
}

/** A packet whose size exceeds the maximum the receiver accepts (reason code 0x95). */
export class PacketTooLargeError extends MqttProtocolError {
  constructor(readonly size: number, readonly limit: number) {
    super(0x95, `packet of ${size} bytes exceeds the maximum packet size of ${limit}`);
  }
}

/** True when a value is a codec or protocol error, as opposed to a bug. */
export function isMqttProtocolError(e: unknown): e is MqttProtocolError {
  return e instanceof MqttProtocolError;
}
