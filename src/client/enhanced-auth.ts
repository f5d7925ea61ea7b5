import { ReasonCode, type AuthPacket, type ConnackPacket, type Properties } from '../protocol/index.js';
import { MqttClientError } from './errors.js';

/**
 * One run of an MQTT 5 enhanced authentication method from the client's side
 * (MQTT 5.0 section 4.12): the data of CONNECT, the answers to the server's AUTH
 * challenges, and the check of what the accepting CONNACK carries.
 */
export interface ClientAuthExchange {
  /** The Authentication Data of CONNECT, or undefined for none. */
  start(): Buffer | undefined;
  /** Answers a server AUTH 0x18 (Continue authentication) with the data of the client's AUTH 0x18. Throws to give up. */
  next(serverData: Buffer | undefined): Buffer | undefined;
  /** Checks the Authentication Data of the CONNACK that accepted the client; throws when the server did not prove itself. */
  finish(serverData: Buffer | undefined): void;
}

/** An enhanced authentication method (e.g. {@link ScramSha256}): its name, and a new exchange for each connection. */
export interface ClientAuthenticator {
  readonly method: string;
  begin(): ClientAuthExchange;
}

/** Why a client gave up on enhanced authentication (the server misbehaved, or failed to prove itself). */
function authFailure(method: string, error: unknown): MqttClientError {
  const why = error instanceof Error ? error.message : String(error);
  return new MqttClientError('AUTH_FAILED', `${method} authentication failed: ${why}`);
}

/**
 * Runs a {@link ClientAuthenticator} over the connections of one client: a fresh
 * exchange per CONNECT, the AUTH answers, and the check of the CONNACK.
 */
export class EnhancedAuthDriver {
  private exchange: ClientAuthExchange | undefined;

  constructor(private readonly authenticator: ClientAuthenticator) {}

  /** Starts the exchange of a new connection; returns the Authentication Data for its CONNECT. */
  connectData(): Buffer | undefined {
    this.exchange = this.authenticator.begin();
    return this.exchange.start();
  }

  /**
   * The properties of the client's AUTH 0x18 in answer to a server AUTH 0x18 during
   * CONNECT, naming the same method [MQTT-4.12.0-2] [MQTT-4.12.0-5]; throws
   * {@link MqttClientError} `AUTH_FAILED` when the method gives up.
   */
  answer(packet: AuthPacket): Properties {
    const { method } = this.authenticator;
    if ((packet.reasonCode ?? 0) !== ReasonCode.ContinueAuthentication || !this.exchange) {
      throw authFailure(method, new Error(`unexpected AUTH reason code 0x${(packet.reasonCode ?? 0).toString(16)}`));
    }
    let data: Buffer | undefined;
    try {
      data = this.exchange.next(packet.properties?.authenticationData);
    } catch (e) {
      throw authFailure(method, e);
    }
    return { authenticationMethod: method, ...(data ? { authenticationData: data } : {}) };
  }

  /** Checks the accepting CONNACK; throws {@link MqttClientError} `AUTH_FAILED` when the server did not prove itself. */
  accepted(connack: ConnackPacket): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    try {
      exchange?.finish(connack.properties?.authenticationData);
    } catch (e) {
      throw authFailure(this.authenticator.method, e);
    }
  }
}
