import { ClientClosedError, ConnectionRefusedError, MqttClientError } from '../../client/index.js';
import { CliError, ExitCode } from '../errors.js';

/** Network errors by errno, in the words mosquitto's tools use. */
const errnoText: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EPIPE: 'Broken pipe',
};

/** How a failure is reported: the exit status and the line to print (after `midge: `). */
export interface Failure {
  exitCode: number;
  line: string;
}

/** The exit status and the one line to print for anything a tool throws; never a stack trace. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof CliError) return { exitCode: error.exitCode, line: error.message };
  if (error instanceof ConnectionRefusedError) {
    // mosquitto exits with the CONNACK return code (3.1.1) or reason code (v5).
    return { exitCode: error.returnCode, line: `Connection error: ${error.message}` };
  }
  if (error instanceof ClientClosedError && error.cause instanceof Error) return describeFailure(error.cause);
  if (error instanceof MqttClientError) return { exitCode: ExitCode.Failure, line: error.message };
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      const host = (error as NodeJS.ErrnoException & { hostname?: string }).hostname;
      return { exitCode: ExitCode.Failure, line: `Unknown host${host ? ` '${host}'` : ''}` };
    }
    // OpenSSL errors carry the useful part in `reason`; the message is a raw dump.
    const reason = (error as Error & { reason?: unknown }).reason;
    if (code?.startsWith('ERR_SSL_') && typeof reason === 'string') return { exitCode: ExitCode.Failure, line: `TLS: ${reason}` };
    const text = (code && errnoText[code]) ?? error.message;
    return { exitCode: ExitCode.Failure, line: text.split('\n')[0]! };
  }
  return { exitCode: ExitCode.Failure, line: String(error) };
}
