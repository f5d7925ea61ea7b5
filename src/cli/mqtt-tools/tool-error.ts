import { ClientClosedError, ConnectionRefusedError, MqttClientError } from '../../client/index.js';

/** Exit status of `-W` running out, as mosquitto's tools use (MOSQ_ERR_TIMEOUT). */
export const EXIT_TIMED_OUT = 27;

/**
 * An error the tools report as one line and an exit status: a bad flag or value
 * (status 1), a refused connection (the CONNACK code), a timeout (27).
 */
export class ToolError extends Error {
  override name = 'ToolError';

  /**
   * @param message the line to print, without the prefix
   * @param exitCode the process exit status
   * @param prefix printed before the message (mosquitto prints a bare `Timed out`)
   */
  constructor(message: string, readonly exitCode = 1, readonly prefix = 'Error: ') {
    super(message);
  }
}

/** Network errors by errno, in the words mosquitto's tools use. */
const errnoText: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EPIPE: 'Broken pipe',
};

/** How a failure is reported: the exit status and the whole line to print. */
export interface Failure {
  exitCode: number;
  line: string;
}

/** The exit status and the one line to print for anything a tool throws; never a stack trace. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof ToolError) return { exitCode: error.exitCode, line: `${error.prefix}${error.message}` };
  if (error instanceof ConnectionRefusedError) {
    // mosquitto exits with the CONNACK return code (3.1.1) or reason code (v5).
    return { exitCode: error.returnCode, line: `Connection error: ${error.message}` };
  }
  if (error instanceof ClientClosedError && error.cause instanceof Error) return describeFailure(error.cause);
  if (error instanceof MqttClientError) return { exitCode: 1, line: `Error: ${error.message}` };
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      const host = (error as NodeJS.ErrnoException & { hostname?: string }).hostname;
      return { exitCode: 1, line: `Error: Unknown host${host ? ` '${host}'` : ''}` };
    }
    // OpenSSL errors carry the useful part in `reason`; the message is a raw dump.
    const reason = (error as Error & { reason?: unknown }).reason;
    if (code?.startsWith('ERR_SSL_') && typeof reason === 'string') return { exitCode: 1, line: `Error: TLS: ${reason}` };
    const text = (code && errnoText[code]) ?? error.message;
    return { exitCode: 1, line: `Error: ${text.split('\n')[0]}` };
  }
  return { exitCode: 1, line: `Error: ${String(error)}` };
}
