import { reasonCodeName, type Properties } from '../protocol/index.js';

/**
 * Base of every error the client raises on purpose; anything else is a bug.
 * `code` is stable and meant for programs, `message` for people.
 */
export class MqttClientError extends Error {
  override name = 'MqttClientError';

  /** @param code a stable identifier such as `ENDED` or `KEEPALIVE_TIMEOUT` */
  constructor(readonly code: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The server answered with a failure reason code (0x80 or above): a refused
 * PUBLISH, SUBSCRIBE, UNSUBSCRIBE or a DISCONNECT. Carries the reason string
 * and properties the server sent with it, when it sent any.
 */
export class ReasonCodeError extends MqttClientError {
  override name = 'ReasonCodeError';
  /** The server's reason string (v5), if any. */
  readonly reasonString: string | undefined;

  /**
   * @param packetName the packet that carried the code, e.g. `PUBACK`
   * @param reasonCode the v5 reason code (or a 3.1.1 code mapped to one)
   * @param properties the properties of that packet
   */
  constructor(readonly packetName: string, readonly reasonCode: number, readonly properties?: Properties) {
    const reasonString = properties?.reasonString;
    super('REASON_CODE', `${packetName}: ${reasonCodeName(reasonCode)}${reasonString ? ` (${reasonString})` : ''}`);
    this.reasonString = reasonString;
  }
}

/** MQTT 3.1.1 CONNACK return codes in words, as mosquitto words them. */
const v3RefusalText: Readonly<Record<number, string>> = {
  1: 'Connection Refused: unacceptable protocol version',
  2: 'Connection Refused: identifier rejected',
  3: 'Connection Refused: broker unavailable',
  4: 'Connection Refused: bad user name or password',
  5: 'Connection Refused: not authorised',
};

/**
 * The server refused the connection in its CONNACK. `returnCode` is the code as
 * sent: a 3.1.1 return code (1 to 5) or a v5 reason code (0x80 and above).
 */
export class ConnectionRefusedError extends MqttClientError {
  override name = 'ConnectionRefusedError';
  /** The server's reason string (v5), if any. */
  readonly reasonString: string | undefined;

  constructor(readonly returnCode: number, readonly protocolVersion: number, readonly properties?: Properties) {
    const reasonString = properties?.reasonString;
    const text = protocolVersion === 5
      ? `Connection Refused: ${reasonCodeName(returnCode)}`
      : (v3RefusalText[returnCode] ?? `Connection Refused: return code ${returnCode}`);
    super('CONNECTION_REFUSED', reasonString ? `${text} (${reasonString})` : text);
    this.reasonString = reasonString;
  }
}

/** The client was ended (or gave up reconnecting) before an operation completed. */
export class ClientClosedError extends MqttClientError {
  override name = 'ClientClosedError';

  /** @param cause the connection error that made the client give up, if any */
  constructor(message = 'the client was closed before the operation completed', cause?: Error) {
    super('CLOSED', message, cause ? { cause } : undefined);
  }
}
