import { ReasonCode } from '../protocol/index.js';
import { ReasonCodeError } from './errors.js';

/** How the client waits between reconnection attempts. */
export interface ReconnectOptions {
  /** Delay before the first attempt, in ms; default 1000. */
  initialDelayMs?: number;
  /** Largest delay, in ms; default 30,000. */
  maxDelayMs?: number;
  /** Growth of the delay per failed attempt; default 2. */
  factor?: number;
  /**
   * Fraction of the delay that is random, 0 to 1; default 0.5 (a delay between half
   * and all of the nominal one), so that many clients cut off together do not all
   * come back in the same instant.
   */
  jitter?: number;
  /** Give up after this many failed attempts in a row; default: never. */
  maxAttempts?: number;
}

/**
 * The delay before reconnection attempt `attempt` (0 for the first): exponential
 * growth capped at `maxDelayMs`, less a random share of up to `jitter` of it.
 * `random` returns a number in [0, 1), as Math.random does.
 */
export function reconnectDelay(attempt: number, options: ReconnectOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const nominal = Math.min(max, initial * factor ** attempt);
  return Math.round(nominal * (1 - jitter * random()));
}

/** CONNACK return codes of MQTT 3.1/3.1.1 worth retrying: only "server unavailable". */
const retryableV3 = new Set<number>([3]);

/** v5 refusals that may go away by themselves; everything else needs a person. */
const retryableV5 = new Set<number>([
  ReasonCode.UnspecifiedError,
  ReasonCode.ImplementationSpecificError,
  ReasonCode.ServerUnavailable,
  ReasonCode.ServerBusy,
  ReasonCode.QuotaExceeded,
  ReasonCode.ConnectionRateExceeded,
  ReasonCode.ServerShuttingDown,
  ReasonCode.UseAnotherServer,
  ReasonCode.ServerMoved,
]);

/**
 * Whether a refused CONNECT is worth trying again. Bad credentials, a ban, an
 * unsupported protocol version or a rejected client identifier will be refused
 * again, so retrying them only hammers the server.
 */
export function shouldRetryRefusal(returnCode: number, protocolVersion: number): boolean {
  return protocolVersion === 5 ? retryableV5.has(returnCode) : retryableV3.has(returnCode);
}

/**
 * Whether to reconnect after the server closed the connection with a v5
 * DISCONNECT. A session taken over by another connection with the same client
 * identifier must not be fought over, and a ban or refusal will repeat.
 */
export function shouldReconnectAfterDisconnect(reasonCode: number): boolean {
  switch (reasonCode) {
    case ReasonCode.SessionTakenOver:
    case ReasonCode.NotAuthorized:
    case ReasonCode.Banned:
    case ReasonCode.BadAuthenticationMethod:
    case ReasonCode.AdministrativeAction:
      return false;
    default:
      return true;
  }
}

/** A server DISCONNECT for a session taken over, a ban or the like is not worth fighting. */
export function reconnectAllowed(reason: Error): boolean {
  return !(reason instanceof ReasonCodeError && reason.packetName === 'DISCONNECT' && !shouldReconnectAfterDisconnect(reason.reasonCode));
}
